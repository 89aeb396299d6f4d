package io.eg4j.standalone;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real gRPC ADS client (state of the world) for tests: subscribes to listeners, routes, clusters
 * and endpoints with one node identity, ACKs every response, keeps the latest response per type and
 * the history of every response it ever received (across reconnects).
 */
final class AdsTestClient implements AutoCloseable {
  static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
  static final List<String> TYPES = List.of(CDS, EDS, LDS, RDS);

  /** One response as received. */
  record Seen(String typeUrl, String version, int resources) {}

  private final String host;
  private final int port;
  private final java.nio.file.Path certs;
  private final Node node;
  private final Map<String, DiscoveryResponse> latest = new ConcurrentHashMap<>();
  private final List<Seen> history = new CopyOnWriteArrayList<>();
  private volatile ManagedChannel channel;
  private volatile StreamObserver<DiscoveryRequest> requests;
  private volatile boolean closed;

  /**
   * A client of the xds-server at host:port, as a proxy of {@code nodeCluster}.
   *
   * @param certs the directory with ca.crt, client.crt and client.key for mTLS, or null for
   *     plaintext
   */
  AdsTestClient(String host, int port, String nodeCluster, java.nio.file.Path certs) {
    this.host = host;
    this.port = port;
    this.certs = certs;
    this.node = Node.newBuilder().setCluster(nodeCluster).setId(nodeCluster + "/test").build();
  }

  /** Opens a stream (a new one after the old one broke) and subscribes to every type. */
  synchronized void connect() {
    if (channel != null) {
      channel.shutdownNow();
    }
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(host, port);
    if (certs == null) {
      b.usePlaintext();
    } else {
      try {
        b.sslContext(
            io.grpc.netty.GrpcSslContexts.forClient()
                .trustManager(certs.resolve("ca.crt").toFile())
                .keyManager(
                    certs.resolve("client.crt").toFile(), certs.resolve("client.key").toFile())
                .build());
      } catch (javax.net.ssl.SSLException e) {
        throw new IllegalStateException(e);
      }
    }
    channel = b.build();
    requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse r) {
                    latest.put(r.getTypeUrl(), r);
                    history.add(
                        new Seen(r.getTypeUrl(), r.getVersionInfo(), r.getResourcesCount()));
                    send(
                        DiscoveryRequest.newBuilder()
                            .setNode(node)
                            .setTypeUrl(r.getTypeUrl())
                            .setVersionInfo(r.getVersionInfo())
                            .setResponseNonce(r.getNonce())
                            .build());
                  }

                  @Override
                  public void onError(Throwable t) {
                    requests = null;
                  }

                  @Override
                  public void onCompleted() {
                    requests = null;
                  }
                });
    for (String type : TYPES) {
      send(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type).build());
    }
  }

  private synchronized void send(DiscoveryRequest r) {
    StreamObserver<DiscoveryRequest> s = requests;
    if (s != null && !closed) {
      try {
        s.onNext(r);
      } catch (RuntimeException e) {
        requests = null;
      }
    }
  }

  /** True while the stream is open. */
  boolean connected() {
    return requests != null;
  }

  /** The latest response of a type, or null. */
  DiscoveryResponse latest(String typeUrl) {
    return latest.get(typeUrl);
  }

  /** Every response received so far. */
  List<Seen> history() {
    return List.copyOf(history);
  }

  /** Waits until the latest responses satisfy {@code condition}, reconnecting when needed. */
  void await(String what, Duration timeout, Predicate<AdsTestClient> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.test(this)) {
        return;
      }
      if (!connected()) {
        Thread.sleep(200);
        connect();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what + "; history " + history);
  }

  /** The number of resources in the latest response of a type (0 when none came). */
  int count(String typeUrl) {
    DiscoveryResponse r = latest.get(typeUrl);
    return r == null ? 0 : r.getResourcesCount();
  }

  /** The version of the latest response of a type, or null. */
  String version(String typeUrl) {
    DiscoveryResponse r = latest.get(typeUrl);
    return r == null ? null : r.getVersionInfo();
  }

  @Override
  public synchronized void close() throws InterruptedException {
    closed = true;
    StreamObserver<DiscoveryRequest> s = requests;
    if (s != null) {
      try {
        s.onCompleted();
      } catch (RuntimeException ignored) {
        // already broken
      }
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
