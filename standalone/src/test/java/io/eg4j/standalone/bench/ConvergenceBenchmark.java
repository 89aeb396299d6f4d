package io.eg4j.standalone.bench;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.standalone.launcher.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Benchmark harness (a {@code main}, not a test) of standalone mode as a user runs it: {@code
 * ./eg4j run DIR} as a subprocess (the launcher script execs one JVM: the broker and the five
 * services, which starts Envoy), an echo backend on 127.0.0.1 in this process, and a watched
 * directory this harness writes to.
 *
 * <p><b>Probe mode</b> (default): a GatewayClass, a Gateway on a free port, a Backend naming the
 * echo server, and one warm-up HTTPRoute; once Envoy serves the warm-up route, N HTTPRoutes are
 * added one at a time, each as a new file (written hidden, then renamed, as an editor's atomic
 * save). For each, the time from the rename until Envoy answers 200 on the route's path, polled
 * every {@code --poll-ms} (2 ms); an answer that is neither 200 nor 404, or a failed connection,
 * counts as an error. Prints mean, p50, p99 and max, and the errors.
 *
 * <p><b>Scale mode</b> ({@code --scale N}): {@code gen-scale.py --routes N} (its Services'
 * endpoints pointed at the echo server, its Gateway at a free port) written as one file (or {@code
 * --files K} files), then: the time until Envoy serves the last route, the time until every
 * HTTPRoute's status file says Accepted (file mode's status-writer), and the JVM's VmRSS (from
 * {@code /proc/PID/status}) sampled every second, with Envoy's; then {@code --churn-minutes M}
 * (default 0) of churn, 10% of the routes changed per minute (in six steps a minute), and RSS after
 * it.
 *
 * <p>Run from the repository root after {@code ./mvnw -B -q -o install -DskipTests -pl standalone}
 * (the script runs with {@code EG4J_NO_BUILD=1}, so build first):
 *
 * <pre>
 * ./mvnw -B -q -o -pl standalone test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
 * java -cp standalone/target/test-classes:standalone/target/classes:$(cat standalone/target/test-classpath.txt) \
 *     io.eg4j.standalone.bench.ConvergenceBenchmark --routes 200
 * java -cp ... io.eg4j.standalone.bench.ConvergenceBenchmark --scale 5000 --churn-minutes 5
 * </pre>
 *
 * <p>Options: {@code --routes N} (probe routes, 200), {@code --scale N}, {@code --files K}, {@code
 * --churn-minutes M}, {@code --shared DIR} (where {@code perf/gen-scale.py} lives, {@code
 * ../shared}), {@code --eg4j PATH} (the launcher script, {@code ./eg4j}), {@code --poll-ms MS},
 * {@code --keep} (keep the work directory and the JVM's log), {@code --late} (scale mode: the route
 * files are written once eg4j is up, as a directory copied in; the translations are counted).
 * {@code EG4J_JAVA_OPTS} in the environment reaches the JVM (e.g. {@code
 * -XX:StartFlightRecording=filename=/tmp/x.jfr}).
 */
public final class ConvergenceBenchmark {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

  private ConvergenceBenchmark() {}

