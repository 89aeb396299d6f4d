package io.eg4j.xds.bench;

import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.XdsResources;
import io.eg4j.xds.core.XdsTranslator;
import java.util.Arrays;

/**
 * IR to xDS for 10,000 routes (target: under 150 ms). Prints the time of translation alone and of
 * translation plus content hashing (what a snapshot update costs). Run: {@code java -cp ...
 * io.eg4j.xds.bench.TranslateBenchmark [routes] [iterations]}.
 */
public final class TranslateBenchmark {
  private TranslateBenchmark() {}

  public static void main(String[] args) {
    int routes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    XdsIr ir = BenchIr.http(routes, 0);
    XdsTranslator t = new XdsTranslator();
    for (int i = 0; i < 10; i++) {
      XdsResources r = t.translate(ir);
      XdsResources.versionOf(r.routes());
    }
    long[] translate = new long[iterations];
    long[] withHash = new long[iterations];
    int clusters = 0;
    for (int i = 0; i < iterations; i++) {
      long t0 = System.nanoTime();
      XdsResources r = t.translate(ir);
      long t1 = System.nanoTime();
      XdsResources.versionOf(r.listeners());
      XdsResources.versionOf(r.routes());
      XdsResources.versionOf(r.clusters());
      XdsResources.versionOf(r.endpoints());
      long t2 = System.nanoTime();
      translate[i] = t1 - t0;
      withHash[i] = t2 - t0;
      clusters = r.clusters().size();
    }
    System.out.printf(
        "IR -> xDS, %d routes (%d clusters), %d runs after warm-up:%n",
        routes, clusters, iterations);
    print("translate", translate);
    print("translate + content hashes", withHash);
  }

  static void print(String what, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    System.out.printf(
        "  %-28s min %6.1f ms  median %6.1f ms  p90 %6.1f ms  max %6.1f ms%n",
        what,
        s[0] / 1e6,
        s[s.length / 2] / 1e6,
        s[(int) (s.length * 0.9)] / 1e6,
        s[s.length - 1] / 1e6);
  }
}
