#!/usr/bin/env bash
# Builds Envoy Gateway's own control plane, the `envoy-gateway` binary
# (github.com/envoyproxy/gateway/cmd/envoy-gateway $EG_VERSION), from the Go module proxy, into
# $EG4J_CACHE/duel/eg-$EG_VERSION/ (default ~/.cache/eg4j). The module's source is copied there
# too, writable (src/), because the translation duel drops a Go benchmark file into it (its
# translator packages are internal/). Built once; later runs only check the binary is there.
# Prints the directory that holds the binary and src/.
#
#   bench/duel/build-eg.sh          # build if missing, print the directory
#
# Cold, on a shared 2-core machine, it took about 20 minutes; cached, well under a second.
set -euo pipefail
EG_VERSION=v1.9.0
CACHE="${EG4J_CACHE:-$HOME/.cache/eg4j}"
OUT="$CACHE/duel/eg-$EG_VERSION"
if [ -x "$OUT/envoy-gateway" ] && [ -f "$OUT/src/go.mod" ]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
mkdir -p "$OUT"
export CGO_ENABLED=0
export GOFLAGS=-mod=mod

# The module as published: its own go.mod and go.sum pin every dependency (it has no replace
# directives), so building inside a copy of it builds what the release built.
echo "bench/duel: building envoy-gateway $EG_VERSION (cached in $OUT)" >&2
DIR=$(go mod download -json "github.com/envoyproxy/gateway@$EG_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -n "$DIR" ] && [ -f "$DIR/go.mod" ] || { echo "bench/duel: module download failed" >&2; exit 1; }
rm -rf "$OUT/src.tmp"
cp -r "$DIR" "$OUT/src.tmp"
chmod -R u+w "$OUT/src.tmp"
rm -rf "$OUT/src"
mv "$OUT/src.tmp" "$OUT/src"
cd "$OUT/src"
LDFLAGS="-s -w -X github.com/envoyproxy/gateway/internal/cmd/version.envoyGatewayVersion=$EG_VERSION"
go build -p 2 -ldflags "$LDFLAGS" -o "$OUT/envoy-gateway.tmp" ./cmd/envoy-gateway
mv "$OUT/envoy-gateway.tmp" "$OUT/envoy-gateway"
echo "$OUT"