  public static void main(String[] args) throws Exception {
    int routes = 200;
    int scale = 0;
    int files = 1;
    double churnMinutes = 0;
    Path shared = Path.of("../shared");
    Path script = Path.of("./eg4j");
    long pollMs = 2;
    boolean keep = false;
    boolean late = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--routes" -> routes = Integer.parseInt(args[++i]);
        case "--scale" -> scale = Integer.parseInt(args[++i]);
        case "--files" -> files = Integer.parseInt(args[++i]);
        case "--churn-minutes" -> churnMinutes = Double.parseDouble(args[++i]);
        case "--shared" -> shared = Path.of(args[++i]);
        case "--eg4j" -> script = Path.of(args[++i]);
        case "--poll-ms" -> pollMs = Long.parseLong(args[++i]);
        case "--keep" -> keep = true;
        case "--late" -> late = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    // Scale routes match on their hostname: let java.net.http send a Host header.
    System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    Path work = Files.createTempDirectory("eg4j-conv");
    Path manifests = Files.createDirectories(work.resolve("manifests"));
    Path data = work.resolve("data");
    System.out.printf("work dir %s; load average %s%n", work, loadAverage());
    try (EchoServer echo = EchoServer.start(0, "bench-echo", "default")) {
      int gatewayPort = Ports.free();
      List<String> routeFiles = List.of();
      if (scale > 0) {
        routeFiles = writeScale(shared, manifests, scale, files, gatewayPort, echo.port());
        if (!late) {
          writeRoutes(manifests, routeFiles);
        }
      } else {
        writeBase(manifests, gatewayPort, echo.port());
      }
      try (Eg4j eg4j = Eg4j.start(script, manifests, data, work.resolve("eg4j.log"))) {
        HttpClient http =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        Probe probe = new Probe(http, gatewayPort, pollMs);
        if (scale > 0) {
          long t0 = eg4j.upAt;
          if (late) {
            // The routes land in the watched directory while eg4j runs (a directory copied in).
            t0 = System.nanoTime();
            writeRoutes(manifests, routeFiles);
            System.out.printf(
                "wrote %d route files in %.2f s%n",
                routeFiles.size(), seconds(System.nanoTime() - t0));
          }
          scale(eg4j, probe, manifests, data, scale, files, churnMinutes, t0);
          System.out.printf(
              "translations: %d (full or endpoint fast path, from the JVM log)%n",
              countLines(data.resolve("logs/eg4j.log"), "ResourceStateHandler", "translated "));
        } else {
          probe(eg4j, probe, manifests, routes);
        }
      }
    } finally {
      if (!keep) {
        deleteTree(work);
      } else {
        System.out.println("kept " + work);
      }
    }
  }

  // --------------------------------------------------------------------------------------------
  // probe mode

  private static void probe(Eg4j eg4j, Probe probe, Path manifests, int routes) throws Exception {
    long t0 = System.nanoTime();
    Probe.Result warm = probe.awaitServed("/warm", null, null, Duration.ofSeconds(120));
    if (!warm.served()) {
      throw new IllegalStateException("the warm-up route was never served; see the JVM log");
    }
    System.out.printf(
        "warm-up route served %.2f s after eg4j was up; RSS %s%n",
        seconds(System.nanoTime() - t0), eg4j.rssLine());
    double[] ms = new double[routes];
    long errors = 0;
    int unserved = 0;
    for (int r = 0; r < routes; r++) {
      String path = "/p" + r;
      long start = atomicWrite(manifests.resolve("route-" + r + ".yaml"), route("p" + r, path));
      Probe.Result res = probe.awaitServed(path, null, null, Duration.ofSeconds(10));
      ms[r] = (res.servedAtNanos() - start) / 1e6;
      errors += res.errors();
      if (!res.served()) {
        unserved++;
        System.out.printf("route %d not served within 10 s (last status %d)%n", r, res.last());
      }
    }
    Stats s = Stats.of(ms);
    System.out.printf(
        "probe: %d routes added one at a time: mean %.1f ms, p50 %.1f ms, p99 %.1f ms, max %.1f"
            + " ms; errors %d (answers neither 200 nor 404, or failed connections); unserved %d;"
            + " RSS %s; load average %s%n",
        routes, s.mean, s.p50, s.p99, s.max, errors, unserved, eg4j.rssLine(), loadAverage());
  }

