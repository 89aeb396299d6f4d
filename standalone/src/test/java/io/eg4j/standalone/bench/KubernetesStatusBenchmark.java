package io.eg4j.standalone.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.standalone.launcher.EmbeddedKraftBroker;
import io.eg4j.standalone.launcher.Ports;
import io.eg4j.statuswriter.app.StatusWriterApplication;
import io.eg4j.translator.app.TranslatorApplication;
import io.eg4j.watcher.app.WatcherApplication;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Benchmark harness (a {@code main}, not a test): the real watcher (Kubernetes source), translator
 * and status-writer (Kubernetes mode) Spring applications in one JVM, against one fabric8 mock API
 * server (CRUD mode, status subresources on) and one in-process KRaft broker. It applies {@code
 * gen-scale.py --routes N} (a GatewayClass, one Gateway, 50 Services with EndpointSlices and N
 * HTTPRoutes; default 1,000) and measures the wall time from the first apply until every status is
 * correct, and the status writes the mock server received (PUT or PATCH on a {@code /status} path).
 *
 * <p>"Correct" means: every HTTPRoute has Accepted=True and ResolvedRefs=True for our controller,
 * the Gateway is Accepted with {@code attachedRoutes} = N on its listener, and the GatewayClass is
 * Accepted. Each run starts from nothing (new mock server, broker and services).
 *
 * <p>Run it from the repository root (after {@code ./mvnw -o -pl standalone -am install
 * -DskipTests} or an equivalent build of the modules):
 *
 * <pre>
 * ./mvnw -B -q -o -pl standalone test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
 * java -cp standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/test-classpath.txt) \
 *     io.eg4j.standalone.bench.KubernetesStatusBenchmark --routes 1000 --runs 3
 * </pre>
 *
 * Options: {@code --routes N}, {@code --runs N}, {@code --warmup N} (HTTPRoutes of an uncounted
 * first run, 200 by default, 0 for none), {@code --shared DIR} (where {@code perf/gen-scale.py}
 * lives; default {@code ../shared}), and {@code -Dkey=value}-style Spring properties as {@code
 * --set key=value} (for example {@code --set eg4j.status-writer.kubernetes.writes-per-second=200})
 * to try service settings.
 */
public final class KubernetesStatusBenchmark {
  private static final String CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
  private static final Duration RUN_TIMEOUT =
      Duration.ofSeconds(Long.getLong("bench.timeout-seconds", 300));

  // A strong reference: java.util.logging forgets the level of a logger that is collected.
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private KubernetesStatusBenchmark() {}

  /** One run's figures. */
  record Figures(double seconds, int statusWrites, int routesCorrect, double writerWritten) {}

  public static void main(String[] args) throws Exception {
    int routes = 1000;
    int runs = 3;
    int warmup = 200;
    Path shared = Path.of("../shared");
    Map<String, String> extra = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--routes" -> routes = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--shared" -> shared = Path.of(args[++i]);
        case "--set" -> {
          String[] kv = args[++i].split("=", 2);
          extra.put(kv[0], kv[1]);
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    // Three Spring contexts in one JVM: logging is configured once, by logback-test.xml.
    System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    List<GenericKubernetesResource> manifests = generate(shared, routes);

    if (warmup > 0) {
      // A smaller run first, so the measured runs do not pay for class loading and the JIT.
      Figures w = runOnce(generate(shared, warmup), warmup, extra);
      System.out.printf("warm-up: %d HTTPRoutes in %.2f s (not counted)%n", warmup, w.seconds());
    }
    List<Figures> all = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      Figures f = runOnce(manifests, routes, extra);
      all.add(f);
      System.out.printf(
          "run %d: %d HTTPRoutes, all statuses correct after %.2f s, %d status writes on the API"
              + " server (status-writer counted %.0f written); routes correct %d/%d%n",
          run, routes, f.seconds(), f.statusWrites(), f.writerWritten(), f.routesCorrect(), routes);
    }
    List<Figures> byTime =
        all.stream().sorted(Comparator.comparingDouble(Figures::seconds)).toList();
    List<Figures> byWrites =
        all.stream().sorted(Comparator.comparingInt(Figures::statusWrites)).toList();
    System.out.printf(
        "%n=== KubernetesStatusBenchmark: %d HTTPRoutes on one Gateway, %d runs ===%n"
            + "time to all statuses correct: median %.2f s (runs: %s)%n"
            + "status writes (PUT/PATCH on /status): median %d (runs: %s)%n",
        routes,
        runs,
        byTime.get(byTime.size() / 2).seconds(),
        all.stream().map(f -> String.format("%.2f", f.seconds())).toList(),
        byWrites.get(byWrites.size() / 2).statusWrites(),
        all.stream().map(Figures::statusWrites).toList());
    int expected = routes;
    System.exit(all.stream().allMatch(f -> f.routesCorrect() == expected) ? 0 : 1);
  }

