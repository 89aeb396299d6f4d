package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Property: for random sequences of EndpointSlice changes (addresses, readiness, ports, address
 * types, service labels, slices created and deleted), the fast path either declines or gives
 * exactly the xDS IR, infra IR and statuses of a full translation, also when fast results are
 * chained. HTTP (with weights and mirrors), gRPC, TCP and UDP routes share Services.
 */
class EndpointFastPathPropertyTest {
  private static final String[] SERVICES = {"a", "b", "c", "d"};

  private static final String BASE =
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
      metadata: {namespace: default, name: eg}
      spec:
        gatewayClassName: eg
        listeners:
        - {name: http, protocol: HTTP, port: 80}
        - {name: other, protocol: HTTP, port: 8080}
        - {name: tcp, protocol: TCP, port: 9000}
        - {name: udp, protocol: UDP, port: 9053}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: split}
      spec:
        parentRefs: [{name: eg, sectionName: http}]
        hostnames: [a.example.com, b.example.com]
        rules:
        - matches: [{path: {type: PathPrefix, value: /x}}, {headers: [{name: h, value: v}]}]
          filters:
          - type: RequestMirror
            requestMirror: {backendRef: {name: c, port: 80}, percent: 10}
          backendRefs:
          - {name: a, port: 80, weight: 3}
          - {name: b, port: 80, weight: 1}
          - {name: missing, port: 80, weight: 1}
        - backendRefs: [{name: b, port: 80}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: both}
      spec:
        parentRefs: [{name: eg}]
        rules:
        - matches: [{path: {type: Exact, value: /both}}]
          backendRefs: [{name: a, port: 80}, {name: d, port: 80}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: GRPCRoute
      metadata: {namespace: default, name: grpc}
      spec:
        parentRefs: [{name: eg, sectionName: other}]
        rules:
        - backendRefs: [{name: c, port: 80}]
      ---
      apiVersion: gateway.networking.k8s.io/v1alpha2
      kind: TCPRoute
      metadata: {namespace: default, name: tcp}
      spec:
        parentRefs: [{name: eg, sectionName: tcp}]
        rules:
        - backendRefs: [{name: d, port: 80}, {name: a, port: 80}]
      ---
      apiVersion: gateway.networking.k8s.io/v1alpha2
      kind: UDPRoute
      metadata: {namespace: default, name: udp}
      spec:
        parentRefs: [{name: eg, sectionName: udp}]
        rules:
        - backendRefs: [{name: b, port: 53}]
      """;

  private static String service(String name) {
    return """
        ---
        apiVersion: v1
        kind: Service
        metadata: {namespace: default, name: %s}
        spec:
          ports:
          - {name: http, port: 80, protocol: TCP}
          - {name: dns, port: 53, protocol: UDP}
        """
        .formatted(name);
  }

  private static Map<ResourceKey, ObjectNode> parse(String yaml) throws IOException {
    Map<ResourceKey, ObjectNode> out = new HashMap<>();
    for (ObjectNode o :
        ManifestReader.read(
            "test", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))) {
      out.put(ResourceSnapshot.keyOf(o), o);
    }
    return out;
  }

  /** A random slice for one of the services (or none), mostly ready IPv4 endpoints. */
  private static ObjectNode randomSlice(Random rnd, String name) throws IOException {
    String svc = SERVICES[rnd.nextInt(SERVICES.length)];
    String label = rnd.nextInt(20) == 0 ? "{}" : "{kubernetes.io/service-name: " + svc + "}";
    String type = rnd.nextInt(25) == 0 ? "FQDN" : "IPv4";
    StringBuilder eps = new StringBuilder();
    int n = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(3);
    for (int i = 0; i < n; i++) {
      String addr =
          type.equals("FQDN") ? "h" + rnd.nextInt(5) + ".example.net" : "10.0.0." + rnd.nextInt(6);
      eps.append("- addresses: [")
          .append(addr)
          .append("]\n  conditions: {ready: ")
          .append(rnd.nextInt(8) != 0)
          .append("}\n");
    }
    String ports =
        rnd.nextInt(20) == 0
            ? "[{name: http, port: 81, protocol: TCP}]"
            : "[{name: http, port: 8080, protocol: TCP}, {name: dns, port: 5353, protocol: UDP}]";
    String yaml =
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          namespace: default
          name: %s
          labels: %s
        addressType: %s
        ports: %s
        endpoints:%s
        """
            .formatted(name, label, type, ports, n == 0 ? " []" : "\n" + eps);
    return parse(yaml).values().iterator().next();
  }

  /** The YAML of the four Services, each with one ready slice ({@code <svc>-0}) when asked. */
  private static String services(boolean withSlices, String addresses) {
    StringBuilder yaml = new StringBuilder(BASE);
    for (String s : SERVICES) {
      yaml.append(service(s));
      if (withSlices) {
        yaml.append(
            """
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              namespace: default
              name: %s-0
              labels: {kubernetes.io/service-name: %s}
            addressType: IPv4
            ports: [{name: http, port: 8080, protocol: TCP}, {name: dns, port: 5353, protocol: UDP}]
            endpoints:
            - addresses: %s
            """
                .formatted(s, s, addresses));
      }
    }
    return yaml.toString();
  }

  @Test
  void fastPathEqualsFullTranslation() throws IOException {
    Map<ResourceKey, ObjectNode> base = parse(services(false, null));
    // Every service starts with one ready slice so that most changes can take the fast path.
    Map<ResourceKey, ObjectNode> initialSlices = parse(services(true, "[10.1.0.1, 10.1.0.2]"));
    initialSlices.keySet().removeIf(k -> !k.kind().equals("EndpointSlice"));
    // A fixed clock: statuses carry transition times.
    Translator t =
        new Translator(
            EnvoyGatewayConfig.defaults(),
            java.time.Clock.fixed(java.time.Instant.EPOCH, java.time.ZoneOffset.UTC));
    int fastTaken = 0;
    int declined = 0;
    for (long seed = 0; seed < 60; seed++) {
      Random rnd = new Random(seed);
      Map<ResourceKey, ObjectNode> objects = new HashMap<>(base);
      objects.putAll(initialSlices);
      TranslateResult previous = t.translate(ResourceSnapshot.of(objects));
      for (int step = 0; step < 8; step++) {
        Set<ResourceKey> changed = new HashSet<>();
        int changes = 1 + rnd.nextInt(3);
        for (int c = 0; c < changes; c++) {
          List<ResourceKey> slices = new ArrayList<>();
          objects.keySet().stream()
              .filter(k -> k.kind().equals("EndpointSlice"))
              .sorted()
              .forEach(slices::add);
          int op = rnd.nextInt(10);
          if (op == 0 && !slices.isEmpty()) {
            ResourceKey k = slices.get(rnd.nextInt(slices.size()));
            objects.remove(k);
            changed.add(k);
          } else {
            String name =
                op < 5 && !slices.isEmpty()
                    ? slices.get(rnd.nextInt(slices.size())).name()
                    : "extra-" + rnd.nextInt(4);
            ObjectNode slice = randomSlice(rnd, name);
            ResourceKey k = ResourceSnapshot.keyOf(slice);
            objects.put(k, slice);
            changed.add(k);
          }
        }
        TranslateResult full = t.translate(ResourceSnapshot.of(objects));
        Optional<TranslateResult> fast = EndpointFastPath.apply(previous, objects, changed);
        if (fast.isPresent()) {
          fastTaken++;
          assertThat(fast.get().xdsIr()).as("seed %d step %d", seed, step).isEqualTo(full.xdsIr());
          assertThat(fast.get().infraIr()).isEqualTo(full.infraIr());
          assertThat(fast.get().statuses())
              .as("seed %d step %d statuses", seed, step)
              .isEqualTo(full.statuses());
          // Chain: the next change starts from the fast result.
          previous = fast.get();
        } else {
          declined++;
          previous = full;
        }
      }
    }
    System.out.printf("fast path taken %d times, declined %d times%n", fastTaken, declined);
    // Both branches were exercised, the fast one often.
    assertThat(fastTaken).isGreaterThan(150);
    assertThat(declined).isPositive();
  }

  @Test
  void declinesForOtherKinds() throws IOException {
    Map<ResourceKey, ObjectNode> objects = parse(services(false, null));
    TranslateResult previous =
        new Translator(EnvoyGatewayConfig.defaults()).translate(ResourceSnapshot.of(objects));
    ResourceKey svc = ResourceKey.of("v1", "Service", "default", "a");
    assertThat(EndpointFastPath.apply(previous, objects, Set.of(svc))).isEmpty();
  }

  @Test
  void sharesUntouchedIrObjects() throws IOException {
    Map<ResourceKey, ObjectNode> objects = parse(services(true, "[10.1.0.1]"));
    Translator t = new Translator(EnvoyGatewayConfig.defaults());
    TranslateResult previous = t.translate(ResourceSnapshot.of(objects));
    ResourceKey k = ResourceKey.of("discovery.k8s.io/v1", "EndpointSlice", "default", "c-0");
    ObjectNode moved = objects.get(k).deepCopy();
    ((ObjectNode) moved.path("endpoints").get(0)).putArray("addresses").add("10.9.9.9");
    objects.put(k, moved);
    TranslateResult fast = EndpointFastPath.apply(previous, objects, Set.of(k)).orElseThrow();
    assertThat(fast.xdsIr()).isEqualTo(t.translate(ResourceSnapshot.of(objects)).xdsIr());
    // Service c feeds only the mirror of "split" (listener http) and the GRPCRoute (listener
    // other): the TCP and UDP listeners are the very same objects.
    var before = previous.xdsIr().get("default/eg");
    var after = fast.xdsIr().get("default/eg");
    assertThat(after.tcp().get(0)).isSameAs(before.tcp().get(0));
    assertThat(after.udp().get(0)).isSameAs(before.udp().get(0));
    assertThat(after.http()).hasSameSizeAs(before.http());
    // In listener http only the routes of rule 0 of "split" (with the mirror) were rebuilt.
    var httpBefore = before.http().stream().filter(l -> l.name().endsWith("/http")).findFirst();
    var httpAfter = after.http().stream().filter(l -> l.name().endsWith("/http")).findFirst();
    for (int i = 0; i < httpBefore.orElseThrow().routes().size(); i++) {
      var r = httpBefore.get().routes().get(i);
      if (!r.name().startsWith("httproute/default/split/rule/0/")) {
        assertThat(httpAfter.orElseThrow().routes().get(i)).isSameAs(r);
      } else {
        assertThat(httpAfter.orElseThrow().routes().get(i)).isNotSameAs(r);
      }
    }
  }
}
