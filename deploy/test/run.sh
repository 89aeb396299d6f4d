#!/usr/bin/env bash
# Deploy checks: Helm chart (render, Kubernetes and CRD schemas, values schema, RBAC allowlist),
# docker-compose.yml (Compose Specification schema), dashboards and alerts (metric names), and one
# container image (Jib buildTar). Ends with "N passed, M failed".
#
#   bash deploy/test/run.sh                 # everything
#   bash deploy/test/run.sh --no-image      # leave out the image build (about a minute)
#   bash deploy/test/run.sh --live          # also start ./eg4j run and compare its metrics
#   bash deploy/test/run.sh -k RBAC         # only checks whose name contains RBAC
#
# Tools are installed once under $EG4J_CACHE (default ~/.cache/eg4j) and reused: a venv with the
# pinned Python packages, and helm built from the Go module proxy (no other way to get it here).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CACHE="${EG4J_CACHE:-$HOME/.cache/eg4j}"
PY_PACKAGES="kubernetes-validate==1.37.0 check-jsonschema==0.39.0 jsonschema==4.26.0 pyyaml==6.0.3 promql-parser==0.11.0"
mkdir -p "$CACHE/bin"

# Python packages, in a venv of our own so the system Python stays untouched.
VENV="$CACHE/venv"
STAMP="$VENV/.eg4j-packages"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$PY_PACKAGES" ]; then
  echo "deploy/test: installing $PY_PACKAGES into $VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $PY_PACKAGES
  echo "$PY_PACKAGES" > "$STAMP"
fi

# helm: built once from the Go module proxy into the cache (tools/helm/build.sh).
HELM=$(bash "$ROOT/tools/helm/build.sh")
export HELM
echo "deploy/test: $("$HELM" version --short), $("$VENV/bin/python" --version)"

ARGS=()
LIVE=0
for a in "$@"; do
  case "$a" in
    --live) LIVE=1 ;;
    *) ARGS+=("$a") ;;
  esac
done


LAUNCHER_PID=""
cleanup() {
  if [ -n "$LAUNCHER_PID" ]; then
    kill "$LAUNCHER_PID" 2>/dev/null || true
    wait "$LAUNCHER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [ "$LIVE" = 1 ]; then
  # The live metrics check: the five services in one JVM on the quickstart, scraped on their
  # default actuator ports 19001-19005.
  LIVE_ERROR=""
  for p in 19001 19002 19003 19004 19005; do
    if curl -s -o /dev/null -m 2 "http://127.0.0.1:$p/" 2>/dev/null; then
      LIVE_ERROR="port $p is already in use: another eg4j is running; stop it first"
    fi
  done
  WORK=$(mktemp -d)
  DATA="$WORK/data"   # the launcher wants a new or empty data directory of its own
  # EG4J_LAUNCHER: another command with ./eg4j's arguments (e.g. a java -cp wrapper).
  if [ -z "$LIVE_ERROR" ]; then
    ${EG4J_LAUNCHER:-./eg4j} run examples/quickstart --demo-echo --data-dir "$DATA" > "$WORK/run.log" 2>&1 &
    LAUNCHER_PID=$!
    for _ in $(seq 1 120); do
      up=0
      for p in 19001 19002 19003 19004 19005; do
        curl -fsS -o /dev/null "http://127.0.0.1:$p/actuator/prometheus" 2>/dev/null && up=$((up + 1))
      done
      [ "$up" = 5 ] && break
      kill -0 "$LAUNCHER_PID" 2>/dev/null || break
      sleep 2
    done
    # Let the pipeline run once end to end (Envoy connects, a request flows) so the counters exist.
    for _ in $(seq 1 20); do
      curl -fsS -o /dev/null -m 2 http://127.0.0.1:8888/ 2>/dev/null && break
      sleep 2
    done
    echo "deploy/test: launcher log tail:"; tail -5 "$WORK/run.log" | sed 's/^/    /'
    kill -0 "$LAUNCHER_PID" 2>/dev/null || LIVE_ERROR="the launcher exited: $(tail -3 "$WORK/run.log" | tr '\n' ' ')"
  fi
  [ -n "$LIVE_ERROR" ] && ARGS+=(--live-error "$LIVE_ERROR")
  ARGS+=(--scrape)
  for p in 19001 19002 19003 19004 19005; do ARGS+=("http://127.0.0.1:$p/actuator/prometheus"); done
fi

exec_status=0
"$VENV/bin/python" "$ROOT/deploy/test/checks.py" "${ARGS[@]}" || exec_status=$?
exit "$exec_status"
