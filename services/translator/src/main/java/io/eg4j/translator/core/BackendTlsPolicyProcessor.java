package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.RouteDestinationIr.UpstreamTlsIr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * BackendTLSPolicy (GEP-1897): finds the policy for a backend (the oldest one wins when several
 * target the same backend and section), validates its CA references and hostname, and records an
 * ancestor status per Gateway parent of every route that uses the backend.
 */
final class BackendTlsPolicyProcessor {
  /** The policy that applies is invalid; the route's backend fails with InvalidBackendTLS. */
  static final class InvalidPolicyException extends Exception {
    InvalidPolicyException(String message) {
      super(message);
    }
  }

  private final TranslationContext ctx;

  BackendTlsPolicyProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  /** The section name of a backendRef: the Service/ServiceImport port name, else the port. */
  private String sectionOf(String kind, String ns, String name, Integer port) {
    if (port == null) {
      return null;
    }
    if (kind.equals("Service") || kind.equals("ServiceImport")) {
      ObjectNode svc =
          kind.equals("Service") ? ctx.service(ns, name) : ctx.serviceImports.get(ns + "/" + name);
      for (JsonNode p : Nodes.list(Nodes.spec(svc), "ports")) {
        if (port.equals(Nodes.integer(p, "port"))) {
          String n = Nodes.text(p, "name", "");
          return n.isEmpty() ? null : n;
        }
      }
      return null;
    }
    return String.valueOf(port);
  }

  /** A matched policy and the section its targetRef named (null for the whole backend). */
  private record Match(ObjectNode policy, String section) {}

  /**
   * The upstream TLS for a backend used by a route through {@code parent}, or null when no policy
   * targets it.
   */
  UpstreamTlsIr apply(
      String group, String kind, String name, String ns, Integer port, RouteContext.Parent parent)
      throws InvalidPolicyException {
    return apply(group, kind, name, ns, port, ancestorRef(parent));
  }

  /**
   * The upstream TLS for a backend that a policy (external authorization, external processing, a
   * JWKS or OIDC provider) sends traffic to: the BackendTLSPolicy's ancestor is that policy itself.
   */
  UpstreamTlsIr applyForPolicy(
      String group, String kind, String name, String ns, Integer port, ObjectNode policy)
      throws InvalidPolicyException {
    ObjectNode ancestor = Nodes.object();
    ancestor.put("group", TranslationContext.EG_GROUP);
    ancestor.put("kind", Nodes.text(policy, "kind", ""));
    ancestor.put("namespace", Nodes.namespace(policy));
    ancestor.put("name", Nodes.name(policy));
    return apply(group, kind, name, ns, port, ancestor);
  }

