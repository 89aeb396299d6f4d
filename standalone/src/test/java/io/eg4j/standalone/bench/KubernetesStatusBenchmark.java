package io.eg4j.standalone.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.standalone.launcher.EmbeddedKraftBroker;
import io.eg4j.standalone.launcher.Ports;
import io.eg4j.statuswriter.app.StatusWriterApplication;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.translator.app.TranslatorApplication;
import io.eg4j.watcher.app.WatcherApplication;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Benchmark harness (a {@code main}, not a test): the real watcher (Kubernetes source), translator
 * and status-writer (Kubernetes mode) Spring applications in one JVM, against a real kube-apiserver
 * (etcd, kube-apiserver and kube-controller-manager of {@link KubeApiServer}, on loopback, with the
 * project's CRDs) and one in-process KRaft broker. It applies {@code gen-scale.py --routes N} (a
 * GatewayClass, one Gateway, 50 Services with EndpointSlices and N HTTPRoutes; default 1,000) and
 * measures the wall time from the first apply until every status is correct, and the status writes
 * the API server audited (update or patch of a {@code status} subresource).
 *
 * <p>"Correct" means: every HTTPRoute has Accepted=True and ResolvedRefs=True for our controller,
 * the Gateway is Accepted with {@code attachedRoutes} = N on its listener, and the GatewayClass is
 * Accepted. Each run starts from nothing but the API server, which all runs share: new broker and
 * services, the manifests in a namespace and GatewayClass of the run's own (their Services without
 * the fixed cluster IPs of gen-scale.py, which the server allocates itself), and the previous run's
 * namespace and class deleted first.
 *
 * <p>Run it from the repository root (after {@code ./mvnw -o -pl standalone -am install
 * -DskipTests} or an equivalent build of the modules; the control plane's binaries come from {@code
 * tools/kube/build.sh}, or {@code EG4J_KUBE_BIN}):
 *
 * <pre>
 * ./mvnw -B -q -o -pl standalone test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
 * java -cp standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/test-classpath.txt) \
 *     io.eg4j.standalone.bench.KubernetesStatusBenchmark --routes 1000 --runs 3
 * </pre>
 *
 * <p>With {@code --failover} the status-writer runs as two replicas, each in a JVM of its own on
 * this class path. Once every status is right, the replica holding the Lease is killed with SIGKILL
 * (it cannot release the Lease, as when its node dies) and a new HTTPRoute is created at once; the
 * harness measures the time from the kill until that route's status is right. The other replica may
 * take the Lease only once it has expired, so the figure to compare is the lease duration (15 s by
 * default) plus the new leader's catch-up. Each replica's log is kept with {@code
 * -Dbench.keep=true}.
 *
 * <p>Options: {@code --routes N}, {@code --runs N}, {@code --warmup N} (HTTPRoutes of an uncounted
 * first run, 200 by default, 0 for none), {@code --shared DIR} (where {@code perf/gen-scale.py}
 * lives; default {@code ../shared}), {@code --failover}, and {@code -Dkey=value}-style Spring
 * properties as {@code --set key=value} (for example {@code --set
 * eg4j.status-writer.kubernetes.writes-per-second=200}) to try service settings.
 */
public final class KubernetesStatusBenchmark {
  private static final String CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
  private static final Duration RUN_TIMEOUT =
      Duration.ofSeconds(Long.getLong("bench.timeout-seconds", 300));

  private KubernetesStatusBenchmark() {}

  /** One run's figures. */
  record Figures(
      double seconds,
      double afterLastApply,
      int statusWrites,
      int routesCorrect,
      double writerWritten,
      double failoverSeconds) {}

