package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Attachment of Envoy Gateway's policies (BackendTrafficPolicy, ClientTrafficPolicy,
 * SecurityPolicy, EnvoyExtensionPolicy) to Gateways, listeners and routes (GEP-713): records one
 * ancestor status per Gateway (and section) a policy reaches, resolves conflicts (the oldest policy
 * for a target wins), and marks a broader policy Overridden where a narrower one of the same kind
 * takes precedence. The policies' own settings are not translated into the IR yet.
 */
final class PolicyProcessor {
  private static final Set<String> ROUTE_KINDS =
      Set.of("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute");

  private final TranslationContext ctx;

  PolicyProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  /** A target a policy reached. */
  private record Target(String kind, String namespace, String name, String section) {
    String key() {
      return kind + "/" + namespace + "/" + name + "/" + (section == null ? "" : section);
    }
  }

  void process() {
    for (Map.Entry<String, List<ObjectNode>> e : ctx.policies.entrySet()) {
      processKind(e.getKey(), e.getValue());
    }
  }

  private void processKind(String kind, List<ObjectNode> policies) {
    boolean clientPolicy = kind.equals("ClientTrafficPolicy");
    Map<String, ObjectNode> owner = new HashMap<>();
    // Targets per policy, in policy age order.
    Map<ObjectNode, List<Target>> targets = new LinkedHashMap<>();
    for (ObjectNode p : policies) {
      try {
        targets.put(p, targets(p, clientPolicy));
      } catch (RuntimeException e) {
        // A target list of an unexpected shape: the policy reaches nothing.
        targets.put(p, List.of());
      }
    }
    // Narrower targets (routes, route rules, listeners) shadow broader ones: the broader policy is
    // Overridden there, or Merged when the narrower policy asks to merge (spec.mergeType).
    Map<String, Boolean> overriddenBy = new HashMap<>();
    Map<String, Boolean> mergedBy = new HashMap<>();
    Set<String> broaderTargets = new java.util.HashSet<>();
    for (Map.Entry<ObjectNode, List<Target>> e : targets.entrySet()) {
      boolean merges = Nodes.has(Nodes.spec(e.getKey()), "mergeType");
      Map<String, Boolean> into = merges ? mergedBy : overriddenBy;
      for (Target t : e.getValue()) {
        broaderTargets.add(t.kind() + "/" + t.namespace() + "/" + t.name() + "/");
        if (ROUTE_KINDS.contains(t.kind())) {
          if (t.section() != null) {
            into.put(t.kind() + "/" + t.namespace() + "/" + t.name() + "/", true);
          }
          for (RouteContext r : routes(t)) {
            for (RouteContext.Parent parent : r.parents) {
              String gw = "Gateway/" + parent.gateway.namespace + "/" + parent.gateway.name + "/";
              into.put(gw, true);
              for (ListenerContext l : parent.listeners) {
                into.put(gw + l.name, true);
              }
            }
          }
        } else if (t.section() != null) {
          broaderTargets.add(t.kind() + "/" + t.namespace() + "/" + t.name() + "/" + t.section());
          into.put(t.kind() + "/" + t.namespace() + "/" + t.name() + "/", true);
        }
      }
    }
    for (Map.Entry<ObjectNode, List<Target>> e : targets.entrySet()) {
      ObjectNode p = e.getKey();
      boolean deprecated = Nodes.has(Nodes.spec(p), "targetRef");
      for (Target t : e.getValue()) {
        String winner = owner.containsKey(t.key()) ? Nodes.name(owner.get(t.key())) : null;
        owner.putIfAbsent(t.key(), p);
        for (ObjectNode ancestor : ancestors(t)) {
          StatusCollector.RefStatus rs =
              ctx.statuses
                  .entry(p)
                  .ancestor(ancestor, ancestor.toString(), ctx.config.controllerName());
          if (winner != null) {
            rs.conditions.set(
                Condition.isFalse(
                    "Accepted",
                    "Conflicted",
                    "Unable to target "
                        + t.kind()
                        + " "
                        + t.name()
                        + ", another "
                        + kind
                        + " ("
                        + winner
                        + ") has already attached to it"));
            continue;
          }
          String invalid = invalidDuration(Nodes.spec(p), "spec");
          if (invalid == null && kind.equals("SecurityPolicy")) {
            invalid = invalidApiKeyAuth(p);
          }
          if (invalid != null) {
            rs.conditions.set(Condition.isFalse("Accepted", "Invalid", invalid));
            if (deprecated) {
              rs.conditions.set(
                  Condition.isTrue(
                      "Warning",
                      "DeprecatedField",
                      "The targetRef field is deprecated, use targetRefs instead"));
            }
            continue;
          }
          rs.conditions.set(Condition.isTrue("Accepted", "Accepted", "Policy has been accepted."));
          String whole = t.kind() + "/" + t.namespace() + "/" + t.name() + "/";
          boolean broad = t.section() == null;
          if (broad && overriddenBy.containsKey(whole)) {
            rs.conditions.set(
                Condition.isTrue(
                    "Overridden",
                    "Overridden",
                    "This policy is being overridden by other "
                        + kind
                        + "s for some of its targets"));
          }
          boolean mergesDown = broad && mergedBy.containsKey(whole);
          boolean mergesUp =
              Nodes.has(Nodes.spec(p), "mergeType") && hasBroader(t, ancestor, broaderTargets);
          if (mergesDown || mergesUp) {
            rs.conditions.set(
                Condition.isTrue("Merged", "Merged", "Merged with policies of broader targets"));
          }
          if (deprecated) {
            rs.conditions.set(
                Condition.isTrue(
                    "Warning",
                    "DeprecatedField",
                    "The targetRef field is deprecated, use targetRefs instead"));
          }
        }
      }
    }
  }

