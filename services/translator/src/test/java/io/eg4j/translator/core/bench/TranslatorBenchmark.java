package io.eg4j.translator.core.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.EndpointFastPath;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Translates N HTTPRoutes on one Gateway (input from {@code ../shared/perf/gen-scale.py}, or a
 * built-in generator with the same shape when the script's output is not given). Target: 10,000
 * routes in well under a second.
 *
 * <p>Run: {@code ./mvnw -o -pl services/translator test-compile} then {@code java -cp
 * target/test-classes:<test classpath> io.eg4j.translator.core.bench.TranslatorBenchmark} (adds
 * {@code -prof gc} for allocation). {@code -Deg4j.bench.input=FILE} uses a generated file for every
 * size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TranslatorBenchmark {
  @Param({"1000", "10000"})
  public int routes;

  private ResourceSnapshot snapshot;
  private Translator translator;
  private TranslateResult previous;
  private ResourceSnapshot endpointsChanged;
  private java.util.Set<io.eg4j.model.bus.ResourceKey> changedKeys;
  // The snapshot with one HTTPRoute in two versions, other objects the same instances: as the
  // translator service's state holds them from one change to the next.
  private final ResourceSnapshot[] routeVersions = new ResourceSnapshot[2];
  private int nextVersion;

  @Setup
  public void setup() throws IOException {
    String file = System.getProperty("eg4j.bench.input");
    String yaml =
        file != null ? Files.readString(Path.of(file)) : ScaleScenario.yaml(routes, 50, 200, 3);
    Path tmp = Files.createTempFile("eg4j-bench", ".yaml");
    Files.writeString(tmp, yaml);
    List<ObjectNode> objects = ManifestReader.read(tmp);
    Files.delete(tmp);
    snapshot = ResourceSnapshot.of(objects);
    translator = new Translator(EnvoyGatewayConfig.defaults());
    previous = translator.translate(snapshot);
    // The most frequent event in a real cluster: one pod of one Service moves to a new address.
    java.util.Map<io.eg4j.model.bus.ResourceKey, ObjectNode> changed =
        new java.util.TreeMap<>(snapshot.objects());
    var slice =
        changed.entrySet().stream()
            .filter(e -> e.getKey().kind().equals("EndpointSlice"))
            .findFirst()
            .orElseThrow();
    ObjectNode moved = slice.getValue().deepCopy();
    ((ObjectNode) moved.path("endpoints").get(0)).putArray("addresses").add("10.255.0.1");
    changed.put(slice.getKey(), moved);
    endpointsChanged = ResourceSnapshot.of(changed);
    changedKeys = java.util.Set.of(slice.getKey());
    java.util.Map<io.eg4j.model.bus.ResourceKey, ObjectNode> versions =
        new java.util.TreeMap<>(snapshot.objects());
    var route =
        versions.entrySet().stream()
            .filter(e -> e.getKey().kind().equals("HTTPRoute"))
            .skip(versions.size() / 7 % 100)
            .findFirst()
            .orElseThrow();
    for (int v = 0; v < 2; v++) {
      ObjectNode copy = route.getValue().deepCopy();
      ((ObjectNode) copy.path("spec").path("rules").get(0).path("matches").get(0).path("path"))
          .put("value", "/changed-" + v);
      versions.put(route.getKey(), copy);
      routeVersions[v] = ResourceSnapshot.of(versions);
    }
    TranslateResult fast =
        EndpointFastPath.apply(previous, endpointsChanged.objects(), changedKeys)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "the scenario's endpoint change does not take the fast path"));
    // The benchmark measures the real thing only if the fast path is exact.
    if (!fast.xdsIr().equals(translator.translate(endpointsChanged).xdsIr())) {
      throw new IllegalStateException("fast path IR differs from a full translation");
    }
  }

  /** One full translation: statuses, xDS IR and infra IR. */
  @Benchmark
  public TranslateResult translate() {
    return translator.translate(snapshot);
  }

  /**
   * The endpoint fast path for the same snapshot after one EndpointSlice changed: the work the
   * translator service does instead of {@link #translate()} for such a change.
   */
  @Benchmark
  public TranslateResult endpointFastPath() {
    return EndpointFastPath.apply(previous, endpointsChanged.objects(), changedKeys).orElseThrow();
  }

  /**
   * A translation after one HTTPRoute changed (a new instance; the other objects the same instances
   * as in the last translation), the two versions of the route alternating: what the translator
   * service does for each change of issue #16's probe.
   */
  @Benchmark
  public TranslateResult oneRouteChanged() {
    ResourceSnapshot s = routeVersions[nextVersion];
    nextVersion ^= 1;
    return translator.translate(s);
  }

  /** Runs the benchmark with GC profiling. */
  public static void main(String[] args) throws RunnerException {
    new Runner(
            new OptionsBuilder()
                .include(TranslatorBenchmark.class.getSimpleName())
                .addProfiler("gc")
                .build())
        .run();
  }
}