  private static void writeBase(Path dir, int gatewayPort, int echoPort) throws IOException {
    Files.writeString(
        dir.resolve("base.yaml"),
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata:
          name: eg
        spec:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: default
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: eg
          namespace: default
        spec:
          gatewayClassName: eg
          listeners:
          - name: http
            protocol: HTTP
            port: %d
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: Backend
        metadata:
          name: echo
          namespace: default
        spec:
          endpoints:
          - ip:
              address: 127.0.0.1
              port: %d
        """
            .formatted(gatewayPort, echoPort));
    Files.writeString(dir.resolve("warm.yaml"), route("warm", "/warm"));
  }

  private static String route(String name, String prefix) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: %s
          namespace: default
        spec:
          parentRefs:
          - name: eg
          rules:
          - matches:
            - path:
                type: PathPrefix
                value: %s
            backendRefs:
            - group: gateway.envoyproxy.io
              kind: Backend
              name: echo
        """
        .formatted(name, prefix);
  }

  // --------------------------------------------------------------------------------------------
  // scale mode

  private static final Pattern ROUTE_DOC = Pattern.compile("(?m)^kind: HTTPRoute$");

  /** Writes base.yaml; returns the route files' contents (written by {@link #writeRoutes}). */
  private static List<String> writeScale(
      Path shared, Path dir, int routes, int files, int gatewayPort, int echoPort)
      throws Exception {
    String yaml = generate(shared, routes);
    // Every endpoint on the echo server, so a served route answers 200 (not a connect timeout).
    yaml =
        yaml.replaceAll("(?m)^  - 10\\.\\d+\\.\\d+\\.\\d+$", "  - 127.0.0.1")
            .replace("8080", String.valueOf(echoPort))
            .replace("    port: 80\n", "    port: " + gatewayPort + "\n");
    return writeSplit(dir, yaml, files);
  }

  private static void writeRoutes(Path dir, List<String> routeFiles) throws IOException {
    for (int i = 0; i < routeFiles.size(); i++) {
      atomicWrite(dir.resolve("routes-" + i + ".yaml"), routeFiles.get(i));
    }
  }

  private static int countLines(Path file, String... all) throws IOException {
    int n = 0;
    try (Stream<String> lines = Files.lines(file)) {
      for (String line : (Iterable<String>) lines::iterator) {
        boolean match = true;
        for (String a : all) {
          match &= line.contains(a);
        }
        n += match ? 1 : 0;
      }
    }
    return n;
  }

  /**
   * Non-route documents into base.yaml; returns the routes spread over {@code files} files' texts.
   */
  private static List<String> writeSplit(Path dir, String yaml, int files) throws IOException {
    String[] docs = yaml.split("\n---\n");
    StringBuilder base = new StringBuilder();
    List<StringBuilder> parts = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      parts.add(new StringBuilder());
    }
    int r = 0;
    for (String d : docs) {
      StringBuilder to = ROUTE_DOC.matcher(d).find() ? parts.get(r++ % files) : base;
      if (!to.isEmpty()) {
        to.append("\n---\n");
      }
      to.append(d);
    }
    Files.writeString(dir.resolve("base.yaml"), base.toString());
    return parts.stream().map(StringBuilder::toString).toList();
  }

