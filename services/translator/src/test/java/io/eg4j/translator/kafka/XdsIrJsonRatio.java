package io.eg4j.translator.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.Translator;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A harness printing the cost of the sealed xDS IR's canonical JSON per change, written whole
 * ({@link ContentHash#canonicalJson}) and with the unchanged routes copied ({@link XdsIrJson}),
 * measured interleaved in one JVM so that a loaded machine slows both alike. Each round is one
 * change: the IR with one route in its other version. Run like {@code FastPathRatio}: {@code java
 * -cp <test classpath> io.eg4j.translator.kafka.XdsIrJsonRatio [routes...]}.
 */
public final class XdsIrJsonRatio {
  private XdsIrJsonRatio() {}

  /** Prints median times (ms) of both ways for each size. */
  public static void main(String[] args) throws Exception {
    int[] sizes =
        args.length == 0
            ? new int[] {1000, 5000}
            : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    for (int routes : sizes) {
      XdsIr[] versions = {ir(routes, "/a"), ir(routes, "/b")};
      XdsIrJson json = new XdsIrJson();
      int rounds = 200;
      double[] whole = new double[rounds];
      double[] copied = new double[rounds];
      long sink = 0;
      for (int i = 0; i < 2 * rounds; i++) {
        XdsIr ir = versions[i & 1];
        long t0 = System.nanoTime();
        sink += ContentHash.canonicalJson(ir).length;
        long t1 = System.nanoTime();
        sink += json.write(ir.key(), ir).length;
        long t2 = System.nanoTime();
        if (i >= rounds) {
          whole[i - rounds] = (t1 - t0) / 1e6;
          copied[i - rounds] = (t2 - t1) / 1e6;
        }
      }
      System.out.printf(
          "routes=%d whole=%.3f ms copied=%.3f ms (medians of %d changes; %d bytes per IR; %d)%n",
          routes,
          median(whole),
          median(copied),
          rounds,
          ContentHash.canonicalJson(versions[0]).length,
          sink);
    }
  }

  /** The IR of a Gateway with {@code routes} HTTPRoutes, route 0's path prefix {@code path}. */
  private static XdsIr ir(int routes, String path) throws Exception {
    StringBuilder b =
        new StringBuilder(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: eg}
            spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: default}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {namespace: default, name: gw}
            spec:
              gatewayClassName: eg
              listeners:
              - {name: http, protocol: HTTP, port: 80}
            ---
            apiVersion: v1
            kind: Service
            metadata: {namespace: default, name: svc}
            spec:
              ports:
              - {name: http, port: 8080}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              namespace: default
              name: svc-1
              labels: {kubernetes.io/service-name: svc}
            addressType: IPv4
            ports:
            - {name: http, port: 8080, protocol: TCP}
            endpoints:
            - addresses: [10.0.0.1]
              conditions: {ready: true}
            """);
    for (int r = 0; r < routes; r++) {
      b.append(
          """
          ---
          apiVersion: gateway.networking.k8s.io/v1
          kind: HTTPRoute
          metadata: {namespace: default, name: route-%d}
          spec:
            parentRefs: [{name: gw}]
            hostnames: [host-%d.example.com]
            rules:
            - matches:
              - path: {type: PathPrefix, value: %s}
              backendRefs: [{name: svc, port: 8080}]
          """
              .formatted(r, r % 50, r == 0 ? path : "/r" + r));
    }
    List<ObjectNode> docs =
        ManifestReader.read(
            "ratio.yaml", new ByteArrayInputStream(b.toString().getBytes(StandardCharsets.UTF_8)));
    return new Translator(EnvoyGatewayConfig.defaults())
        .translate(ResourceSnapshot.of(docs))
        .xdsIr()
        .get("default/gw");
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
