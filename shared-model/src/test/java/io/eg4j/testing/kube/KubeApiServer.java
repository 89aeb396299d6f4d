package io.eg4j.testing.kube;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real Kubernetes control plane on loopback for the tests, as controller-runtime's envtest
 * provides one: etcd, kube-apiserver (RBAC on, audit log of every write) and
 * kube-controller-manager, built from the Go module proxy by {@code tools/kube/build.sh} and
 * cached. Certificates and service-account keys come from openssl. One instance serves the whole
 * test JVM ({@link #shared()}); it stops when the JVM exits.
 *
 * <p>There is no node: Deployments get ReplicaSets and Pods, which stay Pending.
 */
public final class KubeApiServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static KubeApiServer shared;

  private final Path dir;
  private final List<Process> processes = new ArrayList<>();

  /** The API server's port, chosen at start (a retry chooses anew). */
  private int port;

  private final String kubeconfig;

  /** The JVM-wide instance, started on first use. */
  public static synchronized KubeApiServer shared() {
    if (shared == null) {
      // Ports are chosen free and then bound by the child processes: another process can take one
      // in between. A start that fails is retried on fresh ports, a bounded number of times.
      IOException last = null;
      for (int attempt = 1; attempt <= 3 && shared == null; attempt++) {
        try {
          shared = new KubeApiServer();
        } catch (IOException e) {
          last = e;
        }
      }
      if (shared == null) {
        throw new IllegalStateException("could not start the test kube-apiserver: " + last, last);
      }
      KubeApiServer s = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "kube-apiserver-stop"));
    }
    return shared;
  }

  private KubeApiServer() throws IOException {
    Path bin = binaries();
    dir = Files.createTempDirectory("eg4j-kube-");
    try {
      startAll(bin);
    } catch (IOException | RuntimeException e) {
      // Nothing outlives a failed start; the logs stay in dir for the message.
      stopProcesses();
      throw e;
    }
    kubeconfig = Files.readString(dir.resolve("kubeconfig"));
  }

  private void startAll(Path bin) throws IOException {
    certificates();
    int etcdPort = freePort();
    int peerPort = freePort();
    port = freePort();
    Files.writeString(
        dir.resolve("audit-policy.yaml"),
        """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
        - level: Metadata
          verbs: [create, update, patch, delete, deletecollection]
        - level: None
        """);
    start(
        "etcd",
        bin.resolve("etcd").toString(),
        "--name=eg4j",
        "--data-dir=" + dir.resolve("etcd"),
        "--listen-client-urls=http://127.0.0.1:" + etcdPort,
        "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
        "--listen-peer-urls=http://127.0.0.1:" + peerPort,
        "--initial-advertise-peer-urls=http://127.0.0.1:" + peerPort,
        "--initial-cluster=eg4j=http://127.0.0.1:" + peerPort,
        "--unsafe-no-fsync=true",
        "--log-level=warn");
    start(
        "kube-apiserver",
        bin.resolve("kube-apiserver").toString(),
        "--etcd-servers=http://127.0.0.1:" + etcdPort,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        "--secure-port=" + port,
        "--cert-dir=" + dir,
        "--tls-cert-file=" + dir.resolve("apiserver.crt"),
        "--tls-private-key-file=" + dir.resolve("apiserver.key"),
        "--client-ca-file=" + dir.resolve("ca.crt"),
        "--service-account-key-file=" + dir.resolve("sa.pub"),
        "--service-account-signing-key-file=" + dir.resolve("sa.key"),
        "--service-account-issuer=https://kubernetes.default.svc",
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--allow-privileged=true",
        // The "kubernetes" Service cannot point at a loopback address.
        "--endpoint-reconciler-type=none",
        "--audit-policy-file=" + dir.resolve("audit-policy.yaml"),
        "--audit-log-path=" + dir.resolve("audit.log"),
        "--audit-log-format=json",
        "--audit-log-mode=blocking",
        "--v=0");
    Files.writeString(dir.resolve("kubeconfig"), kubeconfig(port));
    awaitReady();
    start(
        "kube-controller-manager",
        bin.resolve("kube-controller-manager").toString(),
        "--kubeconfig=" + dir.resolve("kubeconfig"),
        "--leader-elect=false",
        "--secure-port=0",
        "--service-account-private-key-file=" + dir.resolve("sa.key"),
        "--root-ca-file=" + dir.resolve("ca.crt"),
        "--cluster-signing-cert-file=" + dir.resolve("ca.crt"),
        "--cluster-signing-key-file=" + dir.resolve("ca.key"),
        "--use-service-account-credentials=false",
        "--v=0");
  }

  /** The API server's URL, {@code https://127.0.0.1:<port>}. */
  public String url() {
    return "https://127.0.0.1:" + port;
  }

  /** A kubeconfig file for the cluster administrator (group {@code system:masters}). */
  public Path kubeconfigFile() {
    return dir.resolve("kubeconfig");
  }

  /** The fabric8 configuration of the cluster administrator. */
  public Config config() {
    Config c = Config.fromKubeconfig(kubeconfig);
    c.setConnectionTimeout(30_000);
    c.setRequestTimeout(60_000);
    return c;
  }

  /** A new client as the cluster administrator; the caller closes it. */
  public KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  /**
   * A new client that authenticates with {@code token} (a ServiceAccount token from the
   * TokenRequest API, say) and is subject to RBAC; the caller closes it.
   */
  public KubernetesClient clientWithToken(String token) {
    Config c = config();
    c.setClientCertData(null);
    c.setClientKeyData(null);
    c.setOauthToken(token);
    c.setAutoOAuthToken(token);
    return new KubernetesClientBuilder().withConfig(c).build();
  }

  /**
   * The audit log: one JSON line per write (create, update, patch, delete) since the server
   * started, at Metadata level.
   */
  public List<String> auditLines() throws IOException {
    Path log = dir.resolve("audit.log");
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  /**
   * Installs the CRDs of every YAML file under {@code directory} (server-side apply) and waits
   * until each is Established.
   */
  public void installCrds(Path directory) throws IOException {
    try (KubernetesClient c = client();
        Stream<Path> files = Files.walk(directory)) {
      List<Path> yamls =
          files
              .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
      for (Path f : yamls) {
        try (InputStream in = Files.newInputStream(f)) {
          for (var item : c.load(in).items()) {
            if (!"CustomResourceDefinition".equals(item.getKind())) {
              continue;
            }
            c.resource(item).forceConflicts().serverSideApply();
            c.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(item.getMetadata().getName())
                .waitUntilCondition(
                    crd ->
                        crd != null
                            && crd.getStatus() != null
                            && crd.getStatus().getConditions() != null
                            && crd.getStatus().getConditions().stream()
                                .anyMatch(
                                    k ->
                                        "Established".equals(k.getType())
                                            && "True".equals(k.getStatus())),
                    60,
                    java.util.concurrent.TimeUnit.SECONDS);
          }
        }
      }
    }
  }

  /** The repository's CRDs (Gateway API and Envoy Gateway), from {@code third_party/crds}. */
  public void installProjectCrds() throws IOException {
    installCrds(repositoryRoot().resolve("third_party/crds"));
  }

  /** Creates {@code namespace} unless it exists. */
  public void ensureNamespace(String namespace) {
    try (KubernetesClient c = client()) {
      if (c.namespaces().withName(namespace).get() == null) {
        c.namespaces()
            .resource(
                new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                    .withNewMetadata()
                    .withName(namespace)
                    .endMetadata()
                    .build())
            .create();
      }
    }
  }

  @Override
  public synchronized void close() {
    stopProcesses();
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // the temporary directory is left behind
    }
  }

  private synchronized void stopProcesses() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
  }

  /** The repository root: the nearest directory above the working one with tools/kube. */
  public static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("tools/kube/build.sh"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("tools/kube/build.sh not found above " + Path.of(""));
    }
    return p;
  }

  /**
   * The directory with etcd, kube-apiserver and kube-controller-manager: {@code EG4J_KUBE_BIN}, or
   * what {@code tools/kube/build.sh} prints (it builds them the first time, about 8 minutes).
   */
  private static Path binaries() throws IOException {
    String env = System.getenv("EG4J_KUBE_BIN");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(buildTool("tools/kube/build.sh"));
  }

  /**
   * Runs one of the repository's build scripts ({@code tools/kube/build.sh}, {@code
   * tools/helm/build.sh}: each builds its tool from the Go module proxy the first time, cached) and
   * returns the last line it prints, the path of what it built.
   *
   * @param script the script, relative to the repository root
   */
  public static String buildTool(String script) throws IOException {
    Path path = repositoryRoot().resolve(script);
    Process p =
        new ProcessBuilder("bash", path.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (p.waitFor() != 0) {
        throw new IOException(path + " failed (exit " + p.exitValue() + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + path, e);
    }
    String[] lines = out.split("\n");
    return lines[lines.length - 1].trim();
  }

  private void start(String name, String... command) throws IOException {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile())
            .start();
    processes.add(p);
  }

  private void awaitReady() throws IOException {
    HttpClient http;
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(dir.resolve("ca.crt"))) {
        trust.setCertificateEntry(
            "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .sslContext(ssl)
              .connectTimeout(Duration.ofSeconds(2))
              .build();
    } catch (Exception e) {
      throw new IOException("could not read the test CA: " + e, e);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IOException(
              "a control-plane process exited (" + p.exitValue() + "); logs in " + dir);
        }
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url() + "/readyz"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
        last = "HTTP " + r.statusCode();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
    throw new IOException(
        "kube-apiserver not ready after " + START_TIMEOUT + " (" + last + "); logs in " + dir);
  }

  /** CA, serving certificate, administrator client certificate and service-account keys. */
  private void certificates() throws IOException {
    Files.writeString(
        dir.resolve("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
            + "DNS:kubernetes.default.svc,IP:10.96.0.1\n"
            + "extendedKeyUsage=serverAuth\n");
    Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    openssl("genrsa", "-out", "ca.key", "2048");
    openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-subj",
        "/CN=eg4j-test-ca",
        "-days",
        "3650",
        "-out",
        "ca.crt");
    openssl("genrsa", "-out", "apiserver.key", "2048");
    openssl(
        "req",
        "-new",
        "-key",
        "apiserver.key",
        "-subj",
        "/CN=kube-apiserver",
        "-out",
        "apiserver.csr");
    openssl(
        "x509",
        "-req",
        "-in",
        "apiserver.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "3650",
        "-extfile",
        "server.ext",
        "-out",
        "apiserver.crt");
    openssl("genrsa", "-out", "admin.key", "2048");
    openssl(
        "req",
        "-new",
        "-key",
        "admin.key",
        "-subj",
        "/O=system:masters/CN=eg4j-test-admin",
        "-out",
        "admin.csr");
    openssl(
        "x509",
        "-req",
        "-in",
        "admin.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "3650",
        "-extfile",
        "client.ext",
        "-out",
        "admin.crt");
    openssl("genrsa", "-out", "sa.key", "2048");
    openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
  }

  private void openssl(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("openssl.log").toFile()))
            .start();
    try {
      if (p.waitFor() != 0) {
        throw new IOException("openssl " + String.join(" ", args) + " failed; see " + dir);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private String kubeconfig(int port) throws IOException {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: eg4j-test
          cluster:
            server: https://127.0.0.1:%d
            certificate-authority-data: %s
        users:
        - name: admin
          user:
            client-certificate-data: %s
            client-key-data: %s
        contexts:
        - name: eg4j-test
          context: {cluster: eg4j-test, user: admin, namespace: default}
        current-context: eg4j-test
        """
        .formatted(port, b64("ca.crt"), b64("admin.crt"), b64("admin.key"));
  }

  private String b64(String file) throws IOException {
    return Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve(file)));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