  private static List<GenericKubernetesResource> generate(Path shared, int routes)
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
      if (!doc.isBlank()) {
        out.add(Serialization.unmarshal(doc, GenericKubernetesResource.class));
      }
    }
    return out;
  }

  /** The CRUD dispatcher, counting the writes to status subresources. */
  static final class CountingDispatcher extends KubernetesCrudDispatcher {
    final AtomicInteger statusWrites = new AtomicInteger();

    CountingDispatcher() {
      super(List.of());
    }

    private void count(RecordedRequest request) {
      String path = request.getPath();
      int q = path.indexOf('?');
      if ((q < 0 ? path : path.substring(0, q)).endsWith("/status")) {
        statusWrites.incrementAndGet();
        if (Boolean.getBoolean("bench.debug-writes")) {
          System.out.println("status write: " + request.getMethod() + " " + path);
        }
      }
    }

    final Map<String, AtomicInteger> tally = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if (Boolean.getBoolean("bench.debug")) {
        String path = request.getPath();
        int q = path.indexOf('?');
        String bare = q < 0 ? path : path.substring(0, q);
        String shape =
            request.getMethod()
                + " "
                + bare.replaceAll("/(route|svc|gw)-[0-9a-z-]+", "/NAME")
                + (q >= 0 && path.contains("watch=true") ? " (watch)" : "");
        tally.computeIfAbsent(shape, k -> new AtomicInteger()).incrementAndGet();
      }
      return super.dispatch(request);
    }

    @Override
    public MockResponse handleUpdate(RecordedRequest request) {
      count(request);
      return super.handleUpdate(request);
    }

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
      count(request);
      return super.handlePatch(request);
    }
  }

  private static Figures runOnce(
      List<GenericKubernetesResource> manifests, int routes, Map<String, String> extra)
      throws Exception {
    CountingDispatcher dispatcher = new CountingDispatcher();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    for (WatchedKind k : WatchedKind.ALL) {
      if (!k.group().isEmpty() && k.hasStatus()) {
        server.expectCustomResource(
            new CustomResourceDefinitionContext.Builder()
                .withGroup(k.group())
                .withVersion(k.version())
                .withKind(k.kind())
                .withPlural(k.plural())
                .withScope(k.namespaced() ? "Namespaced" : "Cluster")
                .withStatusSubresource(true)
                .build());
      }
    }
    Path data = Files.createTempDirectory("eg4j-k8s-bench");
    List<ConfigurableApplicationContext> apps = new ArrayList<>();
    EmbeddedKraftBroker broker = null;
    KubernetesClient client = server.createClient();
    try {
      broker = EmbeddedKraftBroker.start(data.resolve("kafka"), Ports.free(), Ports.free());
      System.setProperty("kubernetes.master", client.getConfiguration().getMasterUrl());
      System.setProperty("kubernetes.trust.certificates", "true");
      System.setProperty("kubernetes.auth.tryKubeConfig", "false");
      System.setProperty("kubernetes.auth.tryServiceAccount", "false");
      System.setProperty("kubernetes.namespace", "default");
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
        for (GenericKubernetesResource r : manifests) {
          WatchedKind k =
              WatchedKind.find(ResourceKey.groupOf(r.getApiVersion()), r.getKind()).orElseThrow();
          var op = client.genericKubernetesResources(k.context());
          (k.namespaced() ? op.inNamespace(r.getMetadata().getNamespace()) : op)
              .resource(r)
              .create();
        }
        System.out.printf("apply only: %.2f s%n", (System.nanoTime() - a0) / 1e9);
        return new Figures(0, 0, routes, 0);
      }
      // The translator first: it creates nothing on the API server, and the watcher's initial
      // state then flows at once.
      apps.add(start(TranslatorApplication.class, "translator", common, Map.of(), extra));
      apps.add(
          start(
              StatusWriterApplication.class,
              "status-writer",
              common,
              Map.of(
                  "eg4j.status-writer.mode", "kubernetes",
                  "eg4j.status-writer.kubernetes.lease-namespace", "envoy-gateway-system",
                  "eg4j.status-writer.kubernetes.identity", "bench"),
              extra));
      apps.add(
          start(
              WatcherApplication.class,
              "watcher",
              common,
              Map.of("eg4j.watcher.source", "kubernetes"),
              extra));
      awaitLeader(apps.get(1));

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
      int writesBefore = dispatcher.statusWrites.get();

      long t0 = System.nanoTime();
      for (GenericKubernetesResource r : manifests) {
        WatchedKind k =
            WatchedKind.find(ResourceKey.groupOf(r.getApiVersion()), r.getKind()).orElseThrow();
        var op = client.genericKubernetesResources(k.context());
        (k.namespaced() ? op.inNamespace(r.getMetadata().getNamespace()) : op).resource(r).create();
      }
      System.out.printf(
          "applied %d objects in %.2f s%n", manifests.size(), (System.nanoTime() - t0) / 1e9);
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
              dispatcher.statusWrites.get());
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
      for (int i = 0; i < 50 && settled != dispatcher.statusWrites.get(); i++) {
        settled = dispatcher.statusWrites.get();
        Thread.sleep(400);
      }
      if (Boolean.getBoolean("bench.debug")) {
        dispatcher.tally.entrySet().stream()
            .sorted((a, b) -> b.getValue().get() - a.getValue().get())
            .limit(25)
            .forEach(e -> System.out.println("requests " + e.getValue() + " " + e.getKey()));
      }
      routeInformer.close();
      gatewayInformer.close();
      classInformer.close();
      MeterRegistry meters = apps.get(1).getBean(MeterRegistry.class);
      Counter written = meters.find("eg4j.status.writes").tag("result", "written").counter();
      return new Figures(
          (done - t0) / 1e9,
          dispatcher.statusWrites.get() - writesBefore,
          correct,
          written == null ? 0 : written.count());
    } finally {
      for (int i = apps.size() - 1; i >= 0; i--) {
        apps.get(i).close();
      }
      if (broker != null) {
        broker.close();
      }
      client.close();
      server.destroy();
      deleteQuietly(data);
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
