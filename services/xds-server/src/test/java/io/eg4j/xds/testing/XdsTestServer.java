package io.eg4j.xds.testing;

import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.core.XdsSnapshots;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real ADS gRPC server on 127.0.0.1 for E2E tests: the same {@link XdsSnapshots} and discovery
 * server the app wires, on a Netty gRPC server with mTLS (client certificate required).
 */
public final class XdsTestServer implements AutoCloseable {
  private final XdsSnapshots snapshots;
  private final Server server;
  private final Path certs;

  private XdsTestServer(XdsSnapshots snapshots, Server server, Path certs) {
    this.snapshots = snapshots;
    this.server = server;
    this.certs = certs;
  }

  /** Starts a server with freshly generated certificates in {@code certDir}. */
  public static XdsTestServer start(Path certDir, XdsEvents events, boolean tls)
      throws IOException {
    return start(certDir, events, tls, Duration.ofSeconds(5));
  }

  /** Starts a server whose make-before-break steps wait at most {@code stepTimeout}. */
  public static XdsTestServer start(
      Path certDir, XdsEvents events, boolean tls, Duration stepTimeout) throws IOException {
    CertGen.generate(List.of(), Duration.ofDays(1)).writeTo(certDir);
    XdsSnapshots snapshots = new XdsSnapshots(events, stepTimeout);
    V3DiscoveryServer discovery = XdsSnapshots.discoveryServer(snapshots);
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .maxInboundMessageSize(64 * 1024 * 1024)
            .addService(discovery.getAggregatedDiscoveryServiceImpl());
    if (tls) {
      b.sslContext(
          GrpcSslContexts.forServer(
                  certDir.resolve(CertGen.SERVER_CERT).toFile(),
                  certDir.resolve(CertGen.SERVER_KEY).toFile())
              .trustManager(certDir.resolve(CertGen.CA_CERT).toFile())
              .clientAuth(ClientAuth.REQUIRE)
              .build());
    }
    Server server = b.build().start();
    return new XdsTestServer(snapshots, server, certDir);
  }

  /** The snapshot component. */
  public XdsSnapshots snapshots() {
    return snapshots;
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /** Where the CA, server and client certificates are. */
  public Path certs() {
    return certs;
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    snapshots.close();
  }
}
