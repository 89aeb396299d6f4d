package io.eg4j.xds.bench;

import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.testing.XdsTestServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One route change pushed to many real delta-ADS gRPC streams (target: 500 streams, all within 1
 * s). Each stream subscribes to the route configuration, ACKs every response, and records when the
 * changed route arrives. Run: {@code java -cp ... io.eg4j.xds.bench.DeltaFanoutBenchmark [streams]
 * [routes]}.
 */
public final class DeltaFanoutBenchmark {
  private DeltaFanoutBenchmark() {}

  /** Like Envoy with eg4j's bootstrap: the node on every request. */
  static Node node(int i) {
    return Node.newBuilder().setId("default/eg/bench-" + i).setCluster("default/eg").build();
  }

  public static void main(String[] args) throws Exception {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int routes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    try (XdsTestServer server =
        XdsTestServer.start(
            Files.createTempDirectory("eg4j-bench"),
            XdsEvents.NONE,
            false,
            Duration.ofSeconds(2))) {
      server.snapshots().update(BenchIr.http(routes, 0));
      List<ManagedChannel> channels = new ArrayList<>();
      int perChannel = 10;
      for (int i = 0; i < (streams + perChannel - 1) / perChannel; i++) {
        channels.add(
            NettyChannelBuilder.forAddress("127.0.0.1", server.port())
                .usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build());
      }
      CountDownLatch initial = new CountDownLatch(streams);
      CountDownLatch changed = new CountDownLatch(streams);
      AtomicLong pushStart = new AtomicLong();
      long[] arrival = new long[streams];
      List<StreamObserver<DeltaDiscoveryRequest>> senders = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        int idx = i;
        AtomicReference<StreamObserver<DeltaDiscoveryRequest>> self = new AtomicReference<>();
        StreamObserver<DeltaDiscoveryResponse> receiver =
            new StreamObserver<>() {
              int seen;

              @Override
              public void onNext(DeltaDiscoveryResponse r) {
                self.get()
                    .onNext(
                        DeltaDiscoveryRequest.newBuilder()
                            .setNode(node(idx))
                            .setTypeUrl(r.getTypeUrl())
                            .setResponseNonce(r.getNonce())
                            .build());
                seen++;
                if (seen == 1) {
                  initial.countDown();
                } else if (seen == 2) {
                  arrival[idx] = System.nanoTime() - pushStart.get();
                  changed.countDown();
                }
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            };
        StreamObserver<DeltaDiscoveryRequest> sender =
            AggregatedDiscoveryServiceGrpc.newStub(channels.get(i / perChannel))
                .deltaAggregatedResources(receiver);
        self.set(sender);
        senders.add(sender);
        sender.onNext(
            DeltaDiscoveryRequest.newBuilder()
                .setNode(node(i))
                .setTypeUrl(Resources.V3.ROUTE_TYPE_URL)
                .addResourceNamesSubscribe("default/eg/http")
                .build());
      }
      if (!initial.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("streams did not get their initial routes");
      }
      Thread.sleep(500);
      pushStart.set(System.nanoTime());
      server.snapshots().update(BenchIr.http(routes, 1));
      while (!server.snapshots().settled("default/eg")) {
        Thread.onSpinWait();
      }
      long snapshotSet = System.nanoTime() - pushStart.get();
      boolean all = changed.await(30, TimeUnit.SECONDS);
      long total = System.nanoTime() - pushStart.get();
      long[] sorted = arrival.clone();
      Arrays.sort(sorted);
      System.out.printf(
          "one route change (%d routes) to %d delta ADS streams over %d channels: %s%n",
          routes, streams, channels.size(), all ? "all received" : changed.getCount() + " missing");
      System.out.printf(
          "  snapshot set (translate, hash, setSnapshot) after %.1f ms%n", snapshotSet / 1e6);
      System.out.printf(
          "  arrival after update(): p50 %.1f ms  p99 %.1f ms  max %.1f ms  (all within %.1f ms)%n",
          sorted[streams / 2] / 1e6,
          sorted[(int) (streams * 0.99)] / 1e6,
          sorted[streams - 1] / 1e6,
          total / 1e6);
      senders.forEach(StreamObserver::onCompleted);
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }
}