  private UpstreamTlsIr apply(
      String group, String kind, String name, String ns, Integer port, ObjectNode ancestor)
      throws InvalidPolicyException {
    String section = sectionOf(kind, ns, name, port);
    String targetGroup = kind.equals("Backend") ? TranslationContext.EG_GROUP : group;
    List<Match> matches = new ArrayList<>();
    for (ObjectNode p : ctx.backendTlsPolicies) {
      if (!Nodes.namespace(p).equals(ns)) {
        continue;
      }
      for (JsonNode t : Nodes.list(Nodes.spec(p), "targetRefs")) {
        String tg = Nodes.text(t, "group", "");
        String tk = Nodes.text(t, "kind", "");
        String tn = Nodes.text(t, "name", "");
        String ts = Nodes.text(t, "sectionName");
        if (tg.equals(targetGroup)
            && tk.equals(kind)
            && tn.equals(name)
            && (ts == null || ts.equals(section))) {
          matches.add(new Match(p, ts));
          break;
        }
      }
    }
    if (matches.isEmpty()) {
      return null;
    }
    // A policy naming the section is more specific than one naming the whole backend; among
    // equals the oldest wins (the list is already ordered by creation time, then name).
    Match winner = matches.get(0);
    for (Match m : matches) {
      if (m.section() != null && winner.section() == null) {
        winner = m;
      }
    }
    String ancestorKey = ancestorKey(ancestor);
    for (Match m : matches) {
      if (m != winner && java.util.Objects.equals(m.section(), winner.section())) {
        StatusCollector.RefStatus rs =
            ctx.statuses
                .entry(m.policy())
                .ancestor(ancestor, ancestorKey, ctx.config.controllerName());
        rs.conditions.set(
            Condition.isFalse(
                "Accepted",
                "Conflicted",
                "Unable to reconcile this BackendTLSPolicy as another one already targets the same"
                    + " target"));
      }
    }
    StatusCollector.RefStatus rs =
        ctx.statuses
            .entry(winner.policy())
            .ancestor(ancestor.deepCopy(), ancestorKey, ctx.config.controllerName());
    try {
      UpstreamTlsIr tls = build(winner.policy());
      rs.conditions.set(Condition.isTrue("Accepted", "Accepted", "Policy has been accepted."));
      rs.conditions.set(
          Condition.isTrue("ResolvedRefs", "ResolvedRefs", "Resolved all the Object references."));
      return tls;
    } catch (PolicyError e) {
      rs.conditions.set(Condition.isFalse("Accepted", "NoValidCACertificate", e.getMessage()));
      rs.conditions.set(Condition.isFalse("ResolvedRefs", e.reason, e.getMessage()));
      throw new InvalidPolicyException(e.getMessage());
    }
  }

  private static ObjectNode ancestorRef(RouteContext.Parent parent) {
    ObjectNode ref = Nodes.object();
    ref.put("group", Nodes.text(parent.ref, "group", TranslationContext.GATEWAY_GROUP));
    ref.put("kind", Nodes.text(parent.ref, "kind", "Gateway"));
    ref.put("namespace", Nodes.text(parent.ref, "namespace", parent.gateway.namespace));
    ref.put("name", Nodes.text(parent.ref, "name", ""));
    String section = Nodes.text(parent.ref, "sectionName");
    if (section != null) {
      ref.put("sectionName", section);
    }
    Integer port = Nodes.integer(parent.ref, "port");
    if (port != null) {
      ref.put("port", port);
    }
    return ref;
  }

  private static String ancestorKey(ObjectNode ref) {
    return ref.toString();
  }

  /** A CA reference that cannot be used, with the ResolvedRefs reason Envoy Gateway gives. */
  static final class PolicyError extends Exception {
    final String reason;

    PolicyError(String reason, String message) {
      super(message);
      this.reason = reason;
    }
  }

  /**
   * True when a BackendTLSPolicy targets the Backend {@code ns/name}, as a whole or by the section
   * of one of {@code ports}: its validation then applies to the Backend's TLS.
   */
  boolean targetsBackend(String ns, String name, java.util.Set<String> ports) {
    for (ObjectNode p : ctx.backendTlsPolicies) {
      if (!Nodes.namespace(p).equals(ns)) {
        continue;
      }
      for (JsonNode t : Nodes.list(Nodes.spec(p), "targetRefs")) {
        String section = Nodes.text(t, "sectionName");
        if (Nodes.text(t, "group", "").equals(TranslationContext.EG_GROUP)
            && Nodes.text(t, "kind", "").equals("Backend")
            && Nodes.text(t, "name", "").equals(name)
            && (section == null || ports.contains(section))) {
          return true;
        }
      }
    }
    return false;
  }

  private UpstreamTlsIr build(ObjectNode policy) throws PolicyError {
    JsonNode validation = Nodes.obj(Nodes.spec(policy), "validation");
    String hostname = Nodes.text(validation, "hostname", "");
    List<String> sans = new ArrayList<>();
    for (JsonNode san : Nodes.list(validation, "subjectAltNames")) {
      String v = Nodes.text(san, "hostname");
      if (v == null) {
        v = Nodes.text(san, "uri");
      }
      if (v != null) {
        sans.add(v);
      }
    }
    List<JsonNode> refs = Nodes.list(validation, "caCertificateRefs");
    String wellKnown = Nodes.text(validation, "wellKnownCACertificates");
    if (refs.isEmpty()) {
      if ("System".equals(wellKnown)) {
        return UpstreamTlsIr.verified(hostname, null, sans);
      }
      throw new PolicyError("InvalidCACertificateRef", "no CA certificate references are set");
    }
    String ns = Nodes.namespace(policy);
    // Envoy Gateway names the validation secret after the policy, so every backend it verifies
    // shares one.
    return UpstreamTlsIr.verified(hostname, caBundle(ns, refs), sans)
        .withCaName(Nodes.name(policy) + "/" + ns + "-ca");
  }