  /**
   * Validates {@code spec.apiKeyAuth} of a SecurityPolicy as Envoy Gateway does: every credential
   * Secret must exist (in another namespace only with a ReferenceGrant), and no API key may be
   * given to two clients (the first Secret that names a client ID wins for that client). Returns a
   * message, or null when valid.
   */
  private String invalidApiKeyAuth(ObjectNode p) {
    JsonNode auth = Nodes.obj(Nodes.spec(p), "apiKeyAuth");
    if (auth.isMissingNode()) {
      return null;
    }
    String ns = Nodes.namespace(p);
    Map<String, String> clients = new HashMap<>();
    Map<String, String> keys = new HashMap<>();
    for (JsonNode ref : Nodes.list(auth, "credentialRefs")) {
      String kind = Nodes.text(ref, "kind", "Secret");
      String group = Nodes.text(ref, "group", "");
      String name = Nodes.text(ref, "name", "");
      String secretNs = Nodes.text(ref, "namespace", ns);
      if (!kind.equals("Secret") || !group.isEmpty()) {
        return "credentialRef " + name + ": unsupported kind " + kind;
      }
      if (!secretNs.equals(ns)
          && !ctx.referenceAllowed(
              "gateway.envoyproxy.io", "SecurityPolicy", ns, "", "Secret", secretNs, name)) {
        return "Secret " + secretNs + "/" + name + " is not allowed by any ReferenceGrant";
      }
      ObjectNode secret = ctx.secret(secretNs, name);
      if (secret == null) {
        return "Secret " + secretNs + "/" + name + " does not exist";
      }
      // Secret data is base64; the same bytes are the same key.
      var it = Nodes.obj(secret, "data").fields();
      while (it.hasNext()) {
        var e = it.next();
        if (clients.containsKey(e.getKey())) {
          continue;
        }
        String key = e.getValue().asText();
        String owner = keys.putIfAbsent(key, e.getKey());
        if (owner != null) {
          return "duplicated API key for clients " + owner + " and " + e.getKey();
        }
        clients.put(e.getKey(), key);
      }
    }
    return null;
  }

  private static final java.util.regex.Pattern DURATION_FIELD =
      java.util.regex.Pattern.compile("(?i).*(timeout|interval|duration)");
  private static final java.util.regex.Pattern GO_DURATION =
      java.util.regex.Pattern.compile(
          "[-+]?(0|((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|\u00b5s|ms|s|m|h))+)");

