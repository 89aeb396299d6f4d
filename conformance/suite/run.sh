#!/usr/bin/env bash
# Runs the upstream Gateway API conformance suite (sigs.k8s.io/gateway-api/conformance v1.6.1)
# against eg4j on this machine, loopback only:
#
#   1. a real control plane: etcd, kube-apiserver and kube-controller-manager (tools/kube/build.sh),
#      with the Gateway API and Envoy Gateway CRDs of third_party/crds;
#   2. the node stand-in (cmd/node): a Node that runs the echo Pods as local processes, each on its
#      own address 198.18.x.y (a range routed to lo, see below), and the Envoy Pods of eg4j's
#      fleets each in a network namespace of its own (a veth pair and a /32 route, as a CNI plugin
#      does), and reports them Running and Ready so the EndpointSlice controller fills endpoints;
#   3. eg4j in Kubernetes mode (./eg4j run --kubeconfig --xds-address 198.18.0.1, so that the
#      proxies reach its xds-server), and a GatewayClass for it;
#   4. the suite (cmd: go test -c of this module, cached), writing its ConformanceReport.
#
#   conformance/suite/run.sh                 # everything, then stop; report in conformance/reports/
#   conformance/suite/run.sh up              # start 1-3 and wait (Ctrl-C stops); KUBECONFIG printed
#   SUITE_ARGS='-run-test=HTTPRouteSimpleSameNamespace' conformance/suite/run.sh
#
# Environment: PROFILES (default GATEWAY-HTTP,GATEWAY-TLS,GATEWAY-GRPC), SUPPORTED_FEATURES
# (default: the list in supported-features.txt), SUITE_ARGS (more suite flags), REPORT (report
# path), EG4J_CONFORMANCE_WORK (work directory, default target/conformance), EG4J_NO_BUILD=1
# (use the eg4j jars as they are), SUITE_TIMEOUT (go test timeout, default 3h), DEPLOY_TYPE
# (the EnvoyGateway config's provider.kubernetes.deploy.type, default GatewayNamespace: each
# Gateway's proxies run in its own namespace, the mode in which Envoy Gateway claims
# GatewayInfrastructurePropagation; with ControllerNamespace leave that feature out of the claim).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MODE="${1:-run}"
WORK="${EG4J_CONFORMANCE_WORK:-$ROOT/target/conformance}"
CACHE="${EG4J_CACHE:-$HOME/.cache/eg4j}/conformance"
PROFILES="${PROFILES:-GATEWAY-HTTP,GATEWAY-TLS,GATEWAY-GRPC}"
SUPPORTED_FEATURES="${SUPPORTED_FEATURES:-$({ grep -v '^#' "$HERE/supported-features.txt" || true; } | tr -s ' \n' ',' | sed 's/^,//; s/,$//')}"
REPORT="${REPORT:-$ROOT/conformance/reports/eg4j-report.yaml}"
DEPLOY_TYPE="${DEPLOY_TYPE:-GatewayNamespace}"
GATEWAY_CLASS=eg4j
CONTROLLER=gateway.envoyproxy.io/gatewayclass-controller
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

say() { echo "conformance: $*" >&2; }

PIDS=()
cleanup() {
  local status=$?
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[$i]}" 2>/dev/null || true
  done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    for _ in $(seq 1 100); do kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${PIDS[$i]}" 2>/dev/null || true
  done
  if [ -n "${ROUTE_ADDED:-}" ]; then ip route del local "$POD_RANGE" dev lo 2>/dev/null || true; fi
  remove_pod_networks
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The node stand-in's Pod network namespaces and veths (eg4jp*), left over when it was killed.
remove_pod_networks() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^eg4jp[0-9]+$/ {print $1}'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^eg4jph[0-9]+@/ {sub(/@.*/, "", $2); print $2}'); do
    ip link del "$link" 2>/dev/null || true
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # start NAME CMD...: runs CMD in the background, output in $WORK/NAME.log
  local name=$1
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

# --- binaries -----------------------------------------------------------------------------------
KUBE_BIN="${EG4J_KUBE_BIN:-$(bash "$ROOT/tools/kube/build.sh")}"
mkdir -p "$CACHE"
# newer BINARY SOURCES...: the binary is missing or older than a source (or go.mod / go.sum).
newer() {
  local bin=$1
  shift
  [ ! -x "$bin" ] || [ "$HERE/go.mod" -nt "$bin" ] || [ "$HERE/go.sum" -nt "$bin" ] \
    || [ -n "$(find "$@" -name '*.go' -newer "$bin" -print -quit)" ]
}
if newer "$CACHE/suite.test" "$HERE/conformance_test.go"; then
  say "building the suite (go test -c; several minutes the first time)"
  (cd "$HERE" && go test -c -o "$CACHE/suite.test" .)