  public static void main(String[] args) throws Exception {
    int routes = 1000;
    int runs = 3;
    int warmup = 200;
    Path shared = Path.of("../shared");
    boolean failover = false;
    Map<String, String> extra = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--routes" -> routes = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--shared" -> shared = Path.of(args[++i]);
        case "--failover" -> failover = true;
        case "--set" -> {
          String[] kv = args[++i].split("=", 2);
          extra.put(kv[0], kv[1]);
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    // Three Spring contexts in one JVM: logging is configured once, by logback-test.xml.
    System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    KubeApiServer kube = KubeApiServer.shared();
    kube.installProjectCrds();
    kube.ensureNamespace("envoy-gateway-system");
    // Every service builds its client from the kubeconfig, as it would outside a cluster.
    System.setProperty("kubeconfig", kube.kubeconfigFile().toString());
    System.setProperty("kubernetes.auth.tryKubeConfig", "true");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");

    if (warmup > 0) {
      // A smaller run first, so the measured runs do not pay for class loading and the JIT.
      Figures w = runOnce(kube, generate(shared, warmup, "bench-warmup"), warmup, extra, failover);
      System.out.printf("warm-up: %d HTTPRoutes in %.2f s (not counted)%n", warmup, w.seconds());
    }
    List<Figures> all = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      Figures f = runOnce(kube, generate(shared, routes, "bench-" + run), routes, extra, failover);
      all.add(f);
      System.out.printf(
          "run %d: %d HTTPRoutes, all statuses correct after %.2f s (%.2f s after the last apply),"
              + " %d status writes audited by the API server (status-writer counted %s written);"
              + " routes correct %d/%d%s%n",
          run,
          routes,
          f.seconds(),
          f.afterLastApply(),
          f.statusWrites(),
          failover ? "n/a, separate JVMs," : String.format("%.0f", f.writerWritten()),
          f.routesCorrect(),
          routes,
          failover
              ? String.format(
                  "; after kill -9 of the leader, a new route's status in %.2f s",
                  f.failoverSeconds())
              : "");
    }
    List<Figures> byTime =
        all.stream().sorted(Comparator.comparingDouble(Figures::seconds)).toList();
    List<Figures> byWrites =
        all.stream().sorted(Comparator.comparingInt(Figures::statusWrites)).toList();
    List<Figures> byAfter =
        all.stream().sorted(Comparator.comparingDouble(Figures::afterLastApply)).toList();
    System.out.printf(
        "%n=== KubernetesStatusBenchmark: %d HTTPRoutes on one Gateway, %d runs ===%n"
            + "time to all statuses correct: median %.2f s (runs: %s)%n"
            + "of which after the last apply: median %.2f s (runs: %s)%n"
            + "status writes (update/patch of a status subresource, from the audit log): median %d"
            + " (runs: %s)%n",
        routes,
        runs,
        byTime.get(byTime.size() / 2).seconds(),
        all.stream().map(f -> String.format("%.2f", f.seconds())).toList(),
        byAfter.get(byAfter.size() / 2).afterLastApply(),
        all.stream().map(f -> String.format("%.2f", f.afterLastApply())).toList(),
        byWrites.get(byWrites.size() / 2).statusWrites(),
        all.stream().map(Figures::statusWrites).toList());
    if (failover) {
      List<Figures> byFailover =
          all.stream().sorted(Comparator.comparingDouble(Figures::failoverSeconds)).toList();
      System.out.printf(
          "leader status-writer killed (SIGKILL), a new HTTPRoute created at once: its status"
              + " written after median %.2f s (runs: %s; lease duration %s)%n",
          byFailover.get(byFailover.size() / 2).failoverSeconds(),
          all.stream().map(f -> String.format("%.2f", f.failoverSeconds())).toList(),
          extra.getOrDefault("eg4j.status-writer.kubernetes.lease-duration", "15s"));
    }
    int expected = routes;
    System.exit(
        all.stream().allMatch(f -> f.routesCorrect() == expected && f.failoverSeconds() >= 0)
            ? 0
            : 1);
  }

