package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.extension.EnvoyExtensionPolicyTranslator;
import io.eg4j.translator.core.policy.security.SecurityPolicyTranslator;
import io.eg4j.translator.core.policy.traffic.BackendTrafficPolicyTranslator;
import io.eg4j.translator.core.policy.traffic.ClientTrafficPolicyTranslator;
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
 * takes precedence. It also decides whether each policy can be enforced (the fail-closed rule) and
 * records which policy holds each target, for the appliers that set route IR.
 */
final class PolicyProcessor {
  private static final Set<String> ROUTE_KINDS =
      Set.of("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute");

  private final TranslationContext ctx;
  private final SecurityPolicyTranslator security;

  /**
   * Per policy kind, the policy that holds each target ({@code kind/namespace/name/section}, the
   * section empty for a whole object): the oldest policy that reached it, valid or not. Conflicted
   * and TargetNotFound attachments are not here. The appliers read this to set route IR.
   */
  final Map<String, Map<String, Attachment>> winners = new HashMap<>();

  /** Per policy: the reason it is not Accepted (Invalid), or {@link #VALID}. */
  private final Map<ObjectNode, String> verdicts = new java.util.IdentityHashMap<>();

  /** Per policy: its translation (the kind's own Result record), kept for the appliers. */
  private final Map<ObjectNode, Object> translations = new java.util.IdentityHashMap<>();

  private static final String VALID = "";

  /**
   * A policy holding a target.
   *
   * @param policy the policy object
   * @param error why it is not Accepted, or null when it is
   * @param translation the kind's translation result ({@code SecurityPolicyTranslator.Result},
   *     {@code BackendTrafficPolicyTranslator.Result} …), null for kinds without one
   */
  record Attachment(ObjectNode policy, String error, Object translation) {}

  private final BackendTrafficPolicyTranslator traffic;
  private final ClientTrafficPolicyTranslator client;
  private final EnvoyExtensionPolicyTranslator extension;

  PolicyProcessor(TranslationContext ctx) {
    this.ctx = ctx;
    PolicyEnvironment env = new PolicyEnvironment(ctx);
    this.security = new SecurityPolicyTranslator(env);
    this.traffic = new BackendTrafficPolicyTranslator(env);
    this.client = new ClientTrafficPolicyTranslator(env);
    this.extension =
        new EnvoyExtensionPolicyTranslator(
            env, ctx.config.extensionApis().enableLua(), ctx.config.wasmCache());
  }

  /**
   * How the Lua scripts of an EnvoyExtensionPolicy are checked: the {@code lua.validationType} (or
   * the older {@code luaValidation}) of the EnvoyProxy of the first Gateway the policy reaches,
   * {@code Strict} by default.
   */
  private String luaValidation(ObjectNode p) {
    List<Target> ts;
    try {
      ts = targets(p, false);
    } catch (RuntimeException e) {
      return "Strict";
    }
    for (Target t : ts) {
      for (ObjectNode a : ancestors(t)) {
        for (GatewayContext g : ctx.acceptedGateways) {
          if (g.name.equals(a.path("name").asText())
              && g.namespace.equals(a.path("namespace").asText())) {
            JsonNode ep = g.envoyProxy;
            if (ep == null) {
              return "Strict";
            }
            String v = ep.path("lua").path("validationType").asText(null);
            return v != null ? v : ep.path("luaValidation").asText("Strict");
          }
        }
      }
    }
    return "Strict";
  }