fi
for cmd in node echo; do
  if newer "$CACHE/$cmd" "$HERE/cmd/$cmd"; then
    (cd "$HERE" && go build -o "$CACHE/$cmd" "./cmd/$cmd")
  fi
done

# --- addresses -------------------------------------------------------------------------------------
# Addresses come from 198.18.0.0/16 (RFC 2544's benchmarking range, never routed on the internet):
# the API server refuses loopback addresses in EndpointSlices. Its lower half is made local to the
# loopback interface (a "local" route on lo, like 127.0.0.0/8's): the xds-server (198.18.0.1), the
# load balancers (198.18.0.10 on) and the echo Pods (198.18.1.1 on) bind there. The upper half
# (198.18.128.1 on) is for the Envoy Pods, each in its own network namespace behind a veth with a
# /32 route. All traffic stays on this machine. Needs CAP_NET_ADMIN and CAP_SYS_ADMIN; removed
# again on exit.
POD_RANGE=198.18.0.0/17
XDS_ADDRESS=198.18.0.1
remove_pod_networks
ROUTE_ADDED=
if ! ip route show table local | grep -q "^local $POD_RANGE dev lo"; then
  ip route add local "$POD_RANGE" dev lo
  ROUTE_ADDED=1
fi

# --- control plane -------------------------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK"
say "work directory $WORK"
(
  cd "$WORK"
  ssl() { openssl "$@" >>openssl.log 2>&1; }
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  ssl genrsa -out ca.key 2048
  ssl req -x509 -new -key ca.key -subj /CN=eg4j-conformance-ca -days 3650 -out ca.crt
  ssl genrsa -out apiserver.key 2048
  ssl req -new -key apiserver.key -subj /CN=kube-apiserver -out apiserver.csr
  ssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext -out apiserver.crt
  ssl genrsa -out admin.key 2048
  ssl req -new -key admin.key -subj "/O=system:masters/CN=eg4j-conformance-admin" -out admin.csr
  ssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile client.ext -out admin.crt
  ssl genrsa -out sa.key 2048
  ssl rsa -in sa.key -pubout -out sa.pub
)
ETCD_PORT=$(free_port)
PEER_PORT=$(free_port)
API_PORT=$(free_port)
KUBELET_PORT=$(free_port)
start etcd "$KUBE_BIN/etcd" --name=eg4j --data-dir="$WORK/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$PEER_PORT" \
  --initial-cluster="eg4j=http://127.0.0.1:$PEER_PORT" --unsafe-no-fsync=true --log-level=warn
start kube-apiserver "$KUBE_BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" --cert-dir="$WORK" \
  --tls-cert-file="$WORK/apiserver.crt" --tls-private-key-file="$WORK/apiserver.key" \
  --client-ca-file="$WORK/ca.crt" --service-account-key-file="$WORK/sa.pub" \
  --service-account-signing-key-file="$WORK/sa.key" --service-account-issuer=https://kubernetes.default.svc \
  --authorization-mode=RBAC --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true \
  --endpoint-reconciler-type=none --kubelet-preferred-address-types=InternalIP --v=0
export KUBECONFIG="$WORK/kubeconfig"
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: eg4j-conformance
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$WORK/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(base64 -w0 "$WORK/admin.crt")
    client-key-data: $(base64 -w0 "$WORK/admin.key")
contexts:
- name: eg4j-conformance
  context: {cluster: eg4j-conformance, user: admin, namespace: default}
current-context: eg4j-conformance
EOF
for i in $(seq 1 450); do
  if curl -sf --cacert "$WORK/ca.crt" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; then break; fi
  [ "$i" = 450 ] && { say "kube-apiserver not ready after 90 s; see $WORK/kube-apiserver.log"; exit 1; }
  sleep 0.2
done
say "kube-apiserver ready on 127.0.0.1:$API_PORT"
start kube-controller-manager "$KUBE_BIN/kube-controller-manager" --kubeconfig="$KUBECONFIG" \
  --leader-elect=false --secure-port=0 --service-account-private-key-file="$WORK/sa.key" \
  --root-ca-file="$WORK/ca.crt" --cluster-signing-cert-file="$WORK/ca.crt" \
  --cluster-signing-key-file="$WORK/ca.key" --use-service-account-credentials=false --v=0

kubectl apply --server-side -f "$ROOT/third_party/crds/gateway-api/" -f "$ROOT/third_party/crds/envoy-gateway/" >"$WORK/crds.log"
kubectl wait --for=condition=Established crd --all --timeout=120s >>"$WORK/crds.log"
say "CRDs installed ($(grep -c 'serverside-applied' "$WORK/crds.log"))"

