package io.eg4j.translator.core.nack;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.UdpListenerIr;
import io.eg4j.model.ir.XdsIr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Traces an Envoy NACK to the objects that caused it, from the IR that was served.
 *
 * <p>The xds-server names Envoy resources after the IR: a listener after the first IR listener on
 * its address and port ({@code namespace/gateway/listener}), a route configuration after its
 * listener, a virtual host {@code <route config>/<hostname>}, a route after its IR route ({@code
 * httproute/ns/name/rule/N/match/M/hostname}) and a cluster after its route rule ({@code
 * httproute/ns/name/rule/N}). Envoy's error_detail names the resource when it can: {@code Error
 * adding/updating listener(s) default/eg/http: cannot bind '0.0.0.0:8080': Address already in use}
 * for LDS, {@code Error adding/updating cluster(s) httproute/default/app/rule/0: ...} for CDS. A
 * route configuration error usually names only the bad value ({@code Not supported field in
 * StreamInfo: BOGUS}), so when no name matches, the values the message quotes or ends with are
 * looked up in the IR elements of the rejected type; a value every element holds proves nothing and
 * attributes nothing.
 */
public final class NackAttribution {
  /** xDS v3 type URLs (the ones the xds-server serves). */
  public static final String LISTENER_TYPE =
      "type.googleapis.com/envoy.config.listener.v3.Listener";

  public static final String ROUTE_TYPE =
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  public static final String CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  public static final String ENDPOINT_TYPE =
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  private static final String GATEWAY_GROUP = "gateway.networking.k8s.io";
  private static final Pattern RULE = Pattern.compile("/rule/(\\d+)(?:/|$)");
  private static final Pattern QUOTED =
      Pattern.compile("'([^']{3,})'|\"([^\"]{3,})\"|`([^`]{3,})`");

  private NackAttribution() {}

  /**
   * The objects a NACK is about, or an empty list when the message names nothing of this IR.
   *
   * @param ir the IR that was served to the Envoy that rejected it
   * @param typeUrl the rejected type
   * @param message Envoy's error_detail message
   */
  public static List<NackCulprit> attribute(XdsIr ir, String typeUrl, String message) {
    if (ir == null || message == null || message.isBlank()) {
      return List.of();
    }
    Set<NackCulprit> out = new LinkedHashSet<>();
    switch (typeUrl == null ? "" : typeUrl) {
      case LISTENER_TYPE -> {
        byName(listeners(ir), message, out);
        if (out.isEmpty()) {
          byValue(listeners(ir), message, out);
        }
      }
      case ROUTE_TYPE -> {
        byName(routes(ir), message, out);
        if (out.isEmpty()) {
          byValue(routes(ir), message, out);
        }
      }
      case CLUSTER_TYPE, ENDPOINT_TYPE -> {
        byName(clusters(ir), message, out);
        if (out.isEmpty()) {
          byValue(routes(ir), message, out);
        }
      }
      default -> byValue(listeners(ir), message, out);
    }
    return List.copyOf(out);
  }

  /** One IR element: the names Envoy may call it by, its JSON, and the objects behind it. */
  private record Element(List<String> names, String json, List<NackCulprit> culprits) {}

  private static void byName(List<Element> elements, String message, Set<NackCulprit> out) {
    for (Element e : elements) {
      for (String n : e.names()) {
        if (mentions(message, n)) {
          out.addAll(e.culprits());
          break;
        }
      }
    }
  }

  /**
   * Values the message quotes, or ends with after its last {@code ": "}, found in the JSON of some
   * elements but not all of them.
   */
  private static void byValue(List<Element> elements, String message, Set<NackCulprit> out) {
    List<String> values = new ArrayList<>();
    Matcher q = QUOTED.matcher(message);
    while (q.find()) {
      for (int g = 1; g <= 3; g++) {
        if (q.group(g) != null) {
          values.add(q.group(g));
        }
      }
    }
    int colon = message.lastIndexOf(": ");
    if (colon >= 0) {
      String tail = message.substring(colon + 2).strip();
      if (tail.endsWith(".")) {
        tail = tail.substring(0, tail.length() - 1);
      }
      if (tail.length() >= 3) {
        values.add(tail);
      }
    }
    for (String v : values) {
      List<Element> hits = elements.stream().filter(e -> e.json().contains(v)).toList();
      if (!hits.isEmpty() && hits.size() < elements.size()) {
        hits.forEach(e -> out.addAll(e.culprits()));
      }
    }
  }

  /** True when {@code name} occurs in {@code message} as a whole name, not inside a longer one. */
  static boolean mentions(String message, String name) {
    int from = 0;
    while (true) {
      int i = message.indexOf(name, from);
      if (i < 0) {
        return false;
      }
      int end = i + name.length();
      boolean startOk = i == 0 || !nameChar(message.charAt(i - 1));
      boolean endOk = end == message.length() || !nameChar(message.charAt(end));
      if (startOk && endOk) {
        return true;
      }
      from = i + 1;
    }
  }

