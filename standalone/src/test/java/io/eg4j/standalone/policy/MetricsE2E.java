package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.provisioner.core.HostProxyPlanner;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.Translator;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.Http;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The EnvoyProxy {@code telemetry.metrics} through the real envoy. The bootstrap is the one the
 * host-mode provisioner plans from the translator's infra IR (stats listener, stats matcher, an
 * OpenTelemetry stats sink); the xDS configuration carries the cluster stat name and the virtual
 * host, per-endpoint and size stats. Prometheus is scraped from the stats listener, and the
 * OpenTelemetry sink exports to a collector stand-in of the test: a gRPC {@code MetricsService} on
 * 127.0.0.1 that records the metric names of each {@code ExportMetricsServiceRequest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  Server collector;
  int statsPort;
  final Set<String> exported = ConcurrentHashMap.newKeySet();

  @BeforeAll
  void start() throws Exception {
    EnvoyProcess.requireEnvoy();
    echo = EchoServer.start(0, "echo", "default");
    collector =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new MetricsServiceGrpc.MetricsServiceImplBase() {
                  @Override
                  public void export(
                      ExportMetricsServiceRequest request,
                      StreamObserver<ExportMetricsServiceResponse> response) {
                    request
                        .getResourceMetricsList()
                        .forEach(
                            rm ->
                                rm.getScopeMetricsList()
                                    .forEach(sm -> sm.getMetricsList().forEach(m -> record(m))));
                    response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
                    response.onCompleted();
                  }
                })
            .build()
            .start();
    statsPort = EnvoyProcess.freePort();
    // The bootstrap comes before the stack's listener port is known: the infra IR (the EnvoyProxy
    // in effect) does not depend on it, so the manifests are translated with a stand-in port.
    InfraIr infra = translateInfra(manifests(18080));
    HostProxyPlanner planner =
        new HostProxyPlanner(new HostProxyPlanner.Settings("127.0.0.1", 1, null, "metrics-e2e"));
    var metrics = planner.plan(infra, 1, statsPort).bootstrap().metrics();
    stack = PolicyStack.start(dir, spec -> spec.withMetrics(metrics));
    stack.apply(manifests(stack.port()));
    stack.await(
        "the route serves",
        () -> Http.get(stack.port(), "metrics.test", "/app/ready").status() == 200);
  }

  /**
   * The manifests: the stack's Gateway (HTTP listener on {@code port}) whose GatewayClass names the
   * EnvoyProxy {@code metered}, the EnvoyProxy, the echo Service and an HTTPRoute for {@code
   * metrics.test}.
   */
  private String manifests(int port) {
    return """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: eg}
        spec:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
          parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, namespace: default, name: metered}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {namespace: default, name: eg}
        spec:
          gatewayClassName: eg
          listeners:
          - {name: http, protocol: HTTP, port: %d}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyProxy
        metadata: {namespace: default, name: metered}
        spec:
          telemetry:
            metrics:
              enableVirtualHostStats: true
              enablePerEndpointStats: true
              enableRequestResponseSizesStats: true
              clusterStatName: "%%ROUTE_KIND%%-%%ROUTE_NAMESPACE%%-%%ROUTE_NAME%%-%%ROUTE_RULE_NUMBER%%"
              matches:
              - {type: Prefix, value: cluster.}
              - {type: Prefix, value: vhost.}
              - {type: Prefix, value: http.}
              sinks:
              - type: OpenTelemetry
                openTelemetry: {host: 127.0.0.1, port: %d}
        ---
        """
            .formatted(port, collector.getPort())
        + PolicyStack.service("app", echo.port())
        + """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: app}
        spec:
          parentRefs: [{name: eg}]
          hostnames: [metrics.test]
          rules:
          - matches: [{path: {type: PathPrefix, value: /app}}]
            backendRefs: [{name: app, port: 8080}]
        """;
  }

  private static InfraIr translateInfra(String yaml) throws Exception {
    List<ObjectNode> docs =
        ManifestReader.read(
            "metrics.yaml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    var result =
        new Translator(EnvoyGatewayConfig.defaults())
            .translate(ResourceSnapshot.of(new ArrayList<>(docs)));
    InfraIr infra = result.infraIr().get(PolicyStack.IR_KEY);
    assertThat(infra).as("infra IR of %s: %s", PolicyStack.IR_KEY, result.infraIr()).isNotNull();
    return infra;
  }

  /**
   * Records a metric as {@code name} and, per data point, {@code name{key=value,...}}: Envoy
   * exports tag-extracted names, the tags (the cluster name among them) as data point attributes.
   */
  private void record(io.opentelemetry.proto.metrics.v1.Metric m) {
    exported.add(m.getName());
    List<java.util.List<io.opentelemetry.proto.common.v1.KeyValue>> points = new ArrayList<>();
    m.getSum().getDataPointsList().forEach(p -> points.add(p.getAttributesList()));
    m.getGauge().getDataPointsList().forEach(p -> points.add(p.getAttributesList()));
    m.getHistogram().getDataPointsList().forEach(p -> points.add(p.getAttributesList()));
    for (var attrs : points) {
      StringBuilder sb = new StringBuilder(m.getName()).append('{');
      attrs.forEach(
          kv ->
              sb.append(kv.getKey())
                  .append('=')
                  .append(kv.getValue().getStringValue())
                  .append(','));
      exported.add(sb.append('}').toString());
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (collector != null) {
      collector.shutdownNow();
    }
  }

  private String scrape() {
    Http.Response r = Http.get(statsPort, null, "/stats/prometheus");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  @Test
  void prometheusIsScrapedFromTheStatsListenerWithTheConfiguredStats() {
    for (int i = 0; i < 3; i++) {
      assertThat(Http.get(stack.port(), "metrics.test", "/app/counted").status()).isEqualTo(200);
    }
    stack.await(
        "the route cluster's requests under its stat name",
        () ->
            scrape()
                .lines()
                .anyMatch(
                    l ->
                        l.startsWith("envoy_cluster_upstream_rq_total{")
                            && l.contains("envoy_cluster_name=\"httproute-default-app-0\"")
                            && !l.endsWith(" 0")));
    String body = scrape();
    assertThat(body).contains("# TYPE envoy_cluster_upstream_rq_total counter");
    // enableRequestResponseSizesStats: the upstream request and response size histograms.
    assertThat(body).contains("# TYPE envoy_cluster_upstream_rq_headers_size histogram");
    assertThat(body).contains("envoy_cluster_upstream_rs_body_size_bucket");
    // enableVirtualHostStats: the host's virtual cluster counts its requests.
    assertThat(body.lines())
        .anyMatch(
            l ->
                l.contains("vcluster")
                    && l.contains("metrics_test")
                    && l.contains("upstream_rq")
                    && !l.endsWith(" 0"));
    // The stats matcher keeps only the listed prefixes: listener manager stats are gone.
    assertThat(body).doesNotContain("envoy_listener_manager_");
  }

  @Test
  void theStatsListenerServesOnlyGetOnThePrometheusPath() {
    assertThat(Http.send("POST", statsPort, null, "/stats/prometheus").status()).isEqualTo(404);
    assertThat(Http.get(statsPort, null, "/config_dump").status()).isEqualTo(404);
    assertThat(Http.get(statsPort, null, "/quitquitquit").status()).isEqualTo(404);
  }

  @Test
  void perEndpointStatsAreKept() {
    assertThat(Http.get(stack.port(), "metrics.test", "/app/endpoint").status()).isEqualTo(200);
    stack.await(
        "per-endpoint stats of the backend",
        () ->
            Http.get(stack.envoy().adminPort(), null, "/stats?filter=endpoint")
                .body()
                .contains("127.0.0.1_" + echo.port()));
  }

  @Test
  void theOpenTelemetrySinkExportsToTheCollector() {
    assertThat(Http.get(stack.port(), "metrics.test", "/app/exported").status()).isEqualTo(200);
    // Envoy flushes its stats to the sinks every 5 s.
    // Envoy exports tag-extracted names: the cluster's stat name is an attribute.
    stack.await(
        "an export of the route cluster's requests under its stat name",
        () ->
            exported.stream()
                .anyMatch(
                    n ->
                        n.startsWith("cluster.upstream_rq_total{")
                            && n.contains("envoy.cluster_name=httproute-default-app-0,")));
  }
}