  /**
   * A message for the first duration field (a name ending in timeout, interval or duration) whose
   * value is not a Go duration, or null. Envoy Gateway rejects such policies as Invalid.
   */
  static String invalidDuration(JsonNode node, String path) {
    if (node.isObject()) {
      var it = node.fields();
      while (it.hasNext()) {
        var e = it.next();
        JsonNode v = e.getValue();
        if (v.isTextual()
            && DURATION_FIELD.matcher(e.getKey()).matches()
            && !GO_DURATION.matcher(v.asText()).matches()) {
          return path + "." + e.getKey() + ": invalid duration " + v.asText();
        }
        String nested = invalidDuration(v, path + "." + e.getKey());
        if (nested != null) {
          return nested;
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String nested = invalidDuration(node.get(i), path + "[" + i + "]");
        if (nested != null) {
          return nested;
        }
      }
    }
    return null;
  }

  /** True when a broader policy of the same kind reaches the Gateway of this ancestor. */
  private static boolean hasBroader(Target t, ObjectNode ancestor, Set<String> broaderTargets) {
    String gw =
        ancestor.path("kind").asText()
            + "/"
            + ancestor.path("namespace").asText()
            + "/"
            + ancestor.path("name").asText()
            + "/";
    if (ROUTE_KINDS.contains(t.kind())) {
      return broaderTargets.contains(gw)
          || broaderTargets.contains(gw + ancestor.path("sectionName").asText());
    }
    return t.section() != null && broaderTargets.contains(gw);
  }

  /**
   * The targets of a policy: targetRef, targetRefs and targetSelectors, in the policy namespace.
   */
  private List<Target> targets(ObjectNode p, boolean clientPolicy) {
    String ns = Nodes.namespace(p);
    JsonNode spec = Nodes.spec(p);
    List<JsonNode> refs = new ArrayList<>(Nodes.list(spec, "targetRefs"));
    if (Nodes.obj(spec, "targetRef").isObject()) {
      refs.add(0, Nodes.obj(spec, "targetRef"));
    }
    List<Target> out = new ArrayList<>();
    for (JsonNode ref : refs) {
      String group = Nodes.text(ref, "group", "");
      String kind = Nodes.text(ref, "kind", "");
      if (!group.equals(TranslationContext.GATEWAY_GROUP)) {
        continue;
      }
      addTarget(
          out,
          new Target(kind, ns, Nodes.text(ref, "name", ""), Nodes.text(ref, "sectionName")),
          clientPolicy);
    }
    for (JsonNode sel : Nodes.list(spec, "targetSelectors")) {
      String kind = Nodes.text(sel, "kind", "");
      LabelSelector selector;
      try {
        JsonNode s =
            sel.has("matchLabels") || sel.has("matchExpressions")
                ? sel
                : Nodes.obj(sel, "selector");
        selector = LabelSelector.parse(s);
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (kind.equals("Gateway")) {
        for (GatewayContext g : ctx.acceptedGateways) {
          if (g.namespace.equals(ns)
              && selector.matches(Nodes.map(Nodes.obj(g.gateway, "metadata"), "labels"))) {
            addTarget(out, new Target("Gateway", ns, g.name, null), clientPolicy);
          }
        }
      } else if (ROUTE_KINDS.contains(kind)) {
        for (RouteContext r : ctx.attachedRoutes) {
          if (r.kind.equals(kind)
              && r.namespace.equals(ns)
              && selector.matches(Nodes.map(Nodes.obj(r.route, "metadata"), "labels"))) {
            addTarget(out, new Target(kind, ns, r.name, null), clientPolicy);
          }
        }
      }
    }
    return out;
  }

  private void addTarget(List<Target> out, Target t, boolean clientPolicy) {
    boolean known =
        switch (t.kind()) {
          case "Gateway" -> gateway(t) != null;
          case "ListenerSet", "XListenerSet" -> !clientPolicy || true;
          default -> !clientPolicy && ROUTE_KINDS.contains(t.kind()) && !routes(t).isEmpty();
        };
    if (known && !out.contains(t)) {
      out.add(t);
    }
  }

  private GatewayContext gateway(Target t) {
    for (GatewayContext g : ctx.acceptedGateways) {
      if (g.namespace.equals(t.namespace()) && g.name.equals(t.name())) {
        return g;
      }
    }
    return null;
  }

  private List<RouteContext> routes(Target t) {
    List<RouteContext> out = new ArrayList<>();
    for (RouteContext r : ctx.attachedRoutes) {
      if (r.kind.equals(t.kind()) && r.namespace.equals(t.namespace()) && r.name.equals(t.name())) {
        out.add(r);
      }
    }
    return out;
  }

  /** The ancestor references a target contributes: the Gateway, or each parent of a route. */
  private List<ObjectNode> ancestors(Target t) {
    List<ObjectNode> out = new ArrayList<>();
    if (t.kind().equals("Gateway")) {
      GatewayContext g = gateway(t);
      if (g != null) {
        if (t.section() != null
            && g.ownListeners().stream().noneMatch(l -> l.name.equals(t.section()))) {
          return out;
        }
        out.add(ref("Gateway", g.namespace, g.name, t.section()));
      }
      return out;
    }
    if (t.kind().equals("ListenerSet") || t.kind().equals("XListenerSet")) {
      for (GatewayContext g : ctx.acceptedGateways) {
        for (ListenerSetContext ls : g.listenerSets) {
          if (ls.namespace.equals(t.namespace()) && ls.name.equals(t.name())) {
            out.add(ref(t.kind(), ls.namespace, ls.name, t.section()));
          }
        }
      }
      return out;
    }
    for (RouteContext r : routes(t)) {
      for (RouteContext.Parent parent : r.parents) {
        ObjectNode a =
            ref(
                Nodes.text(parent.ref, "kind", "Gateway"),
                Nodes.text(parent.ref, "namespace", r.namespace),
                Nodes.text(parent.ref, "name", ""),
                Nodes.text(parent.ref, "sectionName"));
        if (!out.contains(a)) {
          out.add(a);
        }
      }
    }
    return out;
  }

  private static ObjectNode ref(String kind, String ns, String name, String section) {
    ObjectNode ref = Nodes.object();
    ref.put("group", TranslationContext.GATEWAY_GROUP);
    ref.put("kind", kind);
    ref.put("namespace", ns);
    ref.put("name", name);
    if (section != null) {
      ref.put("sectionName", section);
    }
    return ref;
  }
}