  private static boolean nameChar(char c) {
    return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '/' || c == '.';
  }

  /**
   * Listeners, each named by every IR listener on its address and port (Envoy names the shared
   * listener after the first), and standing for all of them: they bind together or not at all.
   */
  private static List<Element> listeners(XdsIr ir) {
    Map<String, List<String>> namesByPort = new LinkedHashMap<>();
    Map<String, List<NackCulprit>> culpritsByPort = new LinkedHashMap<>();
    Map<String, ObjectNode> jsonByPort = new LinkedHashMap<>();
    for (HttpListenerIr l : ir.http()) {
      ObjectNode json = Json.MAPPER.valueToTree(l);
      json.remove("routes");
      add(
          "tcp|" + l.address() + "|" + l.port(),
          l.name(),
          json,
          ir,
          namesByPort,
          culpritsByPort,
          jsonByPort);
    }
    for (TcpListenerIr l : ir.tcp()) {
      ObjectNode json = Json.MAPPER.valueToTree(l);
      add(
          "tcp|" + l.address() + "|" + l.port(),
          l.name(),
          json,
          ir,
          namesByPort,
          culpritsByPort,
          jsonByPort);
    }
    for (UdpListenerIr l : ir.udp()) {
      ObjectNode json = Json.MAPPER.valueToTree(l);
      add("udp|" + l.name(), l.name(), json, ir, namesByPort, culpritsByPort, jsonByPort);
    }
    List<Element> out = new ArrayList<>();
    for (String port : namesByPort.keySet()) {
      out.add(
          new Element(
              namesByPort.get(port), jsonByPort.get(port).toString(), culpritsByPort.get(port)));
    }
    return out;
  }

  private static void add(
      String port,
      String name,
      ObjectNode json,
      XdsIr ir,
      Map<String, List<String>> names,
      Map<String, List<NackCulprit>> culprits,
      Map<String, ObjectNode> jsons) {
    names.computeIfAbsent(port, p -> new ArrayList<>()).add(name);
    NackCulprit c = listenerCulprit(ir.key(), name);
    if (c != null) {
      culprits.computeIfAbsent(port, p -> new ArrayList<>()).add(c);
    } else {
      culprits.computeIfAbsent(port, p -> new ArrayList<>());
    }
    jsons.merge(
        port,
        json,
        (a, b) -> {
          ObjectNode both = Json.MAPPER.createObjectNode();
          both.set("a", a);
          both.set("b", b);
          return both;
        });
  }

  /** The Gateway listener of an IR listener name {@code namespace/owner/listener}, or null. */
  static NackCulprit listenerCulprit(String irKey, String irListenerName) {
    String[] p = irListenerName.split("/", 3);
    if (p.length != 3) {
      return null;
    }
    return NackCulprit.listener(irKey, new ResourceKey(GATEWAY_GROUP, "Gateway", p[0], p[1]), p[2]);
  }

  /** HTTP routes, each named by its IR route name and standing for its rule. */
  private static List<Element> routes(XdsIr ir) {
    List<Element> out = new ArrayList<>();
    for (HttpListenerIr l : ir.http()) {
      for (HttpRouteIr r : l.routes()) {
        NackCulprit c = ruleCulprit(ir.key(), r);
        out.add(
            new Element(
                List.of(r.name()),
                Json.MAPPER.valueToTree(r).toString(),
                c == null ? List.of() : List.of(c)));
      }
    }
    return out;
  }

  /** Clusters of HTTP routes, each named after its destination and standing for its rule. */
  private static List<Element> clusters(XdsIr ir) {
    List<Element> out = new ArrayList<>();
    for (HttpListenerIr l : ir.http()) {
      for (HttpRouteIr r : l.routes()) {
        NackCulprit c = ruleCulprit(ir.key(), r);
        if (r.destination() != null && c != null) {
          out.add(new Element(List.of(r.destination().name()), "", List.of(c)));
        }
      }
    }
    return out;
  }

  /** The route rule an IR route comes from, read from its metadata and name; null if unknown. */
  static NackCulprit ruleCulprit(String irKey, HttpRouteIr r) {
    Map<String, String> m = r.metadata();
    if (m == null || m.get("kind") == null || m.get("name") == null) {
      return null;
    }
    Matcher rule = RULE.matcher(r.name());
    if (!rule.find()) {
      return null;
    }
    return NackCulprit.rule(
        irKey,
        new ResourceKey(GATEWAY_GROUP, m.get("kind"), m.get("namespace"), m.get("name")),
        Integer.parseInt(rule.group(1)));
  }
}
