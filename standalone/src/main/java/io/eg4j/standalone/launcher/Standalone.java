package io.eg4j.standalone.launcher;

import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.config.RateLimitTelemetry;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.provisioner.core.render.RateLimitInfra;
import io.eg4j.provisioner.host.EnvoyBinary;
import io.eg4j.provisioner.host.HostEnvoyProvisioner;
import io.eg4j.provisioner.host.HostProxyEvents;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * eg4j on one machine: a KRaft broker and the five services in this JVM, the watcher on a directory
 * of manifests, the provisioner running local Envoy processes, statuses written to files. In
 * Kubernetes mode ({@link StandaloneOptions#kubernetes()}, {@code eg4j run --kubeconfig}) the same
 * services work on a cluster instead: the watcher watches it, the status-writer writes statuses to
 * it, the provisioner creates the fleets in its controller namespace ({@link KubernetesCluster}).
 *
 * <p>Each service is its own Spring Boot application context with its own properties, so the
 * services stay as independent as in a cluster: they share nothing but the bus.
 */
public final class Standalone implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  /**
   * The default port of the local rate limit service's Prometheus metrics (Envoy Gateway's pods use
   * 19001, which is the watcher's actuator here).
   */
  static final int RATE_LIMIT_METRICS_PORT = 19006;

  /** The Secret the provisioner mounts in the proxies for mTLS to the xds-server (its default). */
  static final String XDS_CLIENT_SECRET = "envoy";

  private final StandaloneOptions options;
  private final DataDir dataDir;
  private final PrintStream out;
  private final Map<String, ConfigurableApplicationContext> contexts =
      Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, Integer> httpPorts = new LinkedHashMap<>();
  private final List<EchoServer> echoes = new ArrayList<>();
  private EmbeddedKraftBroker broker;
  private int xdsPort;
  private int wasmCachePort;
  private Path gatewayConfig;
  private RateLimitServiceProcess rateLimitService;
  private String envoyBinary;
  private boolean xdsTls;
  private boolean closed;
  private KubernetesCluster.Target cluster;
  private DataDir.Lock dataDirLock;

  private Standalone(StandaloneOptions options) {
    this.options = options;
    this.dataDir = new DataDir(options.dataDir());
    this.out = options.out();
  }

  /**
   * Starts everything and returns when every service reports ready. On failure whatever started is
   * stopped again before the exception propagates.
   */
  public static Standalone start(StandaloneOptions options) throws Exception {
    // Five Spring contexts in one JVM must not each re-initialise logging: logback.xml configures
    // it once for the whole process.
    System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    if (!org.slf4j.bridge.SLF4JBridgeHandler.isInstalled()) {
      org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
      org.slf4j.bridge.SLF4JBridgeHandler.install();
    }
    Standalone s = new Standalone(options);
    try {
      s.startAll();
      return s;
    } catch (Exception | Error e) {
      s.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    KubernetesTarget k8s = options.kubernetes();
    if (k8s == null && !Files.isDirectory(options.manifests())) {
      throw new IOException("manifest directory not found: " + options.manifests());
    }
    if (k8s != null) {
      // Before anything starts: an unreadable kubeconfig or an unreachable server fails here,
      // naming the file or the URL, instead of five services retrying in the background.
      cluster = KubernetesCluster.check(k8s.kubeconfig());
    }
    // First, before anything is written there: one instance per data directory.
    dataDirLock = dataDir.lock();
    if (options.clean() && dataDir.wipe()) {
      out.println("Wiped " + dataDir.root());
    }
    dataDir.prepare();
    SecretBox.fromFile(dataDir.busKey(), true);
    if (k8s == null) {
      gatewayConfig = options.gatewayConfig() != null ? options.gatewayConfig() : defaultConfig();
      out.println("eg4j standalone");
      out.println("  manifests  " + options.manifests());
    } else {
      // Envoy Gateway's defaults (the Kubernetes provider) unless --config names a file.
      gatewayConfig = options.gatewayConfig();
      out.println("eg4j on Kubernetes");
      out.printf(
          "  cluster    %s (context %s in %s, %s)%n",
          cluster.url(), cluster.context(), cluster.source(), cluster.version());
      if (KubernetesCluster.ensureNamespace(k8s.kubeconfig(), k8s.controllerNamespace(), out)) {
        out.println("  created namespace " + k8s.controllerNamespace());
      }
      out.println("  namespace  " + k8s.controllerNamespace() + " (proxy fleets, Leases)");
      List<String> missing = KubernetesCluster.missingGatewayApiCrds(k8s.kubeconfig());
      if (!missing.isEmpty()) {
        out.println(
            "WARNING: the Gateway API CRDs are not installed ("
                + String.join(", ", missing)
                + "); nothing is translated until they are");
      }
    }
    out.println("  data dir   " + dataDir.root());
    RateLimitServiceProcess.Settings rateLimit = checkRateLimitConfig(k8s != null);

    long t0 = System.nanoTime();
    int brokerPort = port(19092, "the Kafka broker");
    int controllerPort = Ports.free();
    try {
      broker = EmbeddedKraftBroker.start(dataDir.kafka(), brokerPort, controllerPort);
    } catch (Exception e) {
      if (!hasCause(e, java.net.BindException.class)) {
        throw e;
      }
      // Another process took the port between our check and the broker's bind: take any.
      brokerPort = Ports.free();
      controllerPort = Ports.free();
      out.println("Port taken while starting the broker; retrying on " + brokerPort);
      broker = EmbeddedKraftBroker.start(dataDir.kafka(), brokerPort, controllerPort);
    }
    out.printf(
        "Kafka broker (KRaft) up at %s in %s (data in %s)%n",
        broker.bootstrapServers(), seconds(t0), dataDir.kafka());

    xdsPort = port(18000, "the xds-server's gRPC");
    wasmCachePort = port(18002, "the Wasm module cache");
    for (ServiceSpec spec : ServiceSpec.ALL) {
      httpPorts.put(
          spec.name(), port(spec.defaultHttpPort(), "the " + spec.name() + "'s actuator"));
    }
    xdsTls = ensureCerts();
    if (xdsTls && proxiesReachXds()) {
      KubernetesCluster.applyXdsClientSecret(
          k8s.kubeconfig(), k8s.controllerNamespace(), XDS_CLIENT_SECRET, dataDir.certs());
      out.println(
          "  xDS        "
              + k8s.xdsAddress()
              + " with mTLS; client certificate in Secret "
              + k8s.controllerNamespace()
              + "/"
              + XDS_CLIENT_SECRET);
    }
    envoyBinary = options.envoyBinary() != null ? options.envoyBinary() : "envoy";
    if (k8s == null) {
      Optional<Path> envoy = EnvoyBinary.resolve(envoyBinary, System.getenv("PATH"));
      if (envoy.isEmpty()) {
        out.println("WARNING: " + EnvoyBinary.INSTALL_HINT);
      }
    }

    if (k8s == null) {
      startRateLimitService(rateLimit);
    }

    if (options.demoEcho() && k8s == null) {
      for (int port : DemoBackends.loopbackPorts(options.manifests())) {
        if (!Ports.available(port)) {
          // The manifests fix this port: another eg4j's demo echo (or the user's own backend)
          // already serves it, and the Backend reaches that one just as well.
          out.printf(
              "Demo echo backend port 127.0.0.1:%d is in use (another eg4j run --demo-echo?);"
                  + " the Backend reaches whatever listens there%n",
              port);
          continue;
        }
        echoes.add(EchoServer.start(port, "echo-" + port, "default"));
        out.printf("Demo echo backend on http://127.0.0.1:%d%n", port);
      }
    }

    for (ServiceSpec spec : ServiceSpec.ALL) {
      startService(spec.name());
    }
    if (k8s == null) {
      out.println(
          "eg4j is up. Edit the YAML in "
              + options.manifests()
              + " and Envoy follows; Ctrl-C stops everything.");
    } else {
      out.println(
          "eg4j is up against "
              + cluster.url()
              + ". Apply Gateway API objects with kubectl; Ctrl-C stops everything.");
    }
  }

  /** Starts (or restarts) one service and waits until it is ready. */
  public synchronized void startService(String name) throws Exception {
    ServiceSpec spec = ServiceSpec.named(name);
    if (contexts.containsKey(name)) {
      throw new IllegalStateException(name + " is already running");
    }
    long t0 = System.nanoTime();
    Class<?> app;
    try {
      app = Class.forName(spec.applicationClass());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          name + " is not on the classpath (" + spec.applicationClass() + ")", e);
    }
    Map<String, String> props = properties(spec, app);
    String[] args =
        props.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    // In Kubernetes mode the service's clients, built while its context starts, read its
    // kubeconfig.
    ConfigurableApplicationContext ctx =
        options.kubernetes() == null
            ? run(app, args)
            : KubernetesCluster.withKubeconfig(
                options.kubernetes().kubeconfigOf(name), () -> run(app, args));
    contexts.put(name, ctx);
    boolean ready = awaitReady(ctx, READY_TIMEOUT);
    out.printf(
        "%s %s in %s (%s)%n",
        name, ready ? "ready" : "started but NOT READY", seconds(t0), describe(spec));
    if (name.equals("provisioner")) {
      ctx.getBeanProvider(HostEnvoyProvisioner.class).ifAvailable(p -> p.addListener(printer()));
    }
  }

  private static ConfigurableApplicationContext run(Class<?> app, String[] args) {
    return new SpringApplicationBuilder(app)
        .registerShutdownHook(false)
        .logStartupInfo(false)
        .run(args);
  }

  /** Stops one service (tests restart services to prove they rebuild from the topics). */
  public synchronized void stopService(String name) {
    ConfigurableApplicationContext ctx = contexts.remove(name);
    if (ctx != null) {
      ctx.close();
    }
  }

  private Map<String, String> properties(ServiceSpec spec, Class<?> app) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("spring.application.name", "eg4j-" + spec.name());
    // Every service jar has its own application.yaml at the classpath root; in one JVM only the
    // first would be found, so each context reads the file of its own jar.
    p.put("spring.config.location", ownConfigLocations(app));
    p.put("spring.main.banner-mode", "off");
    p.put("spring.main.cloud-platform", "none");
    p.put("spring.cloud.kubernetes.enabled", "false");
    p.put("spring.cloud.kubernetes.discovery.enabled", "false");
    p.put("spring.cloud.kubernetes.config.enabled", "false");
    p.put("spring.cloud.kubernetes.secrets.enabled", "false");
    p.put("spring.cloud.kubernetes.leader.enabled", "false");
    p.put("spring.kafka.bootstrap-servers", broker.bootstrapServers());
    p.put("eg4j.bus.create-topics", "true");
    p.put("eg4j.bus.secret-key-file", dataDir.busKey().toString());
    p.put("eg4j.bus.create-secret-key", "true");
    p.put("server.port", String.valueOf(httpPorts.get(spec.name())));
    p.put("server.address", "127.0.0.1");
    p.put("management.endpoint.health.probes.enabled", "true");
    p.put("management.endpoints.web.exposure.include", "health,info,prometheus");
    // Each service's HTTP server only answers health checks and metrics scrapes: Tomcat's default
    // of 10 idle workers each (50 threads in all, with their stacks and malloc arenas) is memory
    // for nothing in one JVM (issue #16). Workers are still added on demand, up to 20.
    p.put("server.tomcat.threads.min-spare", "1");
    p.put("server.tomcat.threads.max", "20");
    // Only the xds-server serves gRPC; the other contexts see the gRPC starter on the shared
    // classpath and must not open a server of their own.
    p.put("spring.grpc.server.enabled", String.valueOf(spec.name().equals("xds-server")));
    if (options.kubernetes() != null) {
      kubernetesProperties(spec, p);
      p.putAll(options.extraProperties());
      return p;
    }
    switch (spec.name()) {
      case "watcher" -> {
        p.put("eg4j.watcher.source", "file");
        p.put("eg4j.watcher.directory", options.manifests().toString());
      }
      case "translator" -> {
        p.put("eg4j.translator.config-file", gatewayConfig.toString());
        if (xdsTls) {
          // The local proxies present their xDS client certificate to the rate limit service too
          // (served over SDS as <controller-namespace>/envoy), and trust the same CA.
          p.put(
              "eg4j.translator.proxy-client-cert-file",
              dataDir.certs().resolve("client.crt").toString());
          p.put(
              "eg4j.translator.proxy-client-key-file",
              dataDir.certs().resolve("client.key").toString());
          p.put("eg4j.translator.proxy-ca-file", dataDir.certs().resolve("ca.crt").toString());
        }
      }
      case "xds-server" -> {
        p.put("spring.grpc.server.port", String.valueOf(xdsPort));
        p.put("spring.grpc.server.address", "127.0.0.1");
        p.put("eg4j.xds.tls.enabled", String.valueOf(xdsTls));
        // The proxies share this host with any other: a Gateway port that another process (say
        // a second eg4j) serves is refused and reported, never silently shared.
        p.put("eg4j.xds.exclusive-listener-ports", "true");
        // Envoy fetches Wasm modules from the control plane's cache, never from their origin.
        p.put("eg4j.xds.wasm-cache.enabled", "true");
        p.put("eg4j.xds.wasm-cache.bind-address", KubernetesTarget.LOOPBACK);
        p.put("eg4j.xds.wasm-cache.advertised-host", KubernetesTarget.LOOPBACK);
        p.put("eg4j.xds.wasm-cache.port", String.valueOf(wasmCachePort));
        p.put("eg4j.xds.wasm-cache.dir", dataDir.root().resolve("wasm-cache").toString());
        if (rateLimitService != null) {
          p.put(
              "eg4j.xds.rate-limit-config-dir",
              RateLimitServiceProcess.configDir(dataDir.root()).toString());
        }
        if (xdsTls) {
          p.put("eg4j.xds.tls.cert-file", dataDir.certs().resolve("server.crt").toString());
          p.put("eg4j.xds.tls.key-file", dataDir.certs().resolve("server.key").toString());
          p.put("eg4j.xds.tls.ca-file", dataDir.certs().resolve("ca.crt").toString());
        }
      }
      case "status-writer" -> {
        p.put("eg4j.status-writer.mode", "file");
        p.put("eg4j.status-writer.directory", dataDir.status().toString());
      }
      case "provisioner" -> {
        p.put("eg4j.provisioner.mode", "host");
        p.put("eg4j.provisioner.xds-address", "127.0.0.1");
        p.put("eg4j.provisioner.xds-port", String.valueOf(xdsPort));
        p.put("eg4j.provisioner.work-dir", dataDir.envoy().toString());
        p.put("eg4j.provisioner.envoy-binary", envoyBinary);
        if (xdsTls) {
          p.put(
              "eg4j.provisioner.xds-tls.cert-file",
              dataDir.certs().resolve("client.crt").toString());
          p.put(
              "eg4j.provisioner.xds-tls.key-file",
              dataDir.certs().resolve("client.key").toString());
          p.put("eg4j.provisioner.xds-tls.ca-file", dataDir.certs().resolve("ca.crt").toString());
        }
      }
      default -> {}
    }
    p.putAll(options.extraProperties());
    return p;
  }

  /**
   * Kubernetes mode: the watcher on the cluster, statuses and fleets to it, the Leases and fleets
   * in the controller namespace; the xds-server as in file mode.
   */
  private void kubernetesProperties(ServiceSpec spec, Map<String, String> p) {
    String ns = options.kubernetes().controllerNamespace();
    // Read by the services that need the control plane's namespace (the translator's policy
    // Secrets and proxy Services); the provisioner and status-writer get their own settings too.
    p.put("eg4j.controller-namespace", ns);
    String identity = "eg4j-run-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    switch (spec.name()) {
      case "watcher" -> p.put("eg4j.watcher.source", "kubernetes");
      case "translator" -> {
        if (gatewayConfig != null) {
          p.put("eg4j.translator.config-file", gatewayConfig.toString());
        }
      }
      case "xds-server" -> {
        p.put("spring.grpc.server.port", String.valueOf(xdsPort));
        p.put("spring.grpc.server.address", options.kubernetes().xdsAddress());
        p.put("eg4j.xds.tls.enabled", String.valueOf(xdsTls));
        if (xdsTls) {
          p.put("eg4j.xds.tls.cert-file", dataDir.certs().resolve("server.crt").toString());
          p.put("eg4j.xds.tls.key-file", dataDir.certs().resolve("server.key").toString());
          p.put("eg4j.xds.tls.ca-file", dataDir.certs().resolve("ca.crt").toString());
        }
      }
      case "status-writer" -> {
        p.put("eg4j.status-writer.mode", "kubernetes");
        p.put("eg4j.status-writer.kubernetes.lease-namespace", ns);
        p.put("eg4j.status-writer.kubernetes.identity", identity);
      }
      case "provisioner" -> {
        p.put("eg4j.provisioner.mode", "kubernetes");
        p.put("eg4j.provisioner.kubernetes.namespace", ns);
        p.put("eg4j.provisioner.kubernetes.identity", identity);
        p.put("eg4j.provisioner.xds-address", options.kubernetes().xdsAddress());
        p.put("eg4j.provisioner.xds-port", String.valueOf(xdsPort));
        if (xdsTls && proxiesReachXds()) {
          // The pods mount the client certificate from the Secret startAll wrote; the files named
          // here only switch the bootstrap to mTLS. The server certificate names localhost, not
          // the address, so the proxies check that name.
          p.put(
              "eg4j.provisioner.xds-tls.cert-file",
              dataDir.certs().resolve("client.crt").toString());
          p.put(
              "eg4j.provisioner.xds-tls.key-file",
              dataDir.certs().resolve("client.key").toString());
          p.put("eg4j.provisioner.xds-tls.ca-file", dataDir.certs().resolve("ca.crt").toString());
          p.put("eg4j.provisioner.xds-tls.server-name", "localhost");
        }
        if (gatewayConfig != null) {
          // With rateLimit on, the provisioner runs Envoy Gateway's envoy-ratelimit Deployment.
          p.put("eg4j.provisioner.config-file", gatewayConfig.toString());
        }
      }
      default -> {}
    }
  }

  /**
   * True when the xds-server listens where the fleets' pods can reach it ({@code --xds-address}
   * other than loopback): then their bootstraps carry mTLS and the client certificate Secret.
   */
  private boolean proxiesReachXds() {
    return options.kubernetes() != null
        && !KubernetesTarget.LOOPBACK.equals(options.kubernetes().xdsAddress());
  }

  /** {@code optional:} locations of the application.yaml/properties next to the app class. */
  static String ownConfigLocations(Class<?> app) {
    URL src = app.getProtectionDomain().getCodeSource().getLocation();
    String base = src.toString();
    if (base.endsWith(".jar")) {
      base = "jar:" + base + "!/";
    } else if (!base.endsWith("/")) {
      base = base + "/";
    }
    List<String> out = new ArrayList<>();
    for (String f : List.of("application.properties", "application.yaml", "application.yml")) {
      out.add("optional:" + base + f);
    }
    return String.join(",", out);
  }

  /**
   * The port for {@code what}: its default plus the port offset when that is free, else any free
   * port, with a line that names both and the option that chooses them. Tests take free ports.
   */
  private int port(int defaultPort, String what) {
    if (!options.defaultPorts()) {
      return Ports.free();
    }
    int preferred = defaultPort + options.portOffset();
    if (Ports.available(preferred)) {
      return preferred;
    }
    int other = Ports.free();
    out.printf(
        "Port %d (%s) is in use; using %d instead (--port-offset N moves every default port by"
            + " N)%n",
        preferred, what, other);
    return other;
  }

  private String describe(ServiceSpec spec) {
    int http = httpPorts.get(spec.name());
    return switch (spec.name()) {
      case "xds-server" ->
          "ADS gRPC on "
              + (options.kubernetes() != null
                  ? options.kubernetes().xdsAddress()
                  : KubernetesTarget.LOOPBACK)
              + ":"
              + xdsPort
              + (xdsTls ? " with mTLS (certificates in " + dataDir.certs() + ")" : " in plaintext")
              + ", actuator port "
              + http;
      case "status-writer" ->
          (options.kubernetes() != null
                  ? "statuses written to the cluster"
                  : "statuses written to " + dataDir.status())
              + ", actuator port "
              + http;
      case "provisioner" ->
          options.kubernetes() != null
              ? "proxy fleets in namespace "
                  + options.kubernetes().controllerNamespace()
                  + ", actuator port "
                  + http
              : "host mode, envoy "
                  + EnvoyBinary.resolve(envoyBinary, System.getenv("PATH"))
                      .map(Path::toString)
                      .orElse("NOT FOUND")
                  + ", proxy logs in "
                  + dataDir.envoy()
                  + ", actuator port "
                  + http;
      case "watcher" ->
          "watching "
              + (cluster != null ? cluster.url() : options.manifests())
              + ", actuator port "
              + http;
      case "translator" ->
          "config "
              + (gatewayConfig != null ? gatewayConfig : "Envoy Gateway's defaults")
              + ", actuator port "
              + http;
      default -> "actuator port " + http;
    };
  }

  private HostProxyEvents printer() {
    return new HostProxyEvents() {
      @Override
      public void listening(String fleet, List<String> urls) {
        if (urls.isEmpty()) {
          out.printf("Envoy of %s has no listeners%n", fleet);
        }
        for (String url : urls) {
          out.printf("Envoy listening on %s (%s)%n", url, fleet);
        }
      }

      @Override
      public void exited(String fleet, int exitCode, long restartInMillis) {
        out.printf(
            "Envoy of %s exited with code %d; restarting in %d ms (log: %s)%n",
            fleet, exitCode, restartInMillis, dataDir.envoy());
      }

      @Override
      public void stopped(String fleet) {
        out.printf("Envoy of %s stopped%n", fleet);
      }
    };
  }

  /** Waits until the context says it accepts traffic and its readiness group is UP. */
  static boolean awaitReady(ConfigurableApplicationContext ctx, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ApplicationAvailability availability =
        ctx.getBeanProvider(ApplicationAvailability.class).getIfAvailable();
    HealthEndpoint health = ctx.getBeanProvider(HealthEndpoint.class).getIfAvailable();
    while (System.nanoTime() < deadline) {
      boolean accepting =
          availability == null
              || availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
      boolean up = true;
      if (health != null) {
        HealthDescriptor d = health.healthForPath("readiness");
        up = d == null || Status.UP.equals(d.getStatus());
      }
      if (accepting && up) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  /** The certificate files certgen writes, all of which mTLS between Envoy and xDS needs. */
  static final List<String> CERT_FILES =
      List.of("ca.crt", "server.crt", "server.key", "client.crt", "client.key");

  /**
   * Makes sure {@code <data-dir>/certs} holds the xDS mTLS certificates, generating them with
   * {@code eg4j certgen} when any is missing. Returns false (plaintext on loopback) when certgen
   * cannot make them.
   */
  private boolean ensureCerts() {
    Path dir = dataDir.certs();
    if (CERT_FILES.stream().allMatch(f -> Files.exists(dir.resolve(f)))) {
      return true;
    }
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code =
        io.eg4j.standalone.cli.CertgenCommand.run(
            List.of("--out", dir.toString(), "--san", "127.0.0.1", "--san", "localhost"),
            new PrintStream(java.io.OutputStream.nullOutputStream()),
            new PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    if (code == 0 && CERT_FILES.stream().allMatch(f -> Files.exists(dir.resolve(f)))) {
      out.println("Generated xDS mTLS certificates in " + dir);
      return true;
    }
    out.println(
        "WARNING: could not generate xDS certificates ("
            + err.toString(java.nio.charset.StandardCharsets.UTF_8).trim()
            + "); xDS runs in plaintext on loopback");
    return false;
  }

  /** True when the xds-server requires mTLS (certificates in {@code dataDir().certs()}). */
  public boolean xdsTls() {
    return xdsTls;
  }

  private Path defaultConfig() throws IOException {
    Path f = dataDir.gatewayConfig();
    if (!Files.exists(f)) {
      Files.writeString(f, defaultConfigText(options.manifests().toString()));
    }
    return f;
  }

  /**
   * The EnvoyGateway configuration {@code run DIR} and {@code translate} use when given none: Envoy
   * Gateway's own standalone configuration, the file provider and the host infrastructure provider,
   * with the Backend API enabled (the quickstart routes to a Backend).
   */
  public static String defaultConfigText(String manifests) {
    return """
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyGateway
        gateway:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
        provider:
          type: Custom
          custom:
            resource:
              type: File
              file:
                paths: ["%s"]
            infrastructure:
              type: Host
              host: {}
        extensionApis:
          enableBackend: true
        """
        .formatted(manifests);
  }

  /**
   * Refuses, before anything starts, a {@code rateLimit} configuration with a telemetry setting
   * (and in Kubernetes mode an HPA or PDB setting) Envoy Gateway rejects, naming the field: Envoy
   * Gateway does not start with it either.
   *
   * @return the configuration with its telemetry read, or null without {@code rateLimit}
   */
  private RateLimitServiceProcess.Settings checkRateLimitConfig(boolean kubernetes)
      throws IOException {
    if (gatewayConfig == null) {
      return null;
    }
    EnvoyGatewayConfig config = EnvoyGatewayConfig.load(gatewayConfig);
    if (config.rateLimit() == null) {
      return null;
    }
    try {
      RateLimitServiceProcess.Settings settings = RateLimitServiceProcess.Settings.of(config);
      if (kubernetes) {
        RateLimitInfra.from(config);
      }
      return settings;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "invalid EnvoyGateway config " + gatewayConfig + ": " + e.getMessage(), e);
    }
  }

  /**
   * With {@code rateLimit} in the EnvoyGateway configuration ({@code settings}, as {@link
   * #checkRateLimitConfig} read it), the global rate limit service runs beside the proxies, as
   * Envoy Gateway runs it beside its fleets.
   */
  private void startRateLimitService(RateLimitServiceProcess.Settings settings) throws IOException {
    if (settings == null) {
      return;
    }
    EnvoyGatewayConfig config = settings.config();
    RateLimitTelemetry telemetry = settings.telemetry();
    if (!xdsTls && config.rateLimit().serviceTls() != null) {
      // Without certificates the local service has no server certificate; proxies told to use
      // TLS would fail every handshake (and fail open or closed per rateLimit.failClosed).
      out.println(
          "WARNING: x-eg4j.rateLimitTls is set but there are no certificates in "
              + dataDir.certs()
              + "; the local rate limit service speaks plaintext gRPC, so proxies configured for"
              + " TLS cannot reach it");
    }
    Optional<Path> binary = RateLimitServiceProcess.binary();
    if (binary.isEmpty()) {
      out.println(
          "WARNING: rateLimit is configured but the rate limit service is not built"
              + " (tools/ratelimit/build.sh, or EG4J_RATELIMIT=<binary>); global rate limits"
              + " fail open until it runs");
      return;
    }
    int metricsPort =
        telemetry.prometheus() ? port(RATE_LIMIT_METRICS_PORT, "the rate limit metrics") : 0;
    rateLimitService =
        RateLimitServiceProcess.start(
            binary.get(),
            settings,
            dataDir.root(),
            dataDir.logs(),
            Ports.free(),
            Ports.free(),
            metricsPort,
            xdsTls ? dataDir.certs() : null);
    out.printf(
        "Rate limit service on %s%s (Redis %s%s%s, log %s)%n",
        config.rateLimitService(),
        xdsTls ? " over mutual TLS" : "",
        config.rateLimit().redisUrl(),
        telemetry.prometheus() ? ", metrics http://127.0.0.1:" + metricsPort + "/metrics" : "",
        telemetry.tracing() ? ", traces to " + telemetry.tracingEndpoint() : "",
        dataDir.logs().resolve("ratelimit.log"));
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  private static String seconds(long startNanos) {
    return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
  }

  /** The broker's bootstrap servers. */
  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /** The xds-server's gRPC port. */
  public int xdsPort() {
    return xdsPort;
  }

  /** The data directory. */
  public DataDir dataDir() {
    return dataDir;
  }

  /** A running service's context, or null. */
  public ConfigurableApplicationContext context(String service) {
    return contexts.get(service);
  }

  /** The host-mode provisioner, when the provisioner runs. */
  public Optional<HostEnvoyProvisioner> provisioner() {
    ConfigurableApplicationContext ctx = contexts.get("provisioner");
    return ctx == null
        ? Optional.empty()
        : Optional.ofNullable(ctx.getBeanProvider(HostEnvoyProvisioner.class).getIfAvailable());
  }

  /** Stops the services (last started first), the broker and the echo backends. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (rateLimitService != null) {
      rateLimitService.close();
    }
    List<String> names = new ArrayList<>(contexts.keySet());
    Collections.reverse(names);
    for (String name : names) {
      try {
        stopService(name);
      } catch (RuntimeException e) {
        out.println("error stopping " + name + ": " + e);
      }
    }
    if (broker != null) {
      try {
        broker.close();
      } catch (RuntimeException e) {
        out.println("error stopping the Kafka broker: " + e);
      }
    }
    echoes.forEach(EchoServer::close);
    echoes.clear();
    if (dataDirLock != null) {
      dataDirLock.close();
    }
  }
}
