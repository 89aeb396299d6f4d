#!/usr/bin/env bash
# Builds the global rate limit service Envoy Gateway runs (github.com/envoyproxy/ratelimit at the
# pseudo-version Envoy Gateway v1.9.0 pins), from the Go module proxy, into
# $EG4J_CACHE/ratelimit/<version>/ratelimit (default ~/.cache/eg4j). Built once; later runs only
# check the binary is there. Prints the path of the binary.
#
#   tools/ratelimit/build.sh        # build if missing, print the binary's path
#
# The module has replace directives, so `go install` refuses it: a scratch module requires it and
# builds its service_cmd package. Cold, on 2 cores, it takes a few minutes; cached, well under a
# second. The service also needs Redis: Debian's redis-server (apt-get install -y redis-server).
set -euo pipefail
RATELIMIT_VERSION=v1.4.1-0.20260122083618-3fb702589d36
CACHE="${EG4J_CACHE:-$HOME/.cache/eg4j}"
OUT="$CACHE/ratelimit/$RATELIMIT_VERSION"
if [ -x "$OUT/ratelimit" ]; then
  echo "$OUT/ratelimit"
  exit 0
fi
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export GOFLAGS=-mod=mod
export CGO_ENABLED=0
cd "$WORK"
go mod init eg4j.local/ratelimit >/dev/null 2>&1
echo "tools/ratelimit: building envoyproxy/ratelimit $RATELIMIT_VERSION (cached in $OUT)" >&2
# Take the module's own replace directives, which a dependent module does not inherit.
GOMOD=$(go mod download -json "github.com/envoyproxy/ratelimit@$RATELIMIT_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
sed -n 's#^replace[[:space:]]\+\([^ ]*\)[[:space:]]*=>[[:space:]]*\([^ ]*\)[[:space:]]\+\([^ ]*\)$#\1=\2@\3#p' "$GOMOD" |
  while read -r r; do go mod edit -replace "$r"; done
go mod edit -require "github.com/envoyproxy/ratelimit@$RATELIMIT_VERSION"
go build -ldflags "-s -w" -o "$OUT/ratelimit.tmp" github.com/envoyproxy/ratelimit/src/service_cmd
mv "$OUT/ratelimit.tmp" "$OUT/ratelimit"
echo "$OUT/ratelimit"
