package io.eg4j.xds.app;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.core.XdsGoldenCases;
import io.eg4j.xds.core.XdsResources;
import io.eg4j.xds.core.XdsTranslator;
import io.eg4j.xds.testing.XdsTestServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
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
import java.util.ArrayList;
import java.util.Collection;
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
 * replica is not sent what it already has (state of the world, and delta with
 * initial_resource_versions, wildcard and by name): only what changed or is gone.
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
  void aNackIsNotAnsweredWithTheConfigItRejected() throws Exception {
    try (XdsTestServer a = XdsTestServer.start(dir.resolve("nack"), XdsEvents.NONE, false)) {
      a.snapshots().update(ir());
      ManagedChannel ca = channel(a);
      try {
        BlockingQueue<DiscoveryResponse> q = new LinkedBlockingQueue<>();
        StreamObserver<DiscoveryRequest> req =
            AggregatedDiscoveryServiceGrpc.newStub(ca).streamAggregatedResources(into(q));
        req.onNext(sotw(Resources.V3.CLUSTER_TYPE_URL, List.of(), "", ""));
        DiscoveryResponse first = q.poll(10, SECONDS);
        assertThat(first).isNotNull();
        // Envoy rejects it: the NACK carries the last version it accepted (none yet).
        req.onNext(
            sotw(Resources.V3.CLUSTER_TYPE_URL, List.of(), "", first.getNonce()).toBuilder()
                .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage("bad"))
                .build());
        // Without damping the server answers at once with the same config, and again after
        // every NACK.
        assertThat(q.poll(1, SECONDS)).isNull();
        // The next change is sent.
        XdsResources now = new XdsTranslator().translate(ir());
        List<Cluster> changed = new ArrayList<>();
        for (Cluster c : now.clusters()) {
          changed.add(c.toBuilder().setPerConnectionBufferLimitBytes(UInt32Value.of(4321)).build());
        }
        a.snapshots()
            .update(
                NODE.getCluster(),
                new XdsResources(
                    now.listeners(), now.routes(), changed, now.endpoints(), now.secrets()));
        DiscoveryResponse next = q.poll(10, SECONDS);
        assertThat(next).isNotNull();
        assertThat(next.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
        req.onCompleted();
      } finally {
        ca.shutdownNow();
      }
    }
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
        Map<String, String> va = firstDelta(ca, Resources.V3.CLUSTER_TYPE_URL, List.of());
        Map<String, String> vb = firstDelta(cb, Resources.V3.CLUSTER_TYPE_URL, List.of());
        assertThat(va).hasSizeGreaterThan(1).isEqualTo(vb);
        Map<String, String> ea = firstDelta(ca, Resources.V3.ENDPOINT_TYPE_URL, va.keySet());
        assertThat(ea).isNotEmpty();

        // ... so a delta reconnect to the other replica that declares what it holds is sent
        // nothing: wildcard (CDS) and by name (EDS).
        assertThat(reconnect(cb, Resources.V3.CLUSTER_TYPE_URL, List.of(), va).poll(1, SECONDS))
            .isNull();
        assertThat(reconnect(cb, Resources.V3.ENDPOINT_TYPE_URL, ea.keySet(), ea).poll(1, SECONDS))
            .isNull();

        // A client holding a stale version of one cluster and a cluster that is gone is sent
        // exactly that cluster and told the other one is removed.
        String stale = va.keySet().iterator().next();
        Map<String, String> held = new TreeMap<>(va);
        held.put(stale, "old");
        held.put("gone", "v0");
        DeltaDiscoveryResponse fix =
            reconnect(cb, Resources.V3.CLUSTER_TYPE_URL, List.of(), held).poll(10, SECONDS);
        assertThat(fix).isNotNull();
        assertThat(versions(fix)).containsExactly(Map.entry(stale, va.get(stale)));
        assertThat(fix.getRemovedResourcesList()).containsExactly("gone");

        // The same for a subscription by name.
        String staleEds = ea.keySet().iterator().next();
        Map<String, String> heldEds = new TreeMap<>(ea);
        heldEds.put(staleEds, "old");
        DeltaDiscoveryResponse fixEds =
            reconnect(cb, Resources.V3.ENDPOINT_TYPE_URL, ea.keySet(), heldEds).poll(10, SECONDS);
        assertThat(fixEds).isNotNull();
        assertThat(versions(fixEds)).containsExactly(Map.entry(staleEds, ea.get(staleEds)));

        // A resumed stream that was sent nothing then gets exactly the one cluster that changes,
        // not the ones it declared.
        BlockingQueue<DeltaDiscoveryResponse> live = new LinkedBlockingQueue<>();
        StreamObserver<DeltaDiscoveryRequest> liveReq =
            AggregatedDiscoveryServiceGrpc.newStub(cb).deltaAggregatedResources(into(live));
        liveReq.onNext(
            DeltaDiscoveryRequest.newBuilder()
                .setNode(NODE)
                .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
                .putAllInitialResourceVersions(va)
                .build());
        assertThat(live.poll(1, SECONDS)).isNull();
        XdsResources now = new XdsTranslator().translate(ir());
        List<Cluster> changed = new ArrayList<>();
        for (Cluster c : now.clusters()) {
          changed.add(
              c.getName().equals(stale)
                  ? c.toBuilder().setPerConnectionBufferLimitBytes(UInt32Value.of(12345)).build()
                  : c);
        }
        b.snapshots()
            .update(
                NODE.getCluster(),
                new XdsResources(
                    now.listeners(), now.routes(), changed, now.endpoints(), now.secrets()));
        DeltaDiscoveryResponse push = live.poll(10, SECONDS);
        assertThat(push).isNotNull();
        assertThat(versions(push).keySet()).containsExactly(stale);
        assertThat(versions(push).get(stale)).isNotEqualTo(va.get(stale));
        assertThat(push.getRemovedResourcesList()).isEmpty();

        // After the ACK, a cluster the client declared (and was never sent on this stream) is
        // removed from the snapshot: the stream lists it in removed_resources.
        liveReq.onNext(
            DeltaDiscoveryRequest.newBuilder()
                .setNode(NODE)
                .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
                .setResponseNonce(push.getNonce())
                .build());
        String dropped =
            va.keySet().stream().filter(n -> !n.equals(stale)).findFirst().orElseThrow();
        b.snapshots()
            .update(
                NODE.getCluster(),
                new XdsResources(
                    now.listeners(),
                    now.routes(),
                    changed.stream().filter(c -> !c.getName().equals(dropped)).toList(),
                    now.endpoints(),
                    now.secrets()));
        DeltaDiscoveryResponse removal = live.poll(10, SECONDS);
        assertThat(removal).isNotNull();
        assertThat(removal.getResourcesList()).isEmpty();
        assertThat(removal.getRemovedResourcesList()).containsExactly(dropped);
        liveReq.onCompleted();
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

  /** A new delta stream's first request; the responses land in the returned queue. */
  BlockingQueue<DeltaDiscoveryResponse> reconnect(
      ManagedChannel ch, String type, Collection<String> names, Map<String, String> held) {
    BlockingQueue<DeltaDiscoveryResponse> q = new LinkedBlockingQueue<>();
    StreamObserver<DeltaDiscoveryRequest> req =
        AggregatedDiscoveryServiceGrpc.newStub(ch).deltaAggregatedResources(into(q));
    req.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(NODE)
            .setTypeUrl(type)
            .addAllResourceNamesSubscribe(names)
            .putAllInitialResourceVersions(held)
            .build());
    return q;
  }

  Map<String, String> firstDelta(ManagedChannel ch, String type, Collection<String> names)
      throws InterruptedException {
    DeltaDiscoveryResponse r = reconnect(ch, type, names, Map.of()).poll(10, SECONDS);
    assertThat(r).isNotNull();
    return versions(r);
  }

  static Map<String, String> versions(DeltaDiscoveryResponse r) {
    Map<String, String> versions = new TreeMap<>();
    r.getResourcesList().forEach(res -> versions.put(res.getName(), res.getVersion()));
    return versions;
  }
}
