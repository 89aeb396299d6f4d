package io.eg4j.xds.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.core.XdsGoldenCases;
import io.eg4j.xds.testing.XdsTestServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Horizontal scale: two replicas (two snapshot caches, two real gRPC ADS servers) fed the same IR
 * serve byte-identical resources under the same versions, and an Envoy that reconnects to the other
 * replica is not sent what it already has (state of the world and delta).
 */
class XdsReplicasIT {
  @TempDir Path dir;

  static final Node NODE =
      Node.newBuilder().setId("default/tls/x").setCluster("default/tls").build();

  XdsIr ir() throws Exception {
    return XdsGoldenCases.read("tls-tcp-udp", "@CERT@", "c", "@KEY@", "k");
  }

  static ManagedChannel channel(XdsTestServer s) {
    return NettyChannelBuilder.forAddress("127.0.0.1", s.port()).usePlaintext().build();
  }

  static <T> StreamObserver<T> into(BlockingQueue<T> q) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T v) {
        q.add(v);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  static DiscoveryRequest sotw(String type, List<String> names, String version, String nonce) {
    return DiscoveryRequest.newBuilder()
        .setNode(NODE)
        .setTypeUrl(type)
        .addAllResourceNames(names)
        .setVersionInfo(version)
        .setResponseNonce(nonce)
        .build();
  }

  @Test
  void replicasServeIdenticalResourcesAndDoNotResendWhatEnvoyHas() throws Exception {
    try (XdsTestServer a = XdsTestServer.start(dir.resolve("a"), XdsEvents.NONE, false);
        XdsTestServer b = XdsTestServer.start(dir.resolve("b"), XdsEvents.NONE, false)) {
      a.snapshots().update(ir());
      b.snapshots().update(ir());
      ManagedChannel ca = channel(a);
      ManagedChannel cb = channel(b);
      try {
        // State of the world: the same CDS bytes and version from both replicas.
        DiscoveryResponse fromA = firstSotw(ca, Resources.V3.CLUSTER_TYPE_URL, List.of());
        DiscoveryResponse fromB = firstSotw(cb, Resources.V3.CLUSTER_TYPE_URL, List.of());
        assertThat(fromB.getVersionInfo()).isEqualTo(fromA.getVersionInfo());
        assertThat(fromB.getResourcesList()).isEqualTo(fromA.getResourcesList());

        // Reconnecting to B with A's version: B has nothing new to say.
        BlockingQueue<DiscoveryResponse> q = new LinkedBlockingQueue<>();
        StreamObserver<DiscoveryRequest> req =
            AggregatedDiscoveryServiceGrpc.newStub(cb).streamAggregatedResources(into(q));
        req.onNext(sotw(Resources.V3.CLUSTER_TYPE_URL, List.of(), fromA.getVersionInfo(), ""));
        assertThat(q.poll(1, TimeUnit.SECONDS)).isNull();
        req.onCompleted();

        // Delta: the same per-resource versions from both replicas ...
        Map<String, String> va = firstDelta(ca, Map.of());
        Map<String, String> vb = firstDelta(cb, Map.of());
        assertThat(va).isNotEmpty().isEqualTo(vb);
        // ... so a delta reconnect to the other replica is answered with the very versions the
        // Envoy already holds (java-control-plane 1.0.49 resends them on a new delta stream
        // rather than honouring initial_resource_versions; Envoy sees them as unchanged).
        BlockingQueue<DeltaDiscoveryResponse> dq = new LinkedBlockingQueue<>();
        StreamObserver<DeltaDiscoveryRequest> dreq =
            AggregatedDiscoveryServiceGrpc.newStub(cb).deltaAggregatedResources(into(dq));
        dreq.onNext(
            DeltaDiscoveryRequest.newBuilder()
                .setNode(NODE)
                .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
                .putAllInitialResourceVersions(va)
                .build());
        DeltaDiscoveryResponse again = dq.poll(10, TimeUnit.SECONDS);
        if (again != null) {
          Map<String, String> resent = new TreeMap<>();
          again.getResourcesList().forEach(r -> resent.put(r.getName(), r.getVersion()));
          assertThat(va).containsAllEntriesOf(resent);
        }
        dreq.onCompleted();
      } finally {
        ca.shutdownNow();
        cb.shutdownNow();
      }
    }
  }

  DiscoveryResponse firstSotw(ManagedChannel ch, String type, List<String> names)
      throws InterruptedException {
    BlockingQueue<DiscoveryResponse> q = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> req =
        AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(into(q));
    req.onNext(sotw(type, names, "", ""));
    DiscoveryResponse r = q.poll(10, TimeUnit.SECONDS);
    assertThat(r).isNotNull();
    req.onCompleted();
    return r;
  }

  Map<String, String> firstDelta(ManagedChannel ch, Map<String, String> initial)
      throws InterruptedException {
    BlockingQueue<DeltaDiscoveryResponse> q = new LinkedBlockingQueue<>();
    StreamObserver<DeltaDiscoveryRequest> req =
        AggregatedDiscoveryServiceGrpc.newStub(ch).deltaAggregatedResources(into(q));
    req.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(NODE)
            .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
            .putAllInitialResourceVersions(initial)
            .build());
    DeltaDiscoveryResponse r = q.poll(10, TimeUnit.SECONDS);
    assertThat(r).isNotNull();
    req.onCompleted();
    Map<String, String> versions = new TreeMap<>();
    r.getResourcesList().forEach(res -> versions.put(res.getName(), res.getVersion()));
    return versions;
  }
}