  /**
   * The manifests of {@code gen-scale.py}, moved to namespace {@code run} and GatewayClass {@code
   * run} (the server outlives a run), and without the Services' fixed cluster IPs: 10.96.0.1 is the
   * {@code kubernetes} Service's on a real server.
   */
  private static List<GenericKubernetesResource> generate(Path shared, int routes, String run)
      throws IOException, InterruptedException {
    Path gen = shared.resolve("perf").resolve("gen-scale.py");
    Process p =
        new ProcessBuilder("python3", gen.toString(), "--routes", String.valueOf(routes))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(gen + " failed");
    }
    List<GenericKubernetesResource> out = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.isBlank()) {
        continue;
      }
      GenericKubernetesResource r = Serialization.unmarshal(doc, GenericKubernetesResource.class);
      switch (r.getKind()) {
        case "Namespace" -> r.getMetadata().setName(run);
        case "GatewayClass" -> r.getMetadata().setName(run);
        case "Gateway" -> spec(r).put("gatewayClassName", run);
        case "Service" -> spec(r).remove("clusterIP");
        default -> {}
      }
      if (r.getMetadata().getNamespace() != null) {
        r.getMetadata().setNamespace(run);
      }
      out.add(r);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource r) {
    return (Map<String, Object>) r.getAdditionalProperties().get("spec");
  }

  /**
   * The status writes of run {@code run} in the audit log from line {@code from} on: update or
   * patch of the status of an object in the run's namespace, or of its GatewayClass.
   */
  static int statusWrites(KubeApiServer kube, String run, int from) throws IOException {
    List<String> lines = kube.auditLines();
    int n = 0;
    for (String line : lines.subList(Math.min(from, lines.size()), lines.size())) {
      JsonNode e = Json.MAPPER.readTree(line);
      JsonNode ref = e.path("objectRef");
      String verb = e.path("verb").asText();
      boolean ours =
          run.equals(ref.path("namespace").asText())
              || ("gatewayclasses".equals(ref.path("resource").asText())
                  && run.equals(ref.path("name").asText()));
      if ((verb.equals("update") || verb.equals("patch"))
          && "status".equals(ref.path("subresource").asText())
          && ours) {
        n++;
        if (Boolean.getBoolean("bench.debug-writes")) {
          System.out.println("status write: " + verb + " " + e.path("requestURI").asText());
        }
      }
    }
    return n;
  }

  private static Figures runOnce(
      KubeApiServer kube,
      List<GenericKubernetesResource> manifests,
      int routes,
      Map<String, String> extra,
      boolean failover)
      throws Exception {
    String run =
        manifests.stream()
            .filter(r -> r.getKind().equals("Namespace"))
            .findFirst()
            .orElseThrow()
            .getMetadata()
            .getName();
    Path data = Files.createTempDirectory("eg4j-k8s-bench");
    List<ConfigurableApplicationContext> apps = new ArrayList<>();
    Map<String, Process> writers = new LinkedHashMap<>();
    EmbeddedKraftBroker broker = null;
    KubernetesClient client = kube.client();
    try {
      broker = EmbeddedKraftBroker.start(data.resolve("kafka"), Ports.free(), Ports.free());
      Path key = data.resolve("bus.key");
      Map<String, String> common = new LinkedHashMap<>();
      common.put("spring.kafka.bootstrap-servers", broker.bootstrapServers());
      common.put("eg4j.bus.secret-key-file", key.toString());
      common.put("eg4j.bus.create-secret-key", "true");
      common.put("server.port", "0");
      common.put("server.address", "127.0.0.1");
      common.put("spring.main.banner-mode", "off");
      common.put("spring.main.cloud-platform", "none");
      common.put("spring.cloud.kubernetes.enabled", "false");
      common.put("spring.grpc.server.enabled", "false");
      if (Boolean.getBoolean("bench.apply-only")) {
        long a0 = System.nanoTime();
        apply(client, manifests);
        System.out.printf("apply only: %.2f s%n", (System.nanoTime() - a0) / 1e9);
        return new Figures(0, 0, 0, routes, 0, 0);
      }
      // The translator first: it creates nothing on the API server, and the watcher's initial
      // state then flows at once.
      apps.add(start(TranslatorApplication.class, "translator", common, Map.of(), extra));
      Map<String, String> writer = new LinkedHashMap<>();
      writer.put("eg4j.status-writer.mode", "kubernetes");
      writer.put("eg4j.status-writer.kubernetes.lease-namespace", LEASE_NAMESPACE);
      if (failover) {
        // Two replicas, each its own JVM, so that the leader can be killed as a pod would be.
        for (String replica : List.of("a", "b")) {
          writer.put("eg4j.status-writer.kubernetes.identity", run + "-" + replica);
          writers.put(
              run + "-" + replica,
              startProcess(StatusWriterApplication.class, common, writer, extra, kube, data));
        }
      } else {
        writer.put("eg4j.status-writer.kubernetes.identity", "bench");
        apps.add(start(StatusWriterApplication.class, "status-writer", common, writer, extra));
      }
      apps.add(
          start(
              WatcherApplication.class,
              "watcher",
              common,
              Map.of("eg4j.watcher.source", "kubernetes"),
              extra));
      if (failover) {
        leaseHolder(client, writers.keySet());
      } else {
        awaitLeader(apps.get(1));
      }

      WatchedKind routeKind = kind("HTTPRoute");
      WatchedKind gatewayKind = kind("Gateway");
      WatchedKind classKind = kind("GatewayClass");
      // Each object is judged once per event, on the informer's thread, so the harness costs
      // little CPU next to the services it measures.
      java.util.Set<String> routesOk = java.util.concurrent.ConcurrentHashMap.newKeySet();
      java.util.concurrent.atomic.AtomicBoolean gatewayOk =
          new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicBoolean classOk =
          new java.util.concurrent.atomic.AtomicBoolean();
      int expectedRoutes = routes;
      SharedIndexInformer<GenericKubernetesResource> routeInformer =
          client
              .genericKubernetesResources(routeKind.context())
              .inAnyNamespace()
              .inform(
                  judge(
                      r -> {
                        if (routeCorrect(status(r))) {
                          routesOk.add(r.getMetadata().getName());
                        } else {
                          routesOk.remove(r.getMetadata().getName());
                        }
                      }));
      SharedIndexInformer<GenericKubernetesResource> gatewayInformer =
          client
              .genericKubernetesResources(gatewayKind.context())
              .inAnyNamespace()
              .inform(judge(g -> gatewayOk.set(gatewayCorrect(status(g), expectedRoutes))));
      SharedIndexInformer<GenericKubernetesResource> classInformer =
          client
              .genericKubernetesResources(classKind.context())
              .inform(judge(c -> classOk.set(hasTrue(status(c).path("conditions"), "Accepted"))));
      int auditFrom = kube.auditLines().size();

      long t0 = System.nanoTime();
      apply(client, manifests);
      long applied = System.nanoTime();
      System.out.printf("applied %d objects in %.2f s%n", manifests.size(), (applied - t0) / 1e9);
      long deadline = t0 + RUN_TIMEOUT.toNanos();
      int correct = 0;
      int polls = 0;
      long done = 0;
      while (System.nanoTime() < deadline) {
        correct = routesOk.size();
        if (Boolean.getBoolean("bench.debug") && ++polls % 100 == 0) {
          System.out.printf(
              "t=%.1f s routes correct %d, gateway %s, class %s, status writes %d%n",
              (System.nanoTime() - t0) / 1e9,
              correct,
              gatewayOk,
              classOk,
              statusWrites(kube, run, auditFrom));
        }
        if (correct == routes && gatewayOk.get() && classOk.get()) {
          done = System.nanoTime();
          break;
        }
        Thread.sleep(10);
      }
      if (done == 0) {
        done = System.nanoTime();
        System.out.println("TIMED OUT; routes correct " + correct + "/" + routes);
        gatewayInformer.getStore().list().forEach(g -> System.out.println("Gateway " + status(g)));
        classInformer.getStore().list().forEach(c -> System.out.println("Class " + status(c)));
      }
      // Writes still in flight once everything is correct count too: let the pipeline go quiet.
      int settled = -1;
      for (int i = 0; i < 50 && settled != statusWrites(kube, run, auditFrom); i++) {
        settled = statusWrites(kube, run, auditFrom);
        Thread.sleep(400);
      }
      int writes = statusWrites(kube, run, auditFrom);
      double failoverSeconds = 0;
      if (failover) {
        failoverSeconds = failover(client, manifests, writers, routesOk);
      }
      routeInformer.close();
      gatewayInformer.close();
      classInformer.close();
      double writtenCount = 0;
      if (!failover) {
        MeterRegistry meters = apps.get(1).getBean(MeterRegistry.class);
        Counter written = meters.find("eg4j.status.writes").tag("result", "written").counter();
        writtenCount = written == null ? 0 : written.count();
      }
      return new Figures(
          (done - t0) / 1e9,
          (done - applied) / 1e9,
          writes,
          correct,
          writtenCount,
          failoverSeconds);
    } finally {
      for (int i = apps.size() - 1; i >= 0; i--) {
        apps.get(i).close();
      }
      for (Process p : writers.values()) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      if (broker != null) {
        broker.close();
      }
      // The server outlives the run: its objects go, and the next run waits until they have.
      client.genericKubernetesResources(kind("GatewayClass").context()).withName(run).delete();
      client.namespaces().withName(run).delete();
      client
          .namespaces()
          .withName(run)
          .waitUntilCondition(java.util.Objects::isNull, 180, TimeUnit.SECONDS);
      client.close();
      if (!Boolean.getBoolean("bench.keep")) {
        deleteQuietly(data);
      }
    }
  }

  /**
   * The failover measure: the replica holding the Lease is killed with SIGKILL (no release, as when
   * a node dies), and at once a new HTTPRoute, a copy of the run's first one, is created. Returns
   * the seconds from the kill until that route's status is right, or -1 if it never was.
   */
  private static double failover(
      KubernetesClient client,
      List<GenericKubernetesResource> manifests,
      Map<String, Process> writers,
      java.util.Set<String> routesOk)
      throws InterruptedException {
    String leader = leaseHolder(client, writers.keySet());
    GenericKubernetesResource route =
        Serialization.clone(
            manifests.stream()
                .filter(r -> r.getKind().equals("HTTPRoute"))
                .findFirst()
                .orElseThrow());
    route.getMetadata().setName("after-failover");
    long killed = System.nanoTime();
    writers.get(leader).destroyForcibly();
    apply(client, List.of(route));
    long deadline = killed + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (routesOk.contains("after-failover")) {
        double s = (System.nanoTime() - killed) / 1e9;
        String now = leaseHolder(client, writers.keySet());
        System.out.printf(
            "failover: %s killed, %s now holds the Lease; the new route's status after %.2f s%n",
            leader, now, s);
        return s;
      }
      Thread.sleep(10);
    }
    System.out.println("failover: the new route's status was never written");
    return -1;
  }

  private static final String LEASE_NAMESPACE = "envoy-gateway-system";

  /** Waits until one of {@code identities} holds the status-writer's Lease, and names it. */
  private static String leaseHolder(KubernetesClient client, java.util.Set<String> identities)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      var lease = client.leases().inNamespace(LEASE_NAMESPACE).withName("eg4j-status-writer").get();
      if (lease != null
          && lease.getSpec() != null
          && identities.contains(lease.getSpec().getHolderIdentity())) {
        return lease.getSpec().getHolderIdentity();
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no status-writer replica took the Lease: " + identities);
  }

  /**
   * A service in a JVM of its own, on this JVM's class path, its output in {@code data}: the
   * settings are the in-process services' (see {@link #start}), the client's kubeconfig the same.
   */
  private static Process startProcess(
      Class<?> app,
      Map<String, String> common,
      Map<String, String> own,
      Map<String, String> extra,
      KubeApiServer kube,
      Path data)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Dkubeconfig=" + kube.kubeconfigFile());
    cmd.add("-Dkubernetes.auth.tryKubeConfig=true");
    cmd.add("-Dkubernetes.auth.tryServiceAccount=false");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(app.getName());
    Map<String, String> p = new LinkedHashMap<>(common);
    p.put("spring.application.name", "eg4j-status-writer");
    p.put("spring.config.location", ownConfigLocations(app));
    p.putAll(own);
    p.putAll(extra);
    p.forEach((k, v) -> cmd.add("--" + k + "=" + v));
    String identity = own.get("eg4j.status-writer.kubernetes.identity");
    Path log = data.resolve(identity + ".log");
    System.out.println("status-writer " + identity + " in its own JVM, log " + log);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Creates the manifests in order, as {@code kubectl create} would. */
  private static void apply(KubernetesClient client, List<GenericKubernetesResource> manifests) {
    for (GenericKubernetesResource r : manifests) {
      WatchedKind k =
          WatchedKind.find(ResourceKey.groupOf(r.getApiVersion()), r.getKind()).orElseThrow();
      var op = client.genericKubernetesResources(k.context());
      (k.namespaced() ? op.inNamespace(r.getMetadata().getNamespace()) : op).resource(r).create();
    }
  }

  private static ConfigurableApplicationContext start(
      Class<?> app,
      String name,
      Map<String, String> common,
      Map<String, String> own,
      Map<String, String> extra) {
    Map<String, String> p = new LinkedHashMap<>(common);
    p.put("spring.application.name", "eg4j-" + name);
    // Every service jar has its own application.yaml at the root; each context reads its own.
    p.put("spring.config.location", ownConfigLocations(app));
    p.putAll(own);
    p.putAll(extra);
    String[] args =
        p.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    return new SpringApplicationBuilder(app)
        .registerShutdownHook(false)
        .logStartupInfo(false)
        .run(args);
  }

  private static String ownConfigLocations(Class<?> app) {
    URL src = app.getProtectionDomain().getCodeSource().getLocation();
    String base = src.toString();
    base = base.endsWith(".jar") ? "jar:" + base + "!/" : base.endsWith("/") ? base : base + "/";
    String b = base;
    return String.join(
        ",",
        Stream.of("application.properties", "application.yaml", "application.yml")
            .map(f -> "optional:" + b + f)
            .toList());
  }

  private static void awaitLeader(ConfigurableApplicationContext statusWriter)
      throws InterruptedException {
    MeterRegistry meters = statusWriter.getBean(MeterRegistry.class);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      var g = meters.find("eg4j.leader").tag("service", "status-writer").gauge();
      if (g != null && g.value() == 1) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the status-writer did not become the leader");
  }

  private static io.fabric8.kubernetes.client.informers.ResourceEventHandler<
          GenericKubernetesResource>
      judge(java.util.function.Consumer<GenericKubernetesResource> judge) {
    return new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        judge.accept(obj);
      }

      @Override
      public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
        judge.accept(newObj);
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {}
    };
  }

  private static WatchedKind kind(String kind) {
    return WatchedKind.find(WatchedKind.GATEWAY_API, kind).orElseThrow();
  }

  private static JsonNode status(GenericKubernetesResource r) {
    return Json.MAPPER.valueToTree(r.getAdditionalProperties().get("status"));
  }

  /** Accepted and ResolvedRefs True on our parent entry. */
  static boolean routeCorrect(JsonNode status) {
    for (JsonNode parent : status.path("parents")) {
      if (CONTROLLER.equals(parent.path("controllerName").asText())) {
        return hasTrue(parent.path("conditions"), "Accepted")
            && hasTrue(parent.path("conditions"), "ResolvedRefs");
      }
    }
    return false;
  }

  /** Accepted, and every route counted on the listener. */
  static boolean gatewayCorrect(JsonNode status, int routes) {
    if (!hasTrue(status.path("conditions"), "Accepted")) {
      return false;
    }
    for (JsonNode l : status.path("listeners")) {
      if (l.path("attachedRoutes").asInt(-1) == routes) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasTrue(JsonNode conditions, String type) {
    for (JsonNode c : conditions) {
      if (type.equals(c.path("type").asText()) && "True".equals(c.path("status").asText())) {
        return true;
      }
    }
    return false;
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              f -> {
                try {
                  Files.delete(f);
                } catch (IOException e) {
                  // Temporary files; nothing to do.
                }
              });
    } catch (IOException e) {
      // Same.
    }
  }
}
