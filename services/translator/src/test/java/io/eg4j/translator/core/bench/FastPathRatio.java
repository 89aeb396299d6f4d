package io.eg4j.translator.core.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.EndpointFastPath;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A harness printing the fast path's cost as a share of a full translation, measured interleaved in
 * one JVM (round after round: one full translation, then the fast path) so that a loaded machine
 * slows both alike. Complements {@link TranslatorBenchmark}, whose absolute figures swing with the
 * load. Run like the benchmark: {@code java -cp <test classpath>
 * io.eg4j.translator.core.bench.FastPathRatio [routes...]}.
 */
public final class FastPathRatio {
  private FastPathRatio() {}

  /** Prints median full and fast times (ms) and their ratio for each size. */
  public static void main(String[] args) throws Exception {
    int[] sizes = args.length == 0 ? new int[] {1000, 10000} : parse(args);
    for (int routes : sizes) {
      Path tmp = Files.createTempFile("eg4j-ratio", ".yaml");
      Files.writeString(tmp, ScaleScenario.yaml(routes, 50, 200, 3));
      ResourceSnapshot snapshot = ResourceSnapshot.of(ManifestReader.read(tmp));
      Files.delete(tmp);
      Translator translator = new Translator(EnvoyGatewayConfig.defaults());
      TranslateResult previous = translator.translate(snapshot);
      Map<ResourceKey, ObjectNode> changed = new TreeMap<>(snapshot.objects());
      var slice =
          changed.entrySet().stream()
              .filter(e -> e.getKey().kind().equals("EndpointSlice"))
              .findFirst()
              .orElseThrow();
      ObjectNode moved = slice.getValue().deepCopy();
      ((ObjectNode) moved.path("endpoints").get(0)).putArray("addresses").add("10.255.0.1");
      changed.put(slice.getKey(), moved);
      Set<ResourceKey> keys = Set.of(slice.getKey());
      int rounds = routes >= 10000 ? 15 : 40;
      int warmup = rounds / 2;
      double[] full = new double[rounds];
      double[] fast = new double[rounds];
      for (int i = 0; i < warmup + rounds; i++) {
        long t0 = System.nanoTime();
        translator.translate(snapshot);
        long t1 = System.nanoTime();
        EndpointFastPath.apply(previous, changed, keys).orElseThrow();
        long t2 = System.nanoTime();
        if (i >= warmup) {
          full[i - warmup] = (t1 - t0) / 1e6;
          fast[i - warmup] = (t2 - t1) / 1e6;
        }
      }
      double f = median(full);
      double p = median(fast);
      System.out.printf(
          "routes=%d full=%.3f ms fast=%.3f ms fast/full=%.2f%% (medians of %d rounds)%n",
          routes, f, p, 100 * p / f, rounds);
    }
  }

  private static int[] parse(String[] args) {
    return Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
