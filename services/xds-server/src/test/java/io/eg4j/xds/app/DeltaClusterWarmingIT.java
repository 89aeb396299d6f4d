package io.eg4j.xds.app;

import static io.eg4j.xds.testing.Ir.dest;
import static io.eg4j.xds.testing.Ir.route;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.core.XdsResources;
import io.eg4j.xds.core.XdsTranslator;
import io.eg4j.xds.testing.XdsTestServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delta ADS over a real gRPC server, with the client playing Envoy: a cluster whose
 * ClusterLoadAssignment did not change is still sent that assignment again after the cluster,
 * because Envoy warms the updated cluster until it receives it (and on delta asks for nothing).
 * Live, while an endpoint response awaits its ACK, and on a stream resumed with
 * initial_resource_versions.
 */
class DeltaClusterWarmingIT {
  private static final String KEY = "default/eg";
  private static final Node NODE = Node.newBuilder().setId("default/eg/x").setCluster(KEY).build();
  private static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  private static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  private static final String LDS = Resources.V3.LISTENER_TYPE_URL;

  @TempDir Path dir;
  XdsTestServer server;
  ManagedChannel channel;
  XdsResources base;
  String cluster;

  @BeforeEach
  void start() throws Exception {
    server = XdsTestServer.start(dir, XdsEvents.NONE, false);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    base = new XdsTranslator().translate(ir());
    cluster =
        base.clusters().stream()
            .filter(c -> c.getType() == Cluster.DiscoveryType.EDS)
            .findFirst()
            .orElseThrow()
            .getName();
    assertThat(server.snapshots().update(KEY, base)).isTrue();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
  }

  @Test
  void anUpdatedClusterIsSentItsUnchangedEndpointsAfterIt() throws Exception {
    Client envoy = new Client();
    Held held = envoy.subscribeAndAck();
    envoy.send(request(LDS, List.of(), Map.of(), ""));
    envoy.ack(envoy.next());

    server.snapshots().update(KEY, withMaxConnections(base, 1234));
    DeltaDiscoveryResponse clusters = envoy.next();
    assertThat(clusters.getTypeUrl()).isEqualTo(CDS);
    assertThat(names(clusters)).containsExactly(cluster);
    DeltaDiscoveryResponse endpoints = envoy.next();
    assertThat(endpoints.getTypeUrl()).isEqualTo(EDS);
    assertThat(versions(endpoints)).isEqualTo(held.endpoints());
    envoy.ack(clusters);
    envoy.ack(endpoints);

    // A change that touches no cluster sends no endpoints.
    server.snapshots().update(KEY, withListenerBufferLimit(withMaxConnections(base, 1234)));
    DeltaDiscoveryResponse listeners = envoy.next();
    assertThat(listeners.getTypeUrl()).isEqualTo(LDS);
    envoy.ack(listeners);
    assertThat(envoy.poll(1)).isNull();

    // Each later cluster update sends them again.
    server.snapshots().update(KEY, withListenerBufferLimit(withMaxConnections(base, 2345)));
    assertThat(envoy.next().getTypeUrl()).isEqualTo(CDS);
    DeltaDiscoveryResponse again = envoy.next();
    assertThat(again.getTypeUrl()).isEqualTo(EDS);
    assertThat(versions(again)).isEqualTo(held.endpoints());
    envoy.close();
  }