  /**
   * The EnvoyProxy specs in effect for the Gateways a policy reaches, one per Gateway in the order
   * they are reached (null for a Gateway without one): an EnvoyExtensionPolicy's dynamic modules
   * and a BackendTrafficPolicy's dynamic module load balancer must be registered in each.
   */
  private List<JsonNode> envoyProxies(ObjectNode p) {
    List<Target> ts;
    try {
      ts = targets(p, false);
    } catch (RuntimeException e) {
      return List.of();
    }
    List<JsonNode> out = new ArrayList<>();
    java.util.Set<GatewayContext> seen =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Target t : ts) {
      for (ObjectNode a : ancestors(t)) {
        for (GatewayContext g : ctx.acceptedGateways) {
          if (g.name.equals(a.path("name").asText())
              && g.namespace.equals(a.path("namespace").asText())
              && seen.add(g)) {
            out.add(g.envoyProxy);
          }
        }
      }
    }
    return out;
  }

  private static String routeKey(Target t) {
    return t.kind() + "/" + t.namespace() + "/" + t.name();
  }

  /** A target a policy reached. */
  private record Target(String kind, String namespace, String name, String section) {
    String key() {
      return kind + "/" + namespace + "/" + name + "/" + (section == null ? "" : section);
    }
  }

  void process() {
    // ClientTrafficPolicies first: a SecurityPolicy's geolocation rules depend on the client IP
    // detection of the listeners it reaches.
    List<ObjectNode> clientPolicies = ctx.policies.get("ClientTrafficPolicy");
    if (clientPolicies != null) {
      processKind("ClientTrafficPolicy", clientPolicies);
    }
    for (Map.Entry<String, List<ObjectNode>> e : ctx.policies.entrySet()) {
      if (!e.getKey().equals("ClientTrafficPolicy")) {
        processKind(e.getKey(), e.getValue());
      }
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
    // Overridden there. A route policy that asks to merge (spec.mergeType) instead merges, per
    // listener, with the nearest broader policy (listener section, ListenerSet, Gateway): both are
    // Merged, the route policy on that listener's ancestor.
    Set<String> overridden = new java.util.HashSet<>();
    Map<String, ObjectNode> firstAt = new HashMap<>();
    for (Map.Entry<ObjectNode, List<Target>> e : targets.entrySet()) {
      for (Target t : e.getValue()) {
        if (!sectionMissing(t)) {
          firstAt.putIfAbsent(t.key(), e.getKey());
        }
      }
    }
    Set<String> mergingRoutes = new java.util.HashSet<>();
    for (Map.Entry<ObjectNode, List<Target>> e : targets.entrySet()) {
      if (Nodes.has(Nodes.spec(e.getKey()), "mergeType")) {
        for (Target t : e.getValue()) {
          if (ROUTE_KINDS.contains(t.kind())) {
            mergingRoutes.add(routeKey(t));
          }
        }
      }
    }
    Set<String> mergedInto = new java.util.HashSet<>();
    Map<ObjectNode, List<ObjectNode>> mergedAt = new java.util.IdentityHashMap<>();
    for (Map.Entry<ObjectNode, List<Target>> e : targets.entrySet()) {
      boolean merges = Nodes.has(Nodes.spec(e.getKey()), "mergeType");
      for (Target t : e.getValue()) {
        if (sectionMissing(t)) {
          continue;
        }
        if (ROUTE_KINDS.contains(t.kind())) {
          // A route-rule policy shadows the whole-route one on that rule, merging or not.
          if (t.section() != null) {
            overridden.add(t.kind() + "/" + t.namespace() + "/" + t.name() + "/");
          }
          for (RouteContext r : routes(t)) {
            for (RouteContext.Parent parent : r.parents) {
              for (ListenerContext l : parent.listeners) {
                List<String> broader = PolicyChain.listenerKeys(l);
                if (!merges) {
                  // A rule-level policy shadows the listener and Gateway ones too, unless another
                  // policy of the same route merges with them: they are then Merged there.
                  if (t.section() == null || !mergingRoutes.contains(routeKey(t))) {
                    overridden.addAll(broader);
                  }
                  continue;
                }
                for (String k : broader) {
                  ObjectNode held = firstAt.get(k);
                  if (held != null && held != e.getKey()) {
                    mergedInto.add(k);
                    List<ObjectNode> at =
                        mergedAt.computeIfAbsent(e.getKey(), x -> new ArrayList<>());
                    ObjectNode ref = listenerRef(l);
                    if (!at.contains(ref)) {
                      at.add(ref);
                    }
                    break;
                  }
                }
              }
            }
          }
        } else if (t.section() != null) {
          overridden.add(t.kind() + "/" + t.namespace() + "/" + t.name() + "/");
          if (!t.kind().equals("Gateway")) {
            for (ObjectNode a : ancestors(t)) {
              GatewayContext g = listenerSetGateway(a);
              if (g != null) {
                overridden.add("Gateway/" + g.namespace + "/" + g.name + "/");
              }
            }
          }
        } else if (!t.kind().equals("Gateway")) {
          for (ObjectNode a : ancestors(t)) {
            GatewayContext g = listenerSetGateway(a);
            if (g != null) {
              overridden.add("Gateway/" + g.namespace + "/" + g.name + "/");
            }
          }
        }
      }
    }
    for (Map.Entry<ObjectNode, List<Target>> e : targets.entrySet()) {
      ObjectNode p = e.getKey();
      boolean deprecated = Nodes.has(Nodes.spec(p), "targetRef");
      for (Target t : e.getValue()) {
        if (sectionMissing(t)) {
          // A section that names no listener or route rule: the target is not found, and the
          // policy neither takes the target nor conflicts with others there.
          for (ObjectNode ancestor : ancestors(t)) {
            ctx.statuses
                .entry(p)
                .ancestor(ancestor, ancestor.toString(), ctx.config.controllerName())
                .conditions
                .set(
                    Condition.isFalse(
                        "Accepted",
                        "TargetNotFound",
                        "Unable to find target "
                            + t.kind()
                            + " "
                            + t.namespace()
                            + "/"
                            + t.name()
                            + " section "
                            + t.section()));
          }
          continue;
        }
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
          String invalid = verdict(kind, p);
          rs.conditions.set(
              invalid != null
                  ? Condition.isFalse("Accepted", "Invalid", invalid)
                  : Condition.isTrue("Accepted", "Accepted", "Policy has been accepted."));
          if (overridden.contains(t.key())) {
            rs.conditions.set(
                Condition.isTrue(
                    "Overridden",
                    "Overridden",
                    "This policy is being overridden by other "
                        + kind
                        + "s for some of its targets"));
          }
          if (invalid != null) {
            if (deprecated) {
              warnDeprecatedTargetRef(rs);
            }
            continue;
          }
          if (mergedInto.contains(t.key()) && firstAt.get(t.key()) == p) {
            rs.conditions.set(
                Condition.isTrue("Merged", "Merged", "Merged with policies of narrower targets"));
          }
          if (deprecated) {
            warnDeprecatedTargetRef(rs);
          }
          if (translations.get(p) instanceof ClientTrafficPolicyTranslator.Result r
              && r.warning() != null) {
            warn(
                rs, ClientTrafficPolicyTranslator.UNSUPPORTED_HTTP3_CLIENT_VALIDATION, r.warning());
          }
          if (kind.equals("SecurityPolicy") || kind.equals("EnvoyExtensionPolicy")) {
            String declined = FieldSupport.declined(Nodes.spec(p));
            if (declined != null) {
              note(rs, declined);
            }
          }
        }
        if (winner == null && verdict(kind, p) == null) {
          for (ObjectNode at : mergedAt.getOrDefault(p, List.of())) {
            StatusCollector.RefStatus rs =
                ctx.statuses.entry(p).ancestor(at, at.toString(), ctx.config.controllerName());
            rs.conditions.set(
                Condition.isTrue("Merged", "Merged", "Merged with policies of broader targets"));
          }
        }
        if (winner == null) {
          winners
              .computeIfAbsent(kind, k -> new HashMap<>())
              .put(t.key(), new Attachment(p, verdict(kind, p), translations.get(p)));
        }
      }
    }
  }

  /**
   * Why a policy is not Accepted (Invalid), or null when it is; computed once per policy. Envoy
   * Gateway's own validation comes first (durations, limits, references), then the fail-closed
   * rule: every field the policy sets must be enforced in Envoy's configuration.
   */
  private String verdict(String kind, ObjectNode p) {
    String known = verdicts.get(p);
    if (known != null) {
      return known == VALID ? null : known;
    }
    String invalid = invalidDuration(Nodes.spec(p), "spec");
    if (invalid == null && kind.equals("ClientTrafficPolicy")) {
      invalid = invalidClientLimits(Nodes.spec(p));
    }
    if (invalid == null && kind.equals("SecurityPolicy")) {
      invalid = invalidApiKeyAuth(p);
    }
    if (invalid == null) {
      invalid = invalidReferences(kind, p);
    }
    if (invalid == null) {
      invalid = unenforced(kind, p);
    } else if (kind.equals("EnvoyExtensionPolicy")) {
      // Translated all the same: extensions that set failOpen are left out when they fail, and
      // the routes keep the others (see EnvoyExtensionApplier).
      unenforced(kind, p);
    } else if (kind.equals("SecurityPolicy")) {
      // Translated all the same: its routes keep the features that do translate (see
      // SecurityPolicyTranslator), as in Envoy Gateway. API keys refused above (duplicates) are
      // the one refusal the feature's own translation does not repeat: they are left out.
      unenforced(kind, p);
      if (translations.get(p) instanceof SecurityPolicyTranslator.Result r
          && r.ir() != null
          && r.ir().apiKeyAuth() != null
          && invalidApiKeyAuth(p) != null) {
        var ir = r.ir();
        translations.put(
            p,
            new SecurityPolicyTranslator.Result(
                new io.eg4j.model.ir.security.SecurityIr(
                    ir.policy(),
                    ir.cors(),
                    ir.basicAuth(),
                    null,
                    ir.jwt(),
                    ir.oidc(),
                    ir.extAuth(),
                    ir.authorization(),
                    ir.csrf()),
                r.error()));
      }
    }
    if (invalid == null && kind.equals("BackendTrafficPolicy")) {
      invalid = invalidTrafficReach(p);
    }
    if (invalid == null && kind.equals("ClientTrafficPolicy")) {
      invalid = invalidClientTls(p);
    }
    if (invalid == null && kind.equals("ClientTrafficPolicy")) {
      invalid = invalidClientPortSharing(p);
    }
    if (invalid == null && kind.equals("SecurityPolicy")) {
      // Checked after translation: the translation is kept for the routes that fail closed.
      invalid = invalidGeoIp(p);
    }
    verdicts.put(p, invalid == null ? VALID : invalid);
    return invalid;
  }

  /**
   * The fail-closed rule (DESIGN.md invariant 9): a message naming the fields of the policy that do
   * not reach Envoy, or null when every field it sets is enforced.
   */
  private String unenforced(String kind, ObjectNode p) {
    switch (kind) {
      case "SecurityPolicy" -> {
        SecurityPolicyTranslator.Result r = security.translate(p, Nodes.spec(p));
        translations.put(p, r);
        return r.error();
      }
      case "BackendTrafficPolicy" -> {
        BackendTrafficPolicyTranslator.Result r =
            traffic.translate(p, Nodes.spec(p), envoyProxies(p));
        translations.put(p, r);
        return r.error();
      }
      case "ClientTrafficPolicy" -> {
        ClientTrafficPolicyTranslator.Result r = client.translate(p, Nodes.spec(p));
        translations.put(p, r);
        return r.error();
      }
      case "EnvoyExtensionPolicy" -> {
        EnvoyExtensionPolicyTranslator.Result r =
            extension.translate(p, Nodes.spec(p), luaValidation(p), envoyProxies(p));
        translations.put(p, r);
        return r.error();
      }
      default -> {
        return FieldSupport.message(
            FieldSupport.unsupported(Nodes.spec(p), FieldSupport.ATTACHMENT));
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

  /**
   * The references of a policy to backends and Secrets that Envoy Gateway resolves while
   * translating it (external authorization and external processing services, the OIDC client
   * secret, basic auth users): each must exist, be permitted across namespaces by a ReferenceGrant,
   * and name a port of the Service. Returns a message for the first that does not, or null.
   */
  private String invalidReferences(String kind, ObjectNode p) {
    JsonNode spec = Nodes.spec(p);
    String ns = Nodes.namespace(p);
    List<JsonNode> backendRefs = new ArrayList<>();
    if (kind.equals("SecurityPolicy")) {
      JsonNode extAuth = Nodes.obj(spec, "extAuth");
      for (String proto : new String[] {"grpc", "http"}) {
        backendRefs(Nodes.obj(extAuth, proto), backendRefs);
      }
    } else if (kind.equals("EnvoyExtensionPolicy")) {
      for (JsonNode extProc : Nodes.list(spec, "extProc")) {
        backendRefs(extProc, backendRefs);
      }
    }
    BackendRefProcessor refs = new BackendRefProcessor(ctx, null);
    for (JsonNode raw : backendRefs) {
      String err = backendRef(refs, kind, p, raw);
      if (err != null) {
        return err;
      }
    }
    // JWKS and OIDC provider backends: a BackendTLSPolicy on them takes the policy as ancestor.
    // They are not validated here yet, so an unresolvable one is skipped, not an error.
    if (kind.equals("SecurityPolicy")) {
      List<JsonNode> providerRefs = new ArrayList<>();
      for (JsonNode provider : Nodes.list(Nodes.obj(spec, "jwt"), "providers")) {
        backendRefs(Nodes.obj(provider, "remoteJWKS"), providerRefs);
      }
      backendRefs(Nodes.obj(Nodes.obj(spec, "oidc"), "provider"), providerRefs);
      for (JsonNode raw : providerRefs) {
        JsonNode ref = lowerCaseKeys(raw);
        if (validate(refs, kind, ns, ref) == null) {
          String err = backendTls(p, ns, ref);
          if (err != null) {
            return err;
          }
        }
      }
    }
    if (kind.equals("EnvoyExtensionPolicy") && "mock".equals(ctx.config.wasmCache())) {
      for (JsonNode wasm : Nodes.list(spec, "wasm")) {
        String err = mockWasmFetch(Nodes.obj(wasm, "code"));
        if (err != null) {
          return err;
        }
      }
    }
    if (kind.equals("SecurityPolicy")) {
      String err =
          secretRef(kind, ns, Nodes.obj(Nodes.obj(spec, "oidc"), "clientSecret"), "client-secret");
      if (err == null) {
        err = secretRef(kind, ns, Nodes.obj(Nodes.obj(spec, "basicAuth"), "users"), ".htpasswd");
      }
      return err;
    }
    return null;
  }

  /**
   * Validates one backend reference of a policy and applies the BackendTLSPolicy that targets it;
   * returns a message when the reference or that TLS policy is invalid, else null.
   */
  private String backendRef(BackendRefProcessor refs, String kind, ObjectNode p, JsonNode raw) {
    String ns = Nodes.namespace(p);
    JsonNode ref = lowerCaseKeys(raw);
    RouteErrors.RouteError err = validate(refs, kind, ns, ref);
    if (err != null) {
      return err.message();
    }
    return backendTls(p, ns, ref);
  }

  private static RouteErrors.RouteError validate(
      BackendRefProcessor refs, String kind, String ns, JsonNode ref) {
    return refs.validate(
        TranslationContext.EG_GROUP,
        kind,
        ns,
        "TCP",
        Nodes.text(ref, "group", ""),
        Nodes.text(ref, "kind", "Service"),
        Nodes.text(ref, "name", ""),
        Nodes.text(ref, "namespace", ns),
        Nodes.integer(ref, "port"));
  }

  /** Applies the BackendTLSPolicy of a policy's backend; a message when it is invalid. */
  private String backendTls(ObjectNode p, String ns, JsonNode ref) {
    try {
      new BackendTlsPolicyProcessor(ctx)
          .applyForPolicy(
              Nodes.text(ref, "group", ""),
              Nodes.text(ref, "kind", "Service"),
              Nodes.text(ref, "name", ""),
              Nodes.text(ref, "namespace", ns),
              Nodes.integer(ref, "port"),
              p);
      return null;
    } catch (BackendTlsPolicyProcessor.InvalidPolicyException e) {
      return e.getMessage();
    }
  }

  /**
   * The object with its keys lower-cased: Envoy Gateway reads policies with Go's JSON decoder,
   * which matches field names case-insensitively, so {@code Name:} works like {@code name:}.
   */
  private static JsonNode lowerCaseKeys(JsonNode node) {
    if (!node.isObject()) {
      return node;
    }
    com.fasterxml.jackson.databind.node.ObjectNode out =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    node.fields()
        .forEachRemaining(
            e -> out.putIfAbsent(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
    return out;
  }

  private static void backendRefs(JsonNode holder, List<JsonNode> out) {
    if (Nodes.obj(holder, "backendRef").isObject()) {
      out.add(Nodes.obj(holder, "backendRef"));
    }
    out.addAll(Nodes.list(holder, "backendRefs"));
  }

  /**
   * The Wasm cache of the conformance setting {@code wasmCache: mock}: a module is never fetched;
   * its checksum is {@code hex(sha256("salt" + hex(sha256(url))))}, where the URL is the HTTP URL,
   * or {@code oci://<image>} (with {@code :latest} when the image has no tag or digest). A given
   * sha256 that differs means the fetch failed. Returns a message, or null.
   */
  private static String mockWasmFetch(JsonNode code) {
    String type = Nodes.text(code, "type", "");
    String url;
    String sha;
    if (type.equals("HTTP")) {
      url = Nodes.text(Nodes.obj(code, "http"), "url");
      sha = Nodes.text(Nodes.obj(code, "http"), "sha256");
    } else if (type.equals("Image")) {
      String image = Nodes.text(Nodes.obj(code, "image"), "url");
      sha = Nodes.text(Nodes.obj(code, "image"), "sha256");
      if (image == null) {
        return null;
      }
      if (image.startsWith("oci://")) {
        image = image.substring("oci://".length());
      }
      String last = image.substring(image.lastIndexOf('/') + 1);
      url = "oci://" + image + (last.contains(":") || image.contains("@") ? "" : ":latest");
    } else {
      return null;
    }
    if (url == null || sha == null) {
      return null;
    }
    String checksum = sha256Hex("salt" + sha256Hex(url));
    return checksum.equals(sha)
        ? null
        : "failed to fetch Wasm module " + url + ": checksum mismatch, expected " + sha;
  }

  private static String sha256Hex(String s) {
    try {
      byte[] d =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Checks a Secret reference that must hold {@code key}; null when fine or absent. */
  private String secretRef(String fromKind, String fromNs, JsonNode ref, String key) {
    if (!ref.isObject()) {
      return null;
    }
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", fromNs);
    if (!ns.equals(fromNs)
        && !ctx.referenceAllowed(
            TranslationContext.EG_GROUP, fromKind, fromNs, "", "Secret", ns, name)) {
      return "Secret " + ns + "/" + name + " is not allowed by any ReferenceGrant";
    }
    ObjectNode secret = ctx.secret(ns, name);
    if (secret == null) {
      return "Secret " + ns + "/" + name + " does not exist";
    }
    if (!Nodes.obj(secret, "data").has(key) && !Nodes.obj(secret, "stringData").has(key)) {
      return "Secret " + ns + "/" + name + " has no " + key;
    }
    return null;
  }

  private static final java.util.regex.Pattern DURATION_FIELD =
      java.util.regex.Pattern.compile("(?i).*(timeout|interval|duration|delay)");
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

  private static final java.math.BigDecimal UINT32_MAX = java.math.BigDecimal.valueOf(4294967295L);
  private static final java.math.BigDecimal INT32_MAX = java.math.BigDecimal.valueOf(2147483647L);

  /**
   * Size limits of a ClientTrafficPolicy that Envoy cannot take: the connection buffer limit must
   * fit 32 bits, HTTP/2 initial stream and connection windows lie in [65535, 2^31-1], and the
   * request header limit is at most 8192 KiB. Returns a message, or null.
   */
  static String invalidClientLimits(JsonNode spec) {
    String err =
        quantityRange(
            Nodes.obj(spec, "connection"),
            "bufferLimit",
            java.math.BigDecimal.ZERO,
            UINT32_MAX,
            "connection.bufferLimit");
    JsonNode http2 = Nodes.obj(spec, "http2");
    java.math.BigDecimal minWindow = java.math.BigDecimal.valueOf(65535);
    if (err == null) {
      err =
          quantityRange(
              http2,
              "initialStreamWindowSize",
              minWindow,
              INT32_MAX,
              "http2.initialStreamWindowSize");
    }
    if (err == null) {
      err =
          quantityRange(
              http2,
              "initialConnectionWindowSize",
              minWindow,
              INT32_MAX,
              "http2.initialConnectionWindowSize");
    }
    if (err == null) {
      err =
          quantityRange(
              Nodes.obj(spec, "headers"),
              "maxRequestHeaderLimit",
              java.math.BigDecimal.ONE,
              java.math.BigDecimal.valueOf(8192L * 1024),
              "headers.maxRequestHeaderLimit");
    }
    return err;
  }

  private static String quantityRange(
      JsonNode holder,
      String field,
      java.math.BigDecimal min,
      java.math.BigDecimal max,
      String path) {
    JsonNode v = holder.path(field);
    if (v.isMissingNode() || v.isNull()) {
      return null;
    }
    java.math.BigDecimal q = quantity(v.asText());
    if (q == null) {
      return path + ": invalid quantity " + v.asText();
    }
    if (q.compareTo(min) < 0 || q.compareTo(max) > 0) {
      return path + ": " + v.asText() + " is out of range [" + min + ", " + max + "]";
    }
    return null;
  }

  private static final java.util.regex.Pattern QUANTITY =
      java.util.regex.Pattern.compile(
          "([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?");

  /** A Kubernetes resource quantity in base units, or null when it is not one. */
  static java.math.BigDecimal quantity(String s) {
    java.util.regex.Matcher m = QUANTITY.matcher(s.trim());
    if (!m.matches()) {
      return null;
    }
    java.math.BigDecimal n = new java.math.BigDecimal(m.group(1));
    String suffix = m.group(2) == null ? "" : m.group(2);
    java.math.BigDecimal factor =
        switch (suffix) {
          case "Ki" -> java.math.BigDecimal.valueOf(2).pow(10);
          case "Mi" -> java.math.BigDecimal.valueOf(2).pow(20);
          case "Gi" -> java.math.BigDecimal.valueOf(2).pow(30);
          case "Ti" -> java.math.BigDecimal.valueOf(2).pow(40);
          case "Pi" -> java.math.BigDecimal.valueOf(2).pow(50);
          case "Ei" -> java.math.BigDecimal.valueOf(2).pow(60);
          case "m" -> new java.math.BigDecimal("0.001");
          case "k" -> java.math.BigDecimal.TEN.pow(3);
          case "M" -> java.math.BigDecimal.TEN.pow(6);
          case "G" -> java.math.BigDecimal.TEN.pow(9);
          case "T" -> java.math.BigDecimal.TEN.pow(12);
          case "P" -> java.math.BigDecimal.TEN.pow(15);
          case "E" -> java.math.BigDecimal.TEN.pow(18);
          default -> java.math.BigDecimal.ONE;
        };
    return n.multiply(factor);
  }

  /** True when a broader policy of the same kind reaches the Gateway of this ancestor. */
  /**
   * The ancestor reference of one listener: its ListenerSet's, or its Gateway's, with the section.
   */
  private static ObjectNode listenerRef(ListenerContext l) {
    return l.listenerSet != null
        ? ref("ListenerSet", l.listenerSet.namespace, l.listenerSet.name, l.name)
        : ref("Gateway", l.gateway.namespace, l.gateway.name, l.name);
  }

  /** The Gateway of the ListenerSet an ancestor reference names, or null. */
  private GatewayContext listenerSetGateway(ObjectNode ancestor) {
    for (GatewayContext g : ctx.acceptedGateways) {
      for (ListenerSetContext ls : g.listenerSets) {
        if (ls.namespace.equals(ancestor.path("namespace").asText())
            && ls.name.equals(ancestor.path("name").asText())) {
          return g;
        }
      }
    }
    return null;
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
      java.util.function.BiPredicate<String, String> inNamespaces;
      try {
        JsonNode s =
            sel.has("matchLabels") || sel.has("matchExpressions")
                ? sel
                : Nodes.obj(sel, "selector");
        selector = LabelSelector.parse(s);
        inNamespaces = selectedNamespaces(p, kind, Nodes.obj(sel, "namespaces"));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (kind.equals("Gateway")) {
        for (GatewayContext g : ctx.acceptedGateways) {
          if (inNamespaces.test(g.namespace, g.name)
              && selector.matches(Nodes.map(Nodes.obj(g.gateway, "metadata"), "labels"))) {
            addTarget(out, new Target("Gateway", g.namespace, g.name, null), clientPolicy);
          }
        }
      } else if (kind.equals("ListenerSet") || kind.equals("XListenerSet")) {
        for (GatewayContext g : ctx.acceptedGateways) {
          for (ListenerSetContext ls : g.listenerSets) {
            if (Nodes.text(ls.listenerSet, "kind", "").equals(kind)
                && inNamespaces.test(ls.namespace, ls.name)
                && selector.matches(Nodes.map(Nodes.obj(ls.listenerSet, "metadata"), "labels"))) {
              addTarget(out, new Target(kind, ls.namespace, ls.name, null), clientPolicy);
            }
          }
        }
      } else if (ROUTE_KINDS.contains(kind)) {
        for (RouteContext r : ctx.attachedRoutes) {
          if (r.kind.equals(kind)
              && inNamespaces.test(r.namespace, r.name)
              && selector.matches(Nodes.map(Nodes.obj(r.route, "metadata"), "labels"))) {
            addTarget(out, new Target(kind, r.namespace, r.name, null), clientPolicy);
          }
        }
      }
    }
    return out;
  }

  /**
   * The namespaces a target selector looks in ({@code namespaces}: Same, the default; All; or
   * Selector over namespace labels). A target in another namespace than the policy's counts only
   * when a ReferenceGrant there lets this policy kind, from the policy's namespace, reference that
   * kind of target; others are ignored, as the API documents.
   */
  private java.util.function.BiPredicate<String, String> selectedNamespaces(
      ObjectNode p, String targetKind, JsonNode namespaces) {
    String own = Nodes.namespace(p);
    String from = Nodes.text(namespaces, "from", "Same");
    LabelSelector nsSelector =
        from.equals("Selector") ? LabelSelector.parse(Nodes.obj(namespaces, "selector")) : null;
    String policyKind = Nodes.text(p, "kind", "");
    return (ns, name) -> {
      if (ns.equals(own)) {
        return true;
      }
      boolean selected =
          switch (from) {
            case "All" -> true;
            case "Selector" -> {
              ObjectNode nsObj = ctx.namespace(ns);
              yield nsObj != null
                  && nsSelector.matches(Nodes.map(Nodes.obj(nsObj, "metadata"), "labels"));
            }
            default -> false;
          };
      return selected
          && ctx.referenceAllowed(
              TranslationContext.EG_GROUP,
              policyKind,
              own,
              TranslationContext.GATEWAY_GROUP,
              targetKind,
              ns,
              name);
    };
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

  /**
   * True when a target names a section that does not exist: a listener of the Gateway or
   * ListenerSet, or a rule name of the route.
   */
  private boolean sectionMissing(Target t) {
    String section = t.section();
    if (section == null) {
      return false;
    }
    if (t.kind().equals("Gateway")) {
      GatewayContext g = gateway(t);
      return g != null && g.ownListeners().stream().noneMatch(l -> section.equals(l.name));
    }
    if (t.kind().equals("ListenerSet") || t.kind().equals("XListenerSet")) {
      for (GatewayContext g : ctx.acceptedGateways) {
        for (ListenerSetContext ls : g.listenerSets) {
          if (ls.namespace.equals(t.namespace())
              && ls.name.equals(t.name())
              && ls.listeners.stream().anyMatch(l -> section.equals(l.name))) {
            return false;
          }
        }
      }
      return true;
    }
    for (RouteContext r : routes(t)) {
      for (JsonNode rule : Nodes.list(Nodes.spec(r.route), "rules")) {
        if (section.equals(Nodes.text(rule, "name"))) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Authorization rules by client geolocation need, on every listener the policy reaches, the
   * Gateway's geolocation provider (EnvoyProxy {@code spec.geoIP}) and a client IP detection that
   * Envoy's geoip filter can use (a ClientTrafficPolicy's custom header, X-Forwarded-For hop count
   * or direct source IP), as Envoy Gateway requires. Returns a message, or null when satisfied.
   */
  private String invalidGeoIp(ObjectNode p) {
    boolean geo = false;
    for (JsonNode r : Nodes.list(Nodes.obj(Nodes.spec(p), "authorization"), "rules")) {
      geo |= !Nodes.list(Nodes.obj(r, "principal"), "clientIPGeoLocations").isEmpty();
    }
    if (!geo) {
      return null;
    }
    for (Target t : targets(p, false)) {
      for (ListenerContext l : listenersOf(t)) {
        String where =
            "listener " + l.name + " of Gateway " + l.gateway.namespace + "/" + l.gateway.name;
        if (geoIpProvider(l.gateway.envoyProxy) == null) {
          return "spec.authorization: clientIPGeoLocations need a geoIP provider in the EnvoyProxy"
              + " of Gateway "
              + l.gateway.namespace
              + "/"
              + l.gateway.name;
        }
        var detection = clientIpDetection(l);
        if (detection == null || !detection.geoIpCapable()) {
          return "spec.authorization: clientIPGeoLocations need the client IP detection of "
              + where
              + " to be set by a ClientTrafficPolicy, as customHeader, xForwardedFor.numTrustedHops"
              + " or directSourceIP";
        }
      }
    }
    return null;
  }

  /**
   * A BackendTrafficPolicy's cluster settings reach Envoy on HTTP and gRPC routes only so far: one
   * that sets them and reaches a TCP, TLS or UDP route or listener is not applied (fail closed).
   * Returns a message, or null.
   */
  private String invalidTrafficReach(ObjectNode p) {
    if (!(translations.get(p) instanceof BackendTrafficPolicyTranslator.Result r)
        || r.ir() == null
        || (r.ir().cluster() == null
            && r.ir().retry() == null
            && r.ir().hash().isEmpty()
            && r.ir().routingType() == null
            && r.ir().localRateLimit() == null
            && r.ir().httpUpgrade() == null
            && r.ir().globalRateLimit() == null
            && r.ir().compression().isEmpty()
            && r.ir().fault() == null
            && r.ir().requestBufferBytes() == null
            && r.ir().requestKbps() == null
            && r.ir().responseKbps() == null)) {
      return null;
    }
    // On TCP, TLS and UDP routes only the cluster settings apply, and a consistent hash can only
    // hash the client address.
    var ir = r.ir();
    boolean l4Capable =
        ir.retry() == null
            && ir.routingType() == null
            && ir.localRateLimit() == null
            && ir.httpUpgrade() == null
            && ir.globalRateLimit() == null
            && ir.compression().isEmpty()
            && ir.fault() == null
            && ir.requestBufferBytes() == null
            && ir.requestKbps() == null
            && ir.responseKbps() == null
            && (ir.cluster() == null || ir.cluster().admissionControl() == null)
            && ir.hash().stream().allMatch(h -> h.type().equals("SourceIP"));
    if (l4Capable) {
      return null;
    }
    for (Target t : targets(p, false)) {
      if (ROUTE_KINDS.contains(t.kind())) {
        if (!t.kind().equals("HTTPRoute") && !t.kind().equals("GRPCRoute")) {
          return "not supported by eg4j yet, so the policy is not applied: HTTP settings on a "
              + t.kind();
        }
        continue;
      }
      // A Gateway or listener target: as in Envoy Gateway, the HTTP settings apply to its HTTP
      // and gRPC routes and the cluster settings also to its TCP, TLS and UDP routes. Only a
      // target without an HTTP listener leaves the HTTP settings nowhere to act.
      List<ListenerContext> listeners = listenersOf(t);
      boolean http =
          listeners.stream().anyMatch(l -> l.protocol.equals("HTTP") || l.protocol.equals("HTTPS"));
      if (!http && !listeners.isEmpty()) {
        return "not applied: its HTTP settings (retries, rate limits, compression, fault injection,"
            + " request buffering, bandwidth limits, HTTP upgrades, admission control, a"
            + " consistent hash other than SourceIP) act on HTTP and gRPC routes only, and "
            + t.kind()
            + " "
            + t.name()
            + (t.section() == null ? "" : " section " + t.section())
            + " has no HTTP or HTTPS listener";
      }
    }
    return null;
  }

  /**
   * Client certificate validation needs an HTTPS listener to act on. Returns a message, or null.
   */
  private String invalidClientTls(ObjectNode p) {
    if (!(translations.get(p) instanceof ClientTrafficPolicyTranslator.Result r)
        || r.ir() == null
        || r.ir().clientValidation() == null) {
      return null;
    }
    for (Target t : targets(p, true)) {
      for (ListenerContext l : listenersOf(t)) {
        if (l.protocol.equals("HTTPS")
            || (l.protocol.equals("TLS")
                && Nodes.text(Nodes.obj(l.spec, "tls"), "mode", "Terminate").equals("Terminate"))) {
          return null;
        }
      }
    }
    return "spec.tls.clientValidation: the policy reaches no HTTPS or terminating TLS listener, so"
        + " no client certificate can be verified";
  }

  /**
   * Plain HTTP listeners on one port share one Envoy listener and connection manager, so a
   * ClientTrafficPolicy on one of them would reach the others too. As in Envoy Gateway, it is
   * refused when another plain HTTP listener on the port is outside its targets: for a listener
   * (sectionName) target, any other one; for a whole Gateway, one of another Gateway (merged
   * Gateways). Returns the message, or null.
   */
  private String invalidClientPortSharing(ObjectNode p) {
    List<String> conflicts = new ArrayList<>();
    for (Target t : targets(p, true)) {
      if (!t.kind().equals("Gateway")) {
        continue;
      }
      for (ListenerContext l : listenersOf(t)) {
        if (!l.protocol.equals("HTTP") || l.port == null) {
          continue;
        }
        for (ListenerContext other : sameIrListeners(l.gateway)) {
          if (other == l
              || !other.protocol.equals("HTTP")
              || !l.port.equals(other.port)
              || !other.ready) {
            continue;
          }
          boolean sameGateway = other.gateway == l.gateway && other.listenerSet == null;
          if ((t.section() != null || !sameGateway) && !conflicts.contains(other.irName())) {
            conflicts.add(other.irName());
          }
        }
      }
    }
    if (conflicts.isEmpty()) {
      return null;
    }
    return "ClientTrafficPolicy is being applied to multiple http (non https) listeners ("
        + String.join(", ", conflicts)
        + ") on the same port, which is not allowed";
  }

  /** Every listener (of Gateways and their ListenerSets) in the IR of {@code g}. */
  private List<ListenerContext> sameIrListeners(GatewayContext g) {
    List<ListenerContext> out = new ArrayList<>();
    for (GatewayContext other : ctx.acceptedGateways) {
      if (other == g || (g.irKey != null && g.irKey.equals(other.irKey))) {
        out.addAll(other.listeners);
        for (ListenerSetContext ls : other.listenerSets) {
          out.addAll(ls.listeners);
        }
      }
    }
    return out;
  }

  /** Translates a BackendTrafficPolicy spec (a merged one, for mergeType). */
  BackendTrafficPolicyTranslator.Result translateTraffic(ObjectNode policy, JsonNode spec) {
    return traffic.translate(policy, spec);
  }

  /** A BackendTrafficPolicy's spec to merge a route policy over (references resolved first). */
  ObjectNode trafficMergeBase(ObjectNode policy) {
    JsonNode spec = Nodes.spec(policy);
    return traffic.mergeBase(policy, spec instanceof ObjectNode o ? o : Nodes.object());
  }

  /**
   * The ClientTrafficPolicy in effect on a listener (the most specific one), or null when none is,
   * or when it cannot be enforced.
   */
  io.eg4j.model.ir.traffic.ClientTrafficIr clientTraffic(ListenerContext l) {
    List<Attachment> chain =
        PolicyChain.forListener(winners.getOrDefault("ClientTrafficPolicy", Map.of()), l);
    if (!chain.isEmpty()
        && chain.get(0).error() == null
        && chain.get(0).translation() instanceof ClientTrafficPolicyTranslator.Result r) {
      return r.ir();
    }
    return null;
  }

  /**
   * The ClientTrafficPolicy in effect on a listener when the {@code excluded} policies are set
   * aside (refused for a conflict), or null.
   */
  io.eg4j.model.ir.traffic.ClientTrafficIr clientTraffic(
      ListenerContext l, java.util.Set<ObjectNode> excluded) {
    List<Attachment> chain =
        PolicyChain.forListener(winners.getOrDefault("ClientTrafficPolicy", Map.of()), l);
    for (Attachment a : chain) {
      if (excluded.contains(a.policy())) {
        continue;
      }
      return a.error() == null && a.translation() instanceof ClientTrafficPolicyTranslator.Result r
          ? r.ir()
          : null;
    }
    return null;
  }

  /**
   * True when the ClientTrafficPolicy in effect on a listener, with the {@code excluded} policies
   * set aside, is invalid: its translation failed on a value, not only on a field eg4j does not
   * enforce yet.
   */
  boolean clientTrafficInvalid(ListenerContext l, java.util.Set<ObjectNode> excluded) {
    List<Attachment> chain =
        PolicyChain.forListener(winners.getOrDefault("ClientTrafficPolicy", Map.of()), l);
    for (Attachment a : chain) {
      if (!excluded.contains(a.policy())) {
        return a.error() != null
            && !io.eg4j.translator.core.policy.FieldSupport.isUnsupported(a.error());
      }
    }
    return false;
  }

  /** The ClientTrafficPolicy in effect on a listener (enforceable or not), or null. */
  ObjectNode clientTrafficPolicy(ListenerContext l) {
    List<Attachment> chain =
        PolicyChain.forListener(winners.getOrDefault("ClientTrafficPolicy", Map.of()), l);
    return chain.isEmpty() ? null : chain.get(0).policy();
  }

  /** The client IP detection a listener's ClientTrafficPolicy sets, or null. */
  io.eg4j.model.ir.traffic.ClientTrafficIr.ClientIpDetectionIr clientIpDetection(
      ListenerContext l) {
    var client = clientTraffic(l);
    return client == null ? null : client.clientIpDetection();
  }

  /** The geolocation provider of an EnvoyProxy spec ({@code geoIP.provider.maxMind}), or null. */
  static io.eg4j.model.ir.security.GeoIpIr geoIpProvider(JsonNode envoyProxy) {
    if (envoyProxy == null) {
      return null;
    }
    JsonNode mm = envoyProxy.path("geoIP").path("provider").path("maxMind");
    String city = mm.path("cityDbSource").path("local").path("path").asText(null);
    String country = mm.path("countryDbSource").path("local").path("path").asText(null);
    String asn = mm.path("asnDbSource").path("local").path("path").asText(null);
    String isp = mm.path("ispDbSource").path("local").path("path").asText(null);
    String anon = mm.path("anonymousIpDbSource").path("local").path("path").asText(null);
    if (city == null && country == null && asn == null && isp == null && anon == null) {
      return null;
    }
    return new io.eg4j.model.ir.security.GeoIpIr(city, country, asn, isp, anon);
  }

  /** The listeners a target reaches. */
  private List<ListenerContext> listenersOf(Target t) {
    List<ListenerContext> out = new ArrayList<>();
    if (t.kind().equals("Gateway")) {
      GatewayContext g = gateway(t);
      if (g != null) {
        for (ListenerContext l : g.listeners) {
          if (t.section() == null || t.section().equals(l.name)) {
            out.add(l);
          }
        }
      }
    } else if (t.kind().equals("ListenerSet") || t.kind().equals("XListenerSet")) {
      for (GatewayContext g : ctx.acceptedGateways) {
        for (ListenerSetContext ls : g.listenerSets) {
          if (ls.namespace.equals(t.namespace()) && ls.name.equals(t.name())) {
            for (ListenerContext l : ls.listeners) {
              if (t.section() == null || t.section().equals(l.name)) {
                out.add(l);
              }
            }
          }
        }
      }
    } else {
      for (RouteContext r : routes(t)) {
        for (RouteContext.Parent parent : r.parents) {
          for (ListenerContext l : parent.listeners) {
            if (!out.contains(l)) {
              out.add(l);
            }
          }
        }
      }
    }
    return out;
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

  /**
   * Adds a Warning to an ancestor; a second warning joins the first, as Envoy Gateway aggregates
   * them: reason {@code Warnings}, the messages separated by "; ".
   */
  private static void warn(StatusCollector.RefStatus rs, String reason, String message) {
    Condition prior = rs.conditions.get("Warning");
    if (prior == null) {
      rs.conditions.set(Condition.isTrue("Warning", reason, message));
    } else {
      rs.conditions.set(Condition.isTrue("Warning", "Warnings", prior.message() + "; " + message));
    }
  }

  /**
   * Adds eg4j's own notice (a field accepted but not applied; Envoy Gateway writes nothing for it)
   * to an ancestor's Warning. Alone it is a Warning with reason {@code FieldNotApplied}; joined to
   * a warning Envoy Gateway writes, it goes into the message and leaves the reason Envoy Gateway
   * would give, so tooling that keys on Envoy Gateway's reasons sees the same reason on eg4j.
   */
  private static void note(StatusCollector.RefStatus rs, String message) {
    Condition prior = rs.conditions.get("Warning");
    if (prior == null) {
      rs.conditions.set(Condition.isTrue("Warning", FieldSupport.NOT_APPLIED_REASON, message));
    } else {
      rs.conditions.set(
          Condition.isTrue("Warning", prior.reason(), prior.message() + "; " + message));
    }
  }

  private static void warnDeprecatedTargetRef(StatusCollector.RefStatus rs) {
    rs.conditions.set(
        Condition.isTrue(
            "Warning",
            "DeprecatedField",
            "The targetRef field is deprecated, use targetRefs instead"));
  }
}
