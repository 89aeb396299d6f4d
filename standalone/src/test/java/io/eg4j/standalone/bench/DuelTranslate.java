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

  private static final long WARM_NANOS = Long.getLong("duel.warmSeconds", 10) * 1_000_000_000L;
  private static final long MAX_WARM_NANOS =
      Long.getLong("duel.maxWarmSeconds", 120) * 1_000_000_000L;
  private static final long JIT_QUIET_NANOS = 3_000_000_000L;

  /** Runs the benchmark. */
  public static void main(String[] args) throws Exception {
    Path input = Path.of(args[0]);
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    List<ObjectNode> objects = ManifestReader.read(input);
    ResourceSnapshot snapshot = ResourceSnapshot.of(objects);
    Translator translator = new Translator(EnvoyGatewayConfig.defaults());
    // A fresh XdsTranslator for every run: one kept across runs would hand back the Routes of the
    // previous run's equal route IR (RouteXdsTranslator's reuse), which is a change's cost, not a
    // translation from scratch.
    // Warm until the JIT has settled: at least 50 runs and 10 s of translating, then until the
    // JIT compiler has spent no more time compiling for 3 s (at most 120 s in all). A few runs of a
    // small input leave the timed runs to the interpreter and C1, and on a 2-core machine C2 may
    // still be compiling the translator's hot methods 10 s in: the timed runs then measure
    // compilation, not translation (medians of one jar were ~25 or ~45 ms from one launch to the
    // next). A running control plane translates with compiled code. Go needs no warm-up; its side
    // runs as many warm-up runs as timed ones.
    java.lang.management.CompilationMXBean jit =
        java.lang.management.ManagementFactory.getCompilationMXBean();
    boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
    long start = System.nanoTime();
    long warmUntil = start + WARM_NANOS;
    long capAt = start + MAX_WARM_NANOS;
    long lastJitMillis = jitTimed ? jit.getTotalCompilationTime() : 0;
    long jitQuietSince = System.nanoTime();
    int warmups = 0;
    boolean settled = !jitTimed;
    while (true) {
      once(translator, new XdsTranslator(), snapshot);
      warmups++;
      long now = System.nanoTime();
      if (jitTimed) {
        long jitMillis = jit.getTotalCompilationTime();
        if (jitMillis != lastJitMillis) {
          lastJitMillis = jitMillis;
          jitQuietSince = now;
        }
        settled = now - jitQuietSince >= JIT_QUIET_NANOS;
      }
      boolean enough = warmups >= Math.max(50, runs) && now >= warmUntil;
      if ((enough && settled) || now >= capAt) {
        break;
      }
    }
    double warmSeconds = (System.nanoTime() - start) / 1e9;
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long self = Thread.currentThread().getId();
    long[] total = new long[runs];
    long[] ir = new long[runs];
    // CPU time besides wall time: on a machine shared with other builds, wall time mostly measures
    // the load; the process's CPU time (translation, its garbage collection) much less so.
    long[] cpu = new long[runs];
    long[] alloc = new long[runs];
    List<XdsResources> last = new java.util.ArrayList<>();
    for (int i = 0; i < runs; i++) {
      last.clear();
      XdsTranslator xds = new XdsTranslator();
      long a0 = threads.getThreadAllocatedBytes(self);
      long c0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      TranslateResult result = translator.translate(snapshot);
      long t1 = System.nanoTime();
      for (XdsIr x : result.xdsIr().values()) {
        last.add(xds.translate(x));
      }
      long t2 = System.nanoTime();
      cpu[i] = os.getProcessCpuTime() - c0;
      alloc[i] = threads.getThreadAllocatedBytes(self) - a0;
      ir[i] = t1 - t0;
      total[i] = t2 - t0;
    }
    int routes = 0;
    int clusters = 0;
    for (XdsResources r : last) {
      routes +=
          r.routes().stream()
              .mapToInt(
                  rc -> rc.getVirtualHostsList().stream().mapToInt(v -> v.getRoutesCount()).sum())
              .sum();
      clusters += r.clusters().size();
    }
    Arrays.sort(total);
    Arrays.sort(ir);
    Arrays.sort(cpu);
    Arrays.sort(alloc);
    System.out.printf(
        Locale.ROOT,
        "RESULT {\"objects\": %d, \"xds_routes\": %d, \"clusters\": %d, \"runs\": %d,"
            + " \"median_ms\": %.2f, \"min_ms\": %.2f, \"max_ms\": %.2f,"
            + " \"to_ir_median_ms\": %.2f, \"cpu_median_ms\": %.2f,"
            + " \"alloc_median_mb\": %.1f, \"warmups\": %d, \"warm_s\": %.1f,"
            + " \"jit_settled\": %b}%n",
        objects.size(),
        routes,
        clusters,
        runs,
        total[runs / 2] / 1e6,
        total[0] / 1e6,
        total[runs - 1] / 1e6,
        ir[runs / 2] / 1e6,
        cpu[runs / 2] / 1e6,
        alloc[runs / 2] / 1e6,
        warmups,
        warmSeconds,
        settled);
  }

  private static void once(Translator translator, XdsTranslator xds, ResourceSnapshot snapshot) {
    TranslateResult result = translator.translate(snapshot);
    for (XdsIr x : result.xdsIr().values()) {
      xds.translate(x);
    }
  }
}