  @Test
  void endpointsOwedWhileAnEndpointResponseAwaitsItsAckAreSentAfterIt() throws Exception {
    Client envoy = new Client();
    envoy.send(request(CDS, List.of(), Map.of(), ""));
    DeltaDiscoveryResponse clusters = envoy.next();
    envoy.send(request(EDS, List.of(cluster), Map.of(), ""));
    DeltaDiscoveryResponse endpoints = envoy.next();
    assertThat(endpoints.getTypeUrl()).isEqualTo(EDS);
    envoy.ack(clusters);

    // The endpoint response is not acknowledged yet when the cluster changes.
    server.snapshots().update(KEY, withMaxConnections(base, 1234));
    DeltaDiscoveryResponse update = envoy.next();
    assertThat(update.getTypeUrl()).isEqualTo(CDS);
    assertThat(envoy.poll(1)).isNull();

    envoy.ack(endpoints);
    DeltaDiscoveryResponse owed = envoy.next();
    assertThat(owed.getTypeUrl()).isEqualTo(EDS);
    assertThat(versions(owed)).isEqualTo(versions(endpoints));
    envoy.close();
  }

  @Test
  void aResumedStreamIsSentTheEndpointsOfAClusterThatChangedMeanwhile() throws Exception {
    Client first = new Client();
    Held held = first.subscribeAndAck();
    first.close();

    server.snapshots().update(KEY, withMaxConnections(base, 1234));
    Client resumed = new Client();
    resumed.send(request(CDS, List.of(), held.clusters(), ""));
    resumed.send(request(EDS, List.of(cluster), held.endpoints(), ""));
    DeltaDiscoveryResponse clusters = resumed.next();
    assertThat(clusters.getTypeUrl()).isEqualTo(CDS);
    assertThat(names(clusters)).containsExactly(cluster);
    DeltaDiscoveryResponse endpoints = resumed.next();
    assertThat(endpoints.getTypeUrl()).isEqualTo(EDS);
    assertThat(versions(endpoints)).isEqualTo(held.endpoints());
    resumed.close();

    // A stream resumed with every version current is sent nothing.
    Client current = new Client();
    Map<String, String> nowClusters = new TreeMap<>(held.clusters());
    nowClusters.putAll(versions(clusters));
    current.send(request(CDS, List.of(), nowClusters, ""));
    current.send(request(EDS, List.of(cluster), held.endpoints(), ""));
    assertThat(current.poll(1)).isNull();
    current.close();
  }

  @Test
  void aRejectedListenerIsSentAgainWhenTheConfigReturnsToIt() throws Exception {
    Client envoy = new Client();
    envoy.send(request(LDS, List.of(), Map.of(), ""));
    DeltaDiscoveryResponse first = envoy.next();
    assertThat(first.getTypeUrl()).isEqualTo(LDS);
    envoy.ack(first);

    // Envoy rejects a changed listener (say its port is taken) and keeps the one it had.
    XdsResources changed = withListenerBufferLimit(base);
    server.snapshots().update(KEY, changed);
    DeltaDiscoveryResponse rejected = envoy.next();
    assertThat(rejected.getTypeUrl()).isEqualTo(LDS);
    envoy.send(
        request(LDS, List.of(), Map.of(), rejected.getNonce()).toBuilder()
            .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage("cannot bind"))
            .build());
    // Not sent again at once: no NACK loop.
    assertThat(envoy.poll(1)).isNull();

    // The control plane withholds it: Envoy is sent the listener it holds (or nothing), and ACKs.
    server.snapshots().update(KEY, base);
    DeltaDiscoveryResponse back = envoy.poll(2);
    if (back != null) {
      envoy.ack(back);
    }

