package io.eg4j.standalone.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.eg4j.xds.core.XdsResources;
import io.eg4j.xds.core.XdsTranslator;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The translation half of the performance duel (bench/duel/duel.py): resources to xDS in one
 * process, as Envoy Gateway's side does with its gatewayapi and xds translators. The YAML is read
 * and parsed before timing; each timed run is a full translation (statuses, xDS IR, infra IR) and
 * the IR-to-xDS translation of every Gateway's IR. Prints one {@code RESULT {json}} line.
 *
 * <p>{@code java -cp ... io.eg4j.standalone.bench.DuelTranslate INPUT.yaml [runs]}
 */
public final class DuelTranslate {
  private DuelTranslate() {}

  /** Runs the benchmark. */
  public static void main(String[] args) throws Exception {
    Path input = Path.of(args[0]);
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    List<ObjectNode> objects = ManifestReader.read(input);
    ResourceSnapshot snapshot = ResourceSnapshot.of(objects);
    Translator translator = new Translator(EnvoyGatewayConfig.defaults());
    XdsTranslator xds = new XdsTranslator();
    int warmups = Math.max(5, runs);
    int routes = 0;
    int clusters = 0;
    for (int i = 0; i < warmups; i++) {
      once(translator, xds, snapshot);
    }
    long[] total = new long[runs];
    long[] ir = new long[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      TranslateResult result = translator.translate(snapshot);
      long t1 = System.nanoTime();
      routes = 0;
      clusters = 0;
      for (XdsIr x : result.xdsIr().values()) {
        XdsResources r = xds.translate(x);
        routes +=
            r.routes().stream()
                .mapToInt(
                    rc -> rc.getVirtualHostsList().stream().mapToInt(v -> v.getRoutesCount()).sum())
                .sum();
        clusters += r.clusters().size();
      }
      long t2 = System.nanoTime();
      ir[i] = t1 - t0;
      total[i] = t2 - t0;
    }
    Arrays.sort(total);
    Arrays.sort(ir);
    System.out.printf(
        Locale.ROOT,
        "RESULT {\"objects\": %d, \"xds_routes\": %d, \"clusters\": %d, \"runs\": %d,"
            + " \"median_ms\": %.2f, \"min_ms\": %.2f, \"max_ms\": %.2f,"
            + " \"to_ir_median_ms\": %.2f}%n",
        objects.size(),
        routes,
        clusters,
        runs,
        total[runs / 2] / 1e6,
        total[0] / 1e6,
        total[runs - 1] / 1e6,
        ir[runs / 2] / 1e6);
  }

  private static void once(Translator translator, XdsTranslator xds, ResourceSnapshot snapshot) {
    TranslateResult result = translator.translate(snapshot);
    for (XdsIr x : result.xdsIr().values()) {
      xds.translate(x);
    }
  }
}
