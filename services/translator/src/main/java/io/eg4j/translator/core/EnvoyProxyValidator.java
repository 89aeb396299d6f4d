package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;

/** The checks Envoy Gateway makes on an EnvoyProxy before a Gateway may use it. */
final class EnvoyProxyValidator {
  private EnvoyProxyValidator() {}

  /** An error message, or null when the EnvoyProxy is valid. */
  static String validate(JsonNode envoyProxy) {
    JsonNode spec = Nodes.spec(envoyProxy);
    JsonNode provider = Nodes.obj(spec, "provider");
    String type = Nodes.text(provider, "type");
    if (type != null && !type.equals("Kubernetes") && !type.equals("Host")) {
      return "unsupported provider type " + type;
    }
    if (Nodes.bool(spec, "mergeGateways", false) && Nodes.has(spec, "mergeBackends")) {
      return "mergeGateways and mergeBackends cannot both be enabled";
    }
    return null;
  }
}