    // A retry: the rejected content once more. It must reach Envoy again, though its version is
    // the one Envoy rejected.
    server.snapshots().update(KEY, changed);
    DeltaDiscoveryResponse retried = envoy.next();
    assertThat(retried.getTypeUrl()).isEqualTo(LDS);
    assertThat(versions(retried)).isEqualTo(versions(rejected));
    envoy.close();
  }

  private static XdsIr ir() {
    return new XdsIr(
        KEY,
        List.of(
            new HttpListenerIr(
                KEY + "/http",
                "127.0.0.1",
                10080,
                80,
                List.of("*"),
                null,
                List.of(route("load").prefix("/load").to(dest("load", "HTTP", 10081)).build()),
                null)),
        List.of(),
        List.of(),
        List.of());
  }

  /** The resources with the EDS cluster's max_connections set; its endpoints unchanged. */
  private XdsResources withMaxConnections(XdsResources r, int limit) {
    List<Cluster> clusters =
        r.clusters().stream()
            .map(
                c ->
                    !c.getName().equals(cluster)
                        ? c
                        : c.toBuilder()
                            .setCircuitBreakers(
                                io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers.newBuilder()
                                    .addThresholds(
                                        io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers
                                            .Thresholds.newBuilder()
                                            .setMaxConnections(UInt32Value.of(limit))))
                            .build())
            .toList();
    return new XdsResources(r.listeners(), r.routes(), clusters, r.endpoints(), r.secrets());
  }

  private static XdsResources withListenerBufferLimit(XdsResources r) {
    List<Listener> listeners =
        r.listeners().stream()
            .map(l -> l.toBuilder().setPerConnectionBufferLimitBytes(UInt32Value.of(4321)).build())
            .toList();
    return new XdsResources(listeners, r.routes(), r.clusters(), r.endpoints(), r.secrets());
  }

  private static DeltaDiscoveryRequest request(
      String type, List<String> subscribe, Map<String, String> initial, String nonce) {
    return DeltaDiscoveryRequest.newBuilder()
        .setNode(NODE)
        .setTypeUrl(type)
        .addAllResourceNamesSubscribe(subscribe)
        .putAllInitialResourceVersions(initial)
        .setResponseNonce(nonce)
        .build();
  }

  private static List<String> names(DeltaDiscoveryResponse r) {
    return r.getResourcesList().stream()
        .map(io.envoyproxy.envoy.service.discovery.v3.Resource::getName)
        .toList();
  }

  private static Map<String, String> versions(DeltaDiscoveryResponse r) {
    Map<String, String> v = new TreeMap<>();
    r.getResourcesList().forEach(res -> v.put(res.getName(), res.getVersion()));
    return v;
  }

  /** The clusters and endpoints a client holds, by name and version. */
  record Held(Map<String, String> clusters, Map<String, String> endpoints) {}

  /** One delta ADS stream, its responses in a queue. */
  final class Client {
    final BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
    final StreamObserver<DeltaDiscoveryRequest> requests;

    Client() {
      requests =
          AggregatedDiscoveryServiceGrpc.newStub(channel)
              .deltaAggregatedResources(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(DeltaDiscoveryResponse r) {
                      responses.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                  });
    }

    void send(DeltaDiscoveryRequest r) {
      requests.onNext(r);
    }

    void ack(DeltaDiscoveryResponse r) {
      send(request(r.getTypeUrl(), List.of(), Map.of(), r.getNonce()));
    }

    /** The next response; fails when none comes within 10 s. */
    DeltaDiscoveryResponse next() throws InterruptedException {
      DeltaDiscoveryResponse r = responses.poll(10, SECONDS);
      assertThat(r).as("a response").isNotNull();
      return r;
    }

    DeltaDiscoveryResponse poll(int seconds) throws InterruptedException {
      return responses.poll(seconds, SECONDS);
    }

    /** Subscribes to every cluster and to the EDS cluster's endpoints, and ACKs both. */
    Held subscribeAndAck() throws InterruptedException {
      send(request(CDS, List.of(), Map.of(), ""));
      DeltaDiscoveryResponse clusters = next();
      assertThat(clusters.getTypeUrl()).isEqualTo(CDS);
      send(request(EDS, List.of(cluster), Map.of(), ""));
      DeltaDiscoveryResponse endpoints = next();
      assertThat(endpoints.getTypeUrl()).isEqualTo(EDS);
      assertThat(names(endpoints)).containsExactly(cluster);
      ack(clusters);
      ack(endpoints);
      return new Held(versions(clusters), versions(endpoints));
    }

    void close() {
      requests.onCompleted();
    }
  }
}
