#!/usr/bin/env bash
# Builds helm $HELM_VERSION from the Go module proxy into $EG4J_CACHE/bin (default ~/.cache/eg4j),
# with the link flags of helm's own Makefile (its version, and the Kubernetes version of its
# client-go, v0.37 -> 1.37, which `helm template` and `install --dry-run` assume without a cluster;
# go install alone says 1.20). Built once; later runs only check the version. Prints the binary's
# path. Used by deploy/test/run.sh and by the chart's integration test (ChartRbacIT).
#
#   tools/helm/build.sh            # build if missing, print the path
#
# Cold, on 2 cores, it takes a few minutes; cached, well under a second.
set -euo pipefail
HELM_VERSION=v3.22.0
CACHE="${EG4J_CACHE:-$HOME/.cache/eg4j}"
HELM="$CACHE/bin/helm"
mkdir -p "$CACHE/bin"
if [ ! -x "$HELM" ] || ! "$HELM" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
  echo "tools/helm: building helm $HELM_VERSION (go install, cached in $CACHE/bin)" >&2
  H=helm.sh/helm/v3
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install -ldflags "-s -w \
    -X $H/internal/version.version=$HELM_VERSION \
    -X $H/pkg/chartutil.k8sVersionMajor=1 -X $H/pkg/chartutil.k8sVersionMinor=37 \
    -X $H/pkg/lint/rules.k8sVersionMajor=1 -X $H/pkg/lint/rules.k8sVersionMinor=37" \
    "$H/cmd/helm@$HELM_VERSION" >&2
fi
echo "$HELM"
