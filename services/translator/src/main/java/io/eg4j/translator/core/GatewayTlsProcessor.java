package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.TlsIr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Gateway-level TLS ({@code spec.tls}, GEP-91 and GEP-3155): client certificate validation for
 * HTTPS listeners ({@code frontend.default} and {@code frontend.perPort}), and the client
 * certificate the Gateway presents to backends ({@code backend.clientCertificateRef}).
 */
final class GatewayTlsProcessor {
  private final TranslationContext ctx;

  GatewayTlsProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  /** The frontend validation block that applies to a listener's port, or a missing node. */
  private static JsonNode validationFor(GatewayContext g, int port) {
    JsonNode pp = perPort(g, port);
    if (pp != null) {
      return Nodes.obj(Nodes.obj(pp, "tls"), "validation");
    }
    JsonNode frontend = Nodes.obj(Nodes.obj(g.spec(), "tls"), "frontend");
    return Nodes.obj(Nodes.obj(frontend, "default"), "validation");
  }

  /**
   * The {@code perPort} entry for a port, or null when the port takes the default. An entry without
   * a validation block turns validation off on its port.
   */
  private static JsonNode perPort(GatewayContext g, int port) {
    JsonNode frontend = Nodes.obj(Nodes.obj(g.spec(), "tls"), "frontend");
    for (JsonNode pp : Nodes.list(frontend, "perPort")) {
      if (Integer.valueOf(port).equals(Nodes.integer(pp, "port"))) {
        return pp;
      }
    }
    return null;
  }

  /**
   * Checks the CA references that validate client certificates on an HTTPS listener; returns true
   * when they are usable (or there are none).
   */
  boolean validateListener(ListenerContext l) {
    if (l.listenerSet != null || !l.protocol.equals("HTTPS") || l.port == null) {
      return true;
    }
    JsonNode validation = validationFor(l.gateway, l.port);
    if (validation.isMissingNode()) {
      return true;
    }
    StringBuilder bundle = new StringBuilder();
    for (JsonNode ref : Nodes.list(validation, "caCertificateRefs")) {
      String group = Nodes.text(ref, "group", "");
      String kind = Nodes.text(ref, "kind", "ConfigMap");
      String name = Nodes.text(ref, "name", "");
      String ns = Nodes.text(ref, "namespace", l.gateway.namespace);
      String reason = null;
      String message = null;
      if (!group.isEmpty() || !(kind.equals("ConfigMap") || kind.equals("Secret"))) {
        reason = "InvalidCACertificateKind";
        message = "Unsupported CA certificate reference kind " + kind;
      } else if (!ns.equals(l.gateway.namespace)
          && !ctx.referenceAllowed(
              TranslationContext.GATEWAY_GROUP,
              "Gateway",
              l.gateway.namespace,
              "",
              kind,
              ns,
              name)) {
        reason = "RefNotPermitted";
        message = "CA certificate reference to " + kind + " " + ns + "/" + name + " not permitted";
      } else {
        String pem = caData(kind, ns, name);
        if (pem == null || pem.isBlank()) {
          reason = "InvalidCACertificateRef";
          message = kind + " " + ns + "/" + name + " not found or has no CA certificate";
        } else if (!parses(pem)) {
          // Envoy would refuse the listener whose validation context holds it (and every other
          // listener sent with it), so the listener is refused here, saying why.
          reason = "InvalidCACertificateRef";
          message = kind + " " + ns + "/" + name + " ca.crt is not a PEM certificate";
        } else {
          bundle.append(asPem(pem).strip()).append('\n');
        }
      }
      if (reason != null) {
        l.status.conditions.set(Condition.isFalse("Accepted", "NoValidCACertificate", message));
        l.status.conditions.set(Condition.isFalse("Programmed", reason, message));
        l.status.conditions.set(Condition.isFalse("ResolvedRefs", reason, message));
        return false;
      }
    }
    if (bundle.isEmpty()) {
      return true;
    }
    // The listener asks for client certificates that chain to the bundle; the CA secret is named
    // after the Gateway and the frontend entry it comes from (its port, or "default"), as Envoy
    // Gateway names it, so listeners on one port share it.
    String source = perPort(l.gateway, l.port) != null ? String.valueOf(l.port) : "default";
    l.frontendValidation =
        new TlsIr.FrontendValidationIr(
            "gateway/" + l.gateway.namespace + "/" + l.gateway.name + "/" + source + "/ca.crt",
            bundle.toString(),
            "AllowInsecureFallback".equals(Nodes.text(validation, "mode")));
    return true;
  }

