package io.eg4j.standalone;

import static io.eg4j.standalone.StackTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.standalone.DashboardQueries.FixedSeries;
import io.eg4j.standalone.DashboardQueries.Query;
import io.eg4j.standalone.launcher.Ports;
import io.eg4j.standalone.launcher.ServiceSpec;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6's acceptance "every metric a dashboard names must exist": the five services run on the
 * quickstart (file source, in-process KRaft broker, no Envoy), and every metric name in {@code
 * deploy/dashboards/*.json} and {@code deploy/alerts/*.yaml} must be a sample some service's {@code
 * /actuator/prometheus} exposes, as is, after one translation went through. Every selector that
 * fixes a label value ({@code eg4j_leader{service="translator"}}, {@code
 * eg4j_status_writes_total{result="conflict"}}) must match an exposed sample too, so the counters
 * that only move on trouble (NACKs, dead letters, conflicts) are registered at zero, not on first
 * use.
 *
 * <p>Nothing is exempt: the metrics the services register only in Kubernetes mode (the Lease
 * gauges) have a file- or host-mode counterpart of the same name and labels.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardMetricsIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir static Path tmp;
  private Standalone stack;
  private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws Exception {
    Path manifests = tmp.resolve("manifests");
    StackTestSupport.writeQuickstart(manifests, Ports.free(), Ports.free());
    stack =
        Standalone.start(
            StandaloneOptions.forTest(
                    manifests,
                    tmp.resolve("data"),
                    new PrintStream(progress, true, StandardCharsets.UTF_8))
                // No proxies: the check is about the control plane's own metrics.
                .withProperties(Map.of("eg4j.provisioner.envoy-binary", "/nonexistent/envoy")));
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private String scrape(String service) {
    String port =
        stack.context(service).getEnvironment().getProperty("local.server.port", "unknown");
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "";
    } catch (Exception e) {
      return "";
    }
  }

  private static double value(String exposition, String sample) {
    double sum = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith(sample + "{") || line.startsWith(sample + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  @Test
  void everyMetricTheDashboardsAndAlertsNameIsExposedByARunningService() throws Exception {
    // A translation went through end to end: translated, pushed, a status written.
    await(
        "a translation, an xDS push and a status write",
        WAIT,
        () ->
            value(scrape("translator"), "eg4j_translator_translation_seconds_count") > 0
                && value(scrape("xds-server"), "eg4j_xds_snapshot_pushes_total") > 0
                && value(scrape("status-writer"), "eg4j_status_writes_total") > 0);

    // JVM GC pause timers appear at the first collection; a short run on a large heap may not
    // have had one yet. Ask for one (a real collection, recorded by Micrometer's GC listener).
    System.gc();
    await(
        "a garbage collection recorded",
        WAIT,
        () -> scrape(ServiceSpec.ALL.get(0).name()).contains("jvm_gc_pause_seconds_count"));

    Map<String, Map<String, List<Map<String, String>>>> byService = new LinkedHashMap<>();
    for (ServiceSpec spec : ServiceSpec.ALL) {
      String text = scrape(spec.name());
      assertThat(text).as("/actuator/prometheus of %s", spec.name()).contains("# TYPE");
      byService.put(spec.name(), DashboardQueries.samples(text));
    }

    List<Query> queries = DashboardQueries.load(Path.of("../deploy"));
    Map<String, Set<String>> usedBy = new TreeMap<>();
    Set<FixedSeries> fixed = new TreeSet<>(java.util.Comparator.comparing(FixedSeries::toString));
    for (Query q : queries) {
      for (String name : DashboardQueries.metricNames(q.expr())) {
        usedBy.computeIfAbsent(name, k -> new TreeSet<>()).add(q.source());
      }
      fixed.addAll(DashboardQueries.fixedSeries(q.expr()));
    }
    assertThat(usedBy).as("metric names found in deploy/").hasSizeGreaterThan(15);

    List<String> missing = new ArrayList<>();
    for (var e : usedBy.entrySet()) {
      String name = e.getKey();
      if (byService.values().stream().noneMatch(s -> s.containsKey(name))) {
        missing.add(
            name
                + " (used by "
                + e.getValue()
                + "; exposed with that stem: "
                + stem(byService, name)
                + ")");
      }
    }
    for (FixedSeries f : fixed) {
      boolean found =
          byService.values().stream()
              .map(s -> s.getOrDefault(f.metric(), List.of()))
              .flatMap(List::stream)
              .anyMatch(labels -> f.value().equals(labels.get(f.label())));
      if (!found) {
        missing.add(f + " (no sample with that label value)");
      }
    }
    assertThat(missing).as("dashboard/alert metrics no running service exposes").isEmpty();
  }

  private static List<String> stem(
      Map<String, Map<String, List<Map<String, String>>>> byService, String name) {
    String base = name.replaceAll("_(bucket|count|sum|max|total|seconds|bytes)$", "");
    List<String> out = new ArrayList<>();
    byService.forEach(
        (svc, samples) ->
            samples.keySet().stream()
                .filter(n -> n.startsWith(base))
                .forEach(n -> out.add(svc + ":" + n)));
    return out;
  }
}
