#!/usr/bin/env bash
# Builds the real Kubernetes control plane the Kubernetes-mode tests run on: kube-apiserver and
# kube-controller-manager (k8s.io/kubernetes $KUBE_VERSION) and etcd ($ETCD_VERSION), from the Go
# module proxy, into $EG4J_CACHE/kube/<versions>/ (default ~/.cache/eg4j). Built once; later runs
# only check the binaries are there. Prints the directory that holds the three binaries.
#
#   tools/kube/build.sh            # build if missing, print the directory
#
# Cold, on 2 cores, it takes about 8 minutes and 2 GB of memory; cached, well under a second.
set -euo pipefail
KUBE_VERSION=v1.34.3
STAGING_VERSION=v0.34.3
ETCD_VERSION=v3.5.21
CACHE="${EG4J_CACHE:-$HOME/.cache/eg4j}"
OUT="$CACHE/kube/$KUBE_VERSION-etcd-$ETCD_VERSION"
if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kube-controller-manager" ] && [ -x "$OUT/etcd" ]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export GOFLAGS=-mod=mod
export CGO_ENABLED=0

# kube-apiserver and kube-controller-manager: k8s.io/kubernetes points its staging modules at
# ./staging; a scratch module replaces each of them with its published version instead.
mkdir -p "$WORK/kube" && cd "$WORK/kube"
go mod init eg4j.local/kube >/dev/null 2>&1
echo "tools/kube: building kube-apiserver and kube-controller-manager $KUBE_VERSION (cached in $OUT)" >&2
GOMOD=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$GOMOD"); do
  go mod edit -replace "$m=$m@$STAGING_VERSION"
done
go mod edit -require "k8s.io/kubernetes@$KUBE_VERSION"
LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
go build -ldflags "$LDFLAGS" -o "$OUT/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -ldflags "$LDFLAGS" -o "$OUT/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager

# etcd: its server's main package, from a scratch module.
mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
echo "tools/kube: building etcd $ETCD_VERSION" >&2
go mod init eg4j.local/etcd >/dev/null 2>&1
cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1
go build -ldflags "-s -w" -o "$OUT/etcd" .
echo "$OUT"