  /**
   * The PEM bundle of CA references in namespace {@code ns} (a BackendTLSPolicy's or a Backend's):
   * ConfigMaps and Secrets ({@code ca.crt}, else their first key) and ClusterTrustBundles, each
   * with at least one certificate.
   */
  String caBundle(String ns, List<JsonNode> refs) throws PolicyError {
    StringBuilder pem = new StringBuilder();
    for (JsonNode ref : refs) {
      String group = Nodes.text(ref, "group", "");
      String kind = Nodes.text(ref, "kind", "");
      String name = Nodes.text(ref, "name", "");
      String data;
      if (group.isEmpty() && kind.equals("ConfigMap")) {
        ObjectNode cm = ctx.configMaps.get(ns + "/" + name);
        if (cm == null) {
          throw new PolicyError(
              "InvalidCACertificateRef", "ConfigMap " + ns + "/" + name + " not found");
        }
        data = caFrom(Nodes.obj(cm, "data"), false);
      } else if (group.isEmpty() && kind.equals("Secret")) {
        ObjectNode s = ctx.secret(ns, name);
        if (s == null) {
          throw new PolicyError(
              "InvalidCACertificateRef", "Secret " + ns + "/" + name + " not found");
        }
        data = caFrom(Nodes.obj(s, "data"), true);
      } else if (kind.equals("ClusterTrustBundle")) {
        ObjectNode ctb = ctx.clusterTrustBundles.get(name);
        if (ctb == null) {
          throw new PolicyError(
              "InvalidCACertificateRef", "ClusterTrustBundle " + name + " not found");
        }
        data = Nodes.text(Nodes.spec(ctb), "trustBundle", "");
      } else {
        throw new PolicyError("InvalidKind", "unsupported CA certificate kind " + kind);
      }
      if (data == null || data.isEmpty()) {
        throw new PolicyError(
            "InvalidCACertificateRef", "no CA certificate found in " + kind + " " + name);
      }
      try {
        // The certificates as parsed, written out again: what Envoy loads is exactly what was
        // checked (text around the PEM blocks, base64 of PEM, odd line lengths are not passed on).
        for (java.security.cert.X509Certificate c : CertificateValidator.parseCertificates(data)) {
          pem.append("-----BEGIN CERTIFICATE-----\n")
              .append(
                  java.util.Base64.getMimeEncoder(64, new byte[] {'\n'})
                      .encodeToString(c.getEncoded()))
              .append("\n-----END CERTIFICATE-----\n");
        }
      } catch (CertificateValidator.InvalidException
          | java.security.cert.CertificateEncodingException e) {
        throw new PolicyError(
            "InvalidCACertificateRef", "invalid CA certificate in " + kind + " " + name);
      }
    }
    return pem.toString();
  }

  /** The CA bundle of a ConfigMap or Secret: {@code ca.crt}, else the first key. */
  private static String caFrom(JsonNode data, boolean base64) {
    String v = Nodes.text(data, "ca.crt");
    if (v == null) {
      var it = data.fieldNames();
      List<String> keys = new ArrayList<>();
      it.forEachRemaining(keys::add);
      java.util.Collections.sort(keys);
      if (!keys.isEmpty()) {
        v = Nodes.text(data, keys.get(0));
      }
    }
    if (v == null) {
      return null;
    }
    if (base64) {
      try {
        return new String(java.util.Base64.getMimeDecoder().decode(v), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return v;
  }
}