  private static String generate(Path shared, int routes) throws Exception {
    Process p =
        new ProcessBuilder(
                "python3",
                shared.resolve("perf/gen-scale.py").toString(),
                "--routes",
                String.valueOf(routes),
                "--endpoints",
                "1")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("gen-scale.py failed");
    }
    return out;
  }

  private static void scale(
      Eg4j eg4j,
      Probe probe,
      Path manifests,
      Path data,
      int routes,
      int files,
      double churnMinutes,
      long t0)
      throws Exception {
    RssSampler sampler = new RssSampler(eg4j.process.pid());
    sampler.start();
    int last = routes - 1;
    String host = "h" + (last % 5) + ".example.com";
    Probe.Result served =
        probe.awaitServed("/r" + last, host, String.valueOf(last), Duration.ofMinutes(5));
    double servedS = seconds(served.servedAtNanos() - t0);
    System.out.printf(
        "scale %d: last route served %.2f s after eg4j was up or the routes landed (%s); RSS now %s%n",
        routes,
        servedS,
        served.served() ? "200" : "NOT served, last " + served.last(),
        eg4j.rssLine());
    long statusAt = awaitStatuses(data.resolve("status"), routes, Duration.ofMinutes(5));
    System.out.printf(
        "scale %d: every HTTPRoute status Accepted %.2f s after eg4j was up or the routes landed, %.2f s after the last"
            + " route was served; RSS now %s; load average %s%n",
        routes,
        seconds(statusAt - t0),
        seconds(statusAt - served.servedAtNanos()),
        eg4j.rssLine(),
        loadAverage());
    System.out.printf("scale %d: JVM RSS max so far %s%n", routes, mib(sampler.max.get()));
    if (churnMinutes > 0) {
      // The route documents as written (same echo and gateway ports), changed in place.
      List<List<String>> perFile = new ArrayList<>();
      int total = 0;
      for (int i = 0; i < files; i++) {
        String text = Files.readString(manifests.resolve("routes-" + i + ".yaml"));
        perFile.add(new ArrayList<>(Arrays.asList(text.split("\n---\n"))));
        total += perFile.get(i).size();
      }
      int steps = (int) Math.round(churnMinutes * 6);
      int perStep = Math.max(1, routes / 60);
      long step0 = System.nanoTime();
      for (int s = 0; s < steps; s++) {
        java.util.Set<Integer> touched = new java.util.TreeSet<>();
        for (int k = 0; k < perStep; k++) {
          int idx = (s * perStep + k) % total;
          List<String> docs = perFile.get(idx % files);
          docs.set(idx / files, churn(docs.get(idx / files), s));
          touched.add(idx % files);
        }
        for (int i : touched) {
          atomicWrite(
              manifests.resolve("routes-" + i + ".yaml"), String.join("\n---\n", perFile.get(i)));
        }
        long next = step0 + TimeUnit.SECONDS.toNanos(10L * (s + 1));
        Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
        System.out.printf(
            "churn step %d/%d: %d routes changed; JVM RSS %s (max %s)%n",
            s + 1, steps, perStep, eg4j.rssLine(), mib(sampler.max.get()));
      }
      System.out.printf(
          "scale %d after %.1f min churn: JVM RSS %s, max %s; load average %s%n",
          routes, churnMinutes, eg4j.rssLine(), mib(sampler.max.get()), loadAverage());
    }
    sampler.stop();
  }

  /** A route document with its path prefix given a new suffix (one change per churn step). */
  private static String churn(String doc, int step) {
    return doc.replaceAll("(?m)^(        value: /r\\d+)(/c\\d+)?$", "$1/c" + step);
  }

  /** Waits until every HTTPRoute has a status file that says Accepted; returns when (nanoTime). */
  private static long awaitStatuses(Path statusDir, int routes, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Path ns = statusDir.resolve("default");
    while (System.nanoTime() < deadline) {
      long now = System.nanoTime();
      int count = 0;
      if (Files.isDirectory(ns)) {
        try (Stream<Path> s = Files.list(ns)) {
          count = (int) s.filter(p -> p.getFileName().toString().startsWith("HTTPRoute-")).count();
        }
      }
      if (count >= routes && allAccepted(ns)) {
        return now;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("statuses not all written within " + timeout);
  }

  private static boolean allAccepted(Path ns) throws IOException {
    try (Stream<Path> s = Files.list(ns)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.getFileName().toString().startsWith("HTTPRoute-")) {
          String y = Files.readString(p);
          if (!y.contains("reason: \"Accepted\"") && !y.contains("reason: Accepted")) {
            return false;
          }
        }
      }
    }
    return true;
  }

  // --------------------------------------------------------------------------------------------
  // the eg4j process, probing, RSS

  /** {@code ./eg4j run} as a subprocess; its output goes to a log file. */
  private static final class Eg4j implements AutoCloseable {
    final Process process;
    final long upAt;

    private Eg4j(Process process, long upAt) {
      this.process = process;
      this.upAt = upAt;
    }

    static Eg4j start(Path script, Path manifests, Path data, Path log) throws Exception {
      ProcessBuilder pb =
          new ProcessBuilder(
                  script.toString(),
                  "run",
                  manifests.toString(),
                  "--data-dir",
                  data.toString(),
                  "--clean")
              .redirectErrorStream(true);
      pb.environment().put("EG4J_NO_BUILD", "1");
      long t0 = System.nanoTime();
      Process p = pb.start();
      CountDownLatch up = new CountDownLatch(1);
      Thread pump =
          new Thread(
              () -> {
                try (BufferedReader in =
                        new BufferedReader(
                            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    var w = Files.newBufferedWriter(log)) {
                  for (String line; (line = in.readLine()) != null; ) {
                    w.write(line);
                    w.newLine();
                    if (line.startsWith("eg4j is up")) {
                      up.countDown();
                      w.flush();
                    }
                  }
                } catch (IOException e) {
                  // the process ended
                }
              },
              "eg4j-log");
      pump.setDaemon(true);
      pump.start();
      if (!up.await(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("eg4j did not come up; see " + log);
      }
      long upAt = System.nanoTime();
      System.out.printf(
          "eg4j up in %.1f s (pid %d); RSS %s%n", seconds(upAt - t0), p.pid(), rss(p.pid()));
      return new Eg4j(p, upAt);
    }

    String rssLine() {
      long envoy =
          process
              .descendants()
              .filter(h -> h.info().command().map(c -> c.contains("envoy")).orElse(false))
              .mapToLong(h -> rssKib(h.pid()))
              .sum();
      return "JVM " + mib(rssKib(process.pid())) + ", Envoy " + mib(envoy);
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Polls Envoy for one route. */
  private static final class Probe {
    final HttpClient http;
    final int port;
    final long pollMs;

    Probe(HttpClient http, int port, long pollMs) {
      this.http = http;
      this.port = port;
      this.pollMs = pollMs;
    }

    record Result(boolean served, long servedAtNanos, long errors, int last) {}

    Result awaitServed(String path, String host, String routeHeader, Duration timeout)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      long errors = 0;
      int last = -1;
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5));
      if (host != null) {
        // Host is a restricted header of java.net.http: main() allows it.
        b.setHeader("Host", host).header("x-route", routeHeader);
      }
      HttpRequest req = b.build();
      while (System.nanoTime() < deadline) {
        try {
          HttpResponse<Void> res = http.send(req, HttpResponse.BodyHandlers.discarding());
          last = res.statusCode();
          if (last == 200) {
            return new Result(true, System.nanoTime(), errors, last);
          }
          if (last != 404) {
            errors++;
          }
        } catch (IOException e) {
          errors++;
          last = -1;
        }
        Thread.sleep(pollMs);
      }
      return new Result(false, System.nanoTime(), errors, last);
    }
  }

  /** Samples VmRSS of a process every second; keeps the maximum. */
  private static final class RssSampler {
    final long pid;
    final AtomicLong max = new AtomicLong();
    volatile boolean running = true;
    Thread thread;

    RssSampler(long pid) {
      this.pid = pid;
    }

    void start() {
      thread =
          new Thread(
              () -> {
                while (running) {
                  max.accumulateAndGet(rssKib(pid), Math::max);
                  try {
                    Thread.sleep(1000);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "rss");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() {
      running = false;
      thread.interrupt();
    }
  }

  static long rssKib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone
    }
    return 0;
  }

  static String rss(long pid) {
    return mib(rssKib(pid));
  }

  static String mib(long kib) {
    return String.format(Locale.ROOT, "%d MiB", kib / 1024);
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return String.join(" ", Arrays.copyOf(f, 3));
    } catch (IOException e) {
      return "?";
    }
  }

  /** Writes a file as an editor's atomic save; returns the time of the rename (nanoTime). */
  static long atomicWrite(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    long t = System.nanoTime();
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return t;
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Mean and percentiles of a sample. */
  record Stats(double mean, double p50, double p99, double max) {
    static Stats of(double[] values) {
      double[] v = values.clone();
      Arrays.sort(v);
      double sum = 0;
      for (double x : v) {
        sum += x;
      }
      return new Stats(sum / v.length, pct(v, 50), pct(v, 99), v[v.length - 1]);
    }

    static double pct(double[] sorted, double p) {
      int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
  }
}