  /**
   * The PEM text itself, or the PEM a base64 text holds (seen in ConfigMaps), as Envoy reads it.
   */
  private static String asPem(String text) {
    if (text.contains("-----BEGIN")) {
      return text;
    }
    try {
      return new String(
          java.util.Base64.getMimeDecoder().decode(text.trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return text;
    }
  }

  private static boolean parses(String pem) {
    try {
      return !CertificateValidator.parseCertificates(pem).isEmpty();
    } catch (CertificateValidator.InvalidException e) {
      return false;
    }
  }

  private String caData(String kind, String ns, String name) {
    if (kind.equals("ConfigMap")) {
      ObjectNode cm = ctx.configMaps.get(ns + "/" + name);
      return cm == null ? null : Nodes.text(Nodes.obj(cm, "data"), "ca.crt");
    }
    ObjectNode s = ctx.secret(ns, name);
    if (s == null) {
      return null;
    }
    byte[] b = CertificateValidator.secretData(s, "ca.crt");
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  /** Sets the Gateway's own TLS conditions once its listeners are validated. */
  void gatewayConditions(GatewayContext g) {
    JsonNode tls = Nodes.obj(g.spec(), "tls");
    JsonNode frontend = Nodes.obj(tls, "frontend");
    JsonNode backend = Nodes.obj(tls, "backend");
    if (frontend.isMissingNode() && backend.isMissingNode()) {
      return;
    }
    // The Gateway's references are its own: a frontend validation block whose CA certificates do
    // not resolve makes them unresolved whether or not an HTTPS listener uses that block.
    boolean frontendInvalid = false;
    boolean insecureFallback = false;
    JsonNode defaultValidation = Nodes.obj(Nodes.obj(frontend, "default"), "validation");
    List<JsonNode> validations = new ArrayList<>();
    if (!defaultValidation.isMissingNode()) {
      validations.add(defaultValidation);
    }
    for (JsonNode pp : Nodes.list(frontend, "perPort")) {
      JsonNode v = Nodes.obj(Nodes.obj(pp, "tls"), "validation");
      if (!v.isMissingNode()) {
        validations.add(v);
      }
    }
    for (JsonNode v : validations) {
      if (!caRefsResolve(g, v)) {
        frontendInvalid = true;
      } else if ("AllowInsecureFallback".equals(Nodes.text(v, "mode"))) {
        insecureFallback = true;
      }
    }
    for (ListenerContext l : g.ownListeners()) {
      Condition c = l.status.conditions.get("Accepted");
      if (c != null && c.reason().equals("NoValidCACertificate")) {
        frontendInvalid = true;
      }
    }
    Conditions conditions = g.status.conditions;
    if (frontendInvalid) {
      conditions.set(
          Condition.isFalse(
              "ResolvedRefs",
              "InvalidParameters",
              "Invalid client certificate validation settings"));
    } else {
      conditions.set(
          Condition.isTrue("ResolvedRefs", "ResolvedRefs", "Gateway TLS references are resolved"));
    }
    if (insecureFallback) {
      conditions.set(
          Condition.isTrue(
              "InsecureFrontendValidationMode",
              "ConfigurationChanged",
              "Client certificate validation allows insecure fallback"));
    }
    JsonNode ref = Nodes.obj(backend, "clientCertificateRef");
    if (!ref.isMissingNode()) {
      String[] err = validateClientCertificate(g, ref);
      if (err != null) {
        conditions.set(Condition.isFalse("ResolvedRefs", err[0], err[1]));
      }
    }
  }

  /**
   * Whether every CA certificate reference of a frontend validation block names a ConfigMap or
   * Secret it may read (same namespace or a ReferenceGrant) that holds data; an unsupported kind is
   * skipped, but at least one supported reference is needed.
   */
  private boolean caRefsResolve(GatewayContext g, JsonNode validation) {
    boolean supported = false;
    for (JsonNode ref : Nodes.list(validation, "caCertificateRefs")) {
      String group = Nodes.text(ref, "group", "");
      String kind = Nodes.text(ref, "kind", "ConfigMap");
      String name = Nodes.text(ref, "name", "");
      String ns = Nodes.text(ref, "namespace", g.namespace);
      if (!ns.equals(g.namespace)
          && !ctx.referenceAllowed(
              TranslationContext.GATEWAY_GROUP, "Gateway", g.namespace, group, kind, ns, name)) {
        return false;
      }
      if (!group.isEmpty() || !(kind.equals("ConfigMap") || kind.equals("Secret"))) {
        continue;
      }
      supported = true;
      ObjectNode o =
          kind.equals("ConfigMap") ? ctx.configMaps.get(ns + "/" + name) : ctx.secret(ns, name);
      if (o == null || Nodes.obj(o, "data").isEmpty()) {
        return false;
      }
    }
    return supported;
  }

  private String[] validateClientCertificate(GatewayContext g, JsonNode ref) {
    String group = Nodes.text(ref, "group", "");
    String kind = Nodes.text(ref, "kind", "Secret");
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", g.namespace);
    String invalid = "InvalidClientCertificateRef";
    if (!group.isEmpty() || !kind.equals("Secret")) {
      return new String[] {invalid, "client certificate reference must be a core Secret"};
    }
    if (!ns.equals(g.namespace)
        && !ctx.referenceAllowed(
            TranslationContext.GATEWAY_GROUP, "Gateway", g.namespace, "", "Secret", ns, name)) {
      return new String[] {
        "RefNotPermitted",
        "client certificate reference to Secret " + ns + "/" + name + " not permitted"
      };
    }
    ObjectNode secret = ctx.secret(ns, name);
    if (secret == null) {
      return new String[] {invalid, "Secret " + ns + "/" + name + " does not exist"};
    }
    byte[] crt = CertificateValidator.secretData(secret, "tls.crt");
    byte[] key = CertificateValidator.secretData(secret, "tls.key");
    if (crt == null || key == null) {
      return new String[] {
        invalid, "Secret " + ns + "/" + name + " must contain tls.crt and tls.key"
      };
    }
    try {
      CertificateValidator.parseKeyPair(crt, key);
      return null;
    } catch (CertificateValidator.InvalidException e) {
      return new String[] {invalid, "Secret " + ns + "/" + name + ": " + e.getMessage()};
    }
  }
}
