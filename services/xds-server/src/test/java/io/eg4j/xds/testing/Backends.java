package io.eg4j.xds.testing;

import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** Non-HTTP backends and clients for E2E tests: TCP, TLS and UDP line echoes, a gRPC echo. */
public final class Backends {
  private Backends() {}

  /** A running backend. */
  public interface Running extends AutoCloseable {
    int port();

    @Override
    void close();
  }

  /** A TCP server on 127.0.0.1 that answers each line with {@code prefix + line}. */
  public static Running tcpEcho(String prefix) throws IOException {
    return lineEcho(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), prefix);
  }

  /** A TLS server on 127.0.0.1 (certificate chain and key PEM) answering lines like tcpEcho. */
  public static Running tlsEcho(String prefix, String certPem, String keyPem) throws Exception {
    return lineEcho(tlsServerSocket(certPem, keyPem), prefix);
  }

  /** A TLS server socket on 127.0.0.1 with a certificate chain and key (PEM). */
  static SSLServerSocket tlsServerSocket(String certPem, String keyPem) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "k", privateKey(keyPem), new char[0], certs(certPem).toArray(new Certificate[0]));
    kmf.init(ks, new char[0]);
    ctx.init(kmf.getKeyManagers(), null, null);
    return (SSLServerSocket)
        ctx.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  private static Running lineEcho(ServerSocket ss, String prefix) {
    ExecutorService pool = Executors.newCachedThreadPool(daemon("echo-" + prefix));
    pool.execute(
        () -> {
          while (!ss.isClosed()) {
            try {
              Socket s = ss.accept();
              pool.execute(
                  () -> {
                    try (s;
                        BufferedReader in =
                            new BufferedReader(
                                new InputStreamReader(
                                    s.getInputStream(), StandardCharsets.UTF_8))) {
                      OutputStream out = s.getOutputStream();
                      String line;
                      while ((line = in.readLine()) != null) {
                        out.write((prefix + line + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                      }
                    } catch (IOException ignored) {
                      // connection closed by the client
                    }
                  });
            } catch (IOException e) {
              return;
            }
          }
        });
    return new Running() {
      @Override
      public int port() {
        return ss.getLocalPort();
      }

      @Override
      public void close() {
        try {
          ss.close();
        } catch (IOException ignored) {
          // closing
        }
        pool.shutdownNow();
      }
    };
  }

  /** A UDP server on 127.0.0.1 that answers each datagram with {@code prefix + payload}. */
  public static Running udpEcho(String prefix) throws IOException {
    DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    Thread t =
        daemon("udp-" + prefix)
            .newThread(
                () -> {
                  byte[] buf = new byte[2048];
                  while (!socket.isClosed()) {
                    try {
                      DatagramPacket p = new DatagramPacket(buf, buf.length);
                      socket.receive(p);
                      byte[] reply =
                          (prefix
                                  + new String(
                                      p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                              .getBytes(StandardCharsets.UTF_8);
                      socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                    } catch (IOException e) {
                      return;
                    }
                  }
                });
    t.start();
    return new Running() {
      @Override
      public int port() {
        return socket.getLocalPort();
      }

      @Override
      public void close() {
        socket.close();
      }
    };
  }

  /** Sends one line over TCP and reads one line back. */
  public static String tcpRoundTrip(int port, String line) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
          .readLine();
    }
  }

  /** Opens TLS with an SNI name, trusting {@code caPem}; returns [reply line, peer cert SANs]. */
  public static String[] tlsRoundTrip(int port, String sni, String caPem, String line)
      throws Exception {
    try (SSLSocket s = tlsSocket(port, sni, caPem)) {
      s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      String reply =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      return new String[] {reply, sans(s)};
    }
  }

  /** An HTTP/1.1 GET over TLS with an SNI name; returns [status line + body, peer cert SANs]. */
  public static String[] httpsGet(int port, String sni, String caPem, String path)
      throws Exception {
    try (SSLSocket s = tlsSocket(port, sni, caPem)) {
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.UTF_8));
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new String[] {response, sans(s)};
    }
  }

  private static SSLSocket tlsSocket(int port, String sni, String caPem) throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    int i = 0;
    for (X509Certificate c : certs(caPem)) {
      ts.setCertificateEntry("ca" + i++, c);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    s.setSoTimeout(10000);
    SSLParameters p = s.getSSLParameters();
    p.setServerNames(List.of(new SNIHostName(sni)));
    p.setApplicationProtocols(new String[] {"http/1.1"});
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  private static String sans(SSLSocket s) throws Exception {
    X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
    return String.valueOf(peer.getSubjectAlternativeNames());
  }

  /** Sends one datagram and waits for one reply. */
  public static String udpRoundTrip(int port, String payload) throws IOException {
    try (DatagramSocket s = new DatagramSocket()) {
      s.setSoTimeout(2000);
      byte[] b = payload.getBytes(StandardCharsets.UTF_8);
      s.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), port));
      byte[] buf = new byte[2048];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      s.receive(p);
      return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }
  }

  /** The unary method of the test gRPC echo: a string in, a string out. */
  public static final MethodDescriptor<String, String> ECHO =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("eg4j.test.Echo/Say")
          .setRequestMarshaller(new Utf8())
          .setResponseMarshaller(new Utf8())
          .build();

  /** A gRPC server (h2c) on 127.0.0.1 whose Echo/Say answers {@code prefix + request}. */
  public static Server grpcEcho(String prefix) throws IOException {
    BindableService svc =
        () ->
            ServerServiceDefinition.builder("eg4j.test.Echo")
                .addMethod(
                    ECHO,
                    ServerCalls.asyncUnaryCall(
                        (req, obs) -> {
                          obs.onNext(prefix + req);
                          obs.onCompleted();
                        }))
                .build();
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(svc)
        .build()
        .start();
  }

  /** Calls Echo/Say through a channel. */
  public static String grpcSay(ManagedChannel channel, String msg) {
    return ClientCalls.blockingUnaryCall(
        channel, ECHO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), msg);
  }

  private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static PrivateKey privateKey(String pem) throws Exception {
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
  }

  @SuppressWarnings("unchecked")
  static List<X509Certificate> certs(String pem) throws Exception {
    return (List<X509Certificate>)
        (List<?>)
            List.copyOf(
                CertificateFactory.getInstance("X.509")
                    .generateCertificates(
                        new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