# --- node stand-in -------------------------------------------------------------------------------
start node "$CACHE/node" --kubeconfig="$KUBECONFIG" --echo="$CACHE/echo" --work-dir="$WORK/node" \
  --kubelet-port="$KUBELET_PORT" --first-pod-ip=198.18.1.1 --first-lb-ip=198.18.0.10 \
  --first-netns-pod-ip=198.18.128.1
for i in $(seq 1 100); do
  kill -0 "${PIDS[-1]}" 2>/dev/null || { say "the node stand-in exited; see $WORK/node.log"; exit 1; }
  grep -q "node eg4j-node ready" "$WORK/node.log" 2>/dev/null && break
  [ "$i" = 100 ] && { say "the node stand-in did not register; see $WORK/node.log"; exit 1; }
  sleep 0.2
done
say "node eg4j-node registered"

# --- eg4j ------------------------------------------------------------------------------------------
# The suite runs for a long time; others may rebuild the jars meanwhile (a class file changing
# under a running JVM breaks it), so eg4j runs from a copy of its own jars taken now.
if [ "${EG4J_NO_BUILD:-}" != 1 ]; then "$ROOT/eg4j" help >/dev/null; fi
mkdir -p "$WORK/lib"
CP=""
for jar in "$ROOT/standalone/target/eg4j-standalone-0.1.0-SNAPSHOT.jar" $(tr ':' ' ' <"$ROOT/standalone/target/classpath.txt"); do
  case "$jar" in
    */io/eg4j/* | "$ROOT"/*) cp "$jar" "$WORK/lib/" && jar="$WORK/lib/$(basename "$jar")" ;;
  esac
  CP="${CP:+$CP:}$jar"
done
cat >"$WORK/envoy-gateway.yaml" <<EOF
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
gateway:
  controllerName: $CONTROLLER
provider:
  type: Kubernetes
  kubernetes:
    deploy:
      type: $DEPLOY_TYPE
EOF
say "EnvoyGateway provider.kubernetes.deploy.type $DEPLOY_TYPE"
# shellcheck disable=SC2086
start eg4j java ${EG4J_JAVA_OPTS:-} -cp "$CP" io.eg4j.standalone.Main run --kubeconfig "$KUBECONFIG" \
  --data-dir "$WORK/eg4j" --xds-address "$XDS_ADDRESS" --config "$WORK/envoy-gateway.yaml"
for i in $(seq 1 600); do
  grep -q "eg4j is up" "$WORK/eg4j.log" 2>/dev/null && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || { say "eg4j exited; see $WORK/eg4j.log"; exit 1; }
  [ "$i" = 600 ] && { say "eg4j not up after 300 s; see $WORK/eg4j.log"; exit 1; }
  sleep 0.5
done
say "eg4j is up (log $WORK/eg4j.log)"
kubectl apply -f - >/dev/null <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: $GATEWAY_CLASS
spec:
  controllerName: $CONTROLLER
EOF

if [ "$MODE" = up ]; then
  say "up; KUBECONFIG=$KUBECONFIG; Ctrl-C stops everything"
  while kill -0 "${PIDS[-1]}" 2>/dev/null; do sleep 2; done
  exit 0
fi

# --- the suite -------------------------------------------------------------------------------------
mkdir -p "$(dirname "$REPORT")"
say "running the suite: profiles $PROFILES"
START=$SECONDS
set +e
(
  cd "$HERE"
  # shellcheck disable=SC2086
  "$CACHE/suite.test" -test.v -test.timeout "${SUITE_TIMEOUT:-3h}" -test.run TestConformance \
    -gateway-class="$GATEWAY_CLASS" \
    -conformance-profiles="$PROFILES" \
    ${SUPPORTED_FEATURES:+-supported-features="$SUPPORTED_FEATURES"} \
    -cleanup-base-resources=false \
    -organization=eg4j -project=eg4j -url=https://github.com/eg4j/eg4j -version="$(git -C "$ROOT" rev-parse --short HEAD)" \
    -contact=eg4j \
    -report-output="$REPORT" \
    ${SUITE_ARGS:-}
) 2>&1 | tee "$WORK/suite.log"
status=${PIPESTATUS[0]}
set -e
say "suite finished in $((SECONDS - START)) s (exit $status); log $WORK/suite.log"
grep -E '^\s*--- (PASS|FAIL|SKIP): TestConformance/[^/ ]+ ' "$WORK/suite.log" \
  | awk '{print $2}' | sort | uniq -c | sed 's/^/conformance: /' >&2 || true
[ -f "$REPORT" ] && say "report: $REPORT"
exit "$status"
