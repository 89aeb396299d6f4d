package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks Envoy Gateway makes on an EnvoyProxy before a Gateway may use it.
 *
 * <p>{@link #validate} is the structural check (Envoy Gateway's EnvoyProxy validation): a bad one
 * makes the GatewayClass or Gateway that references it {@code Accepted=False/InvalidParameters},
 * and the Gateways that would use it are not translated. {@link #telemetryError} resolves what the
 * telemetry refers to (access-log sinks, tracing provider, metric sinks) and parses the access
 * logs' CEL {@code matches}: when that fails, the Gateway is {@code
 * Accepted=False/InvalidParameters} but its listeners are still translated, as Envoy Gateway does.
 */
final class EnvoyProxyValidator {
  private EnvoyProxyValidator() {}

  /** An error message, or null when the EnvoyProxy is valid. */
  static String validate(JsonNode envoyProxy) {
    JsonNode spec = Nodes.spec(envoyProxy);
    List<String> errs = new ArrayList<>();
    JsonNode provider = Nodes.obj(spec, "provider");
    String type = Nodes.text(provider, "type");
    if (type != null && !type.equals("Kubernetes") && !type.equals("Host")) {
      errs.add("unsupported provider type " + type);
    }
    JsonNode service = Nodes.obj(Nodes.obj(provider, "kubernetes"), "envoyService");
    String serviceType = Nodes.text(service, "type");
    if (serviceType != null
        && !serviceType.equals("LoadBalancer")
        && !serviceType.equals("ClusterIP")
        && !serviceType.equals("NodePort")) {
      errs.add("unsupported envoy service type " + serviceType);
    }
    if (serviceType != null
        && !serviceType.equals("LoadBalancer")
        && Nodes.has(service, "allocateLoadBalancerNodePorts")) {
      errs.add("allocateLoadBalancerNodePorts can only be set for LoadBalancer type");
    }
    String lbIp = Nodes.text(service, "loadBalancerIP");
    if (lbIp != null) {
      if (serviceType != null && !serviceType.equals("LoadBalancer")) {
        errs.add("loadBalancerIP can only be set for LoadBalancer type");
      }
      if (!IpLiteral.isV4(lbIp)) {
        errs.add("loadBalancerIP:" + lbIp + " is an invalid IPv4 address");
      }
    }
    if (Nodes.bool(spec, "mergeGateways", false) && Nodes.has(spec, "mergeBackends")) {
      errs.add("mergeGateways and mergeBackends cannot both be enabled");
    }
    errs.addAll(accessLogErrors(Nodes.obj(Nodes.obj(spec, "telemetry"), "accessLog")));
    return errs.isEmpty() ? null : String.join("; ", errs);
  }

  /** Each access-log setting's format and sinks must carry the block their type names. */
  private static List<String> accessLogErrors(JsonNode accessLog) {
    List<String> errs = new ArrayList<>();
    if (Nodes.bool(accessLog, "disable", false)) {
      return errs;
    }
    for (JsonNode setting : Nodes.list(accessLog, "settings")) {
      JsonNode format = Nodes.obj(setting, "format");
      String formatType = Nodes.text(format, "type");
      if ("Text".equals(formatType) && !Nodes.has(format, "text")) {
        errs.add(
            "unable to configure access log when using Text format but \"text\" field being"
                + " empty");
      }
      if ("JSON".equals(formatType) && !Nodes.has(format, "json")) {
        errs.add(
            "unable to configure access log when using JSON format but \"json\" field being"
                + " empty");
      }
      for (JsonNode sink : Nodes.list(setting, "sinks")) {
        String block =
            switch (Nodes.text(sink, "type", "")) {
              case "File" -> "file";
              case "ALS" -> "als";
              case "OpenTelemetry" -> "openTelemetry";
              default -> null;
            };
        if (block != null && !Nodes.has(sink, block)) {
          errs.add(
              "unable to configure access log when using "
                  + Nodes.text(sink, "type")
                  + " sink type but \""
                  + block
                  + "\" field being empty");
        }
      }
    }
    return errs;
  }

  /**
   * What the telemetry of an EnvoyProxy spec refers to, resolved: null when every access-log match
   * parses as CEL and every backendRef of the access-log sinks, the tracing provider and the metric
   * sinks names an existing Service port (or an existing Backend, when Backends are enabled); else
   * the first problem. References without a namespace are in {@code epNamespace}.
   */
  static String telemetryError(JsonNode spec, String epNamespace, TranslationContext ctx) {
    JsonNode telemetry = Nodes.obj(spec, "telemetry");
    JsonNode accessLog = Nodes.obj(telemetry, "accessLog");
    if (!Nodes.bool(accessLog, "disable", false)) {
      for (JsonNode setting : Nodes.list(accessLog, "settings")) {
        for (JsonNode m : Nodes.list(setting, "matches")) {
          String err = CelSyntax.error(m.asText());
          if (err != null) {
            return "Invalid access log backendRefs in the referenced EnvoyProxy: invalid CEL"
                + " expression: "
                + m.asText()
                + " ("
                + err
                + ")";
          }
        }
        for (JsonNode sink : Nodes.list(setting, "sinks")) {
          JsonNode block =
              switch (Nodes.text(sink, "type", "")) {
                case "ALS" -> Nodes.obj(sink, "als");
                case "OpenTelemetry" -> Nodes.obj(sink, "openTelemetry");
                default -> null;
              };
          String err = block == null ? null : backendRefsError(block, epNamespace, ctx);
          if (err != null) {
            return "Invalid access log backendRefs in the referenced EnvoyProxy: " + err;
          }
        }
      }
    }
    JsonNode tracing = Nodes.obj(telemetry, "tracing");
    String err = backendRefsError(Nodes.obj(tracing, "provider"), epNamespace, ctx);
    if (err != null) {
      return "Invalid tracing backendRefs in the referenced EnvoyProxy: " + err;
    }
    for (JsonNode sink : Nodes.list(Nodes.obj(telemetry, "metrics"), "sinks")) {
      err = backendRefsError(Nodes.obj(sink, "openTelemetry"), epNamespace, ctx);
      if (err != null) {
        return "Invalid metrics backendRefs in the referenced EnvoyProxy: " + err;
      }
    }
    return null;
  }

  private static String backendRefsError(JsonNode holder, String ns, TranslationContext ctx) {
    for (JsonNode ref : Nodes.list(holder, "backendRefs")) {
      String err = backendRefError(ref, ns, ctx);
      if (err != null) {
        return err;
      }
    }
    return null;
  }

  static String backendRefError(JsonNode raw, String defaultNs, TranslationContext ctx) {
    JsonNode ref = normalizedRef(raw);
    String kind = Nodes.text(ref, "kind", "Service");
    String group = Nodes.text(ref, "group", "");
    String ns = Nodes.text(ref, "namespace", defaultNs);
    String name = Nodes.text(ref, "name", "");
    if (kind.equals("Service") && group.isEmpty()) {
      Integer port = Nodes.integer(ref, "port");
      if (port == null) {
        return "a port number is required for Service " + ns + "/" + name;
      }
      JsonNode svc = ctx.service(ns, name);
      if (svc == null) {
        return "service " + ns + "/" + name + " not found";
      }
      for (JsonNode p : Nodes.list(Nodes.spec(svc), "ports")) {
        if (port.equals(Nodes.integer(p, "port"))
            && Nodes.text(p, "protocol", "TCP").equals("TCP")) {
          return null;
        }
      }
      return "TCP port " + port + " not found in service " + ns + "/" + name;
    }
    if (kind.equals("Backend") && group.equals(TranslationContext.EG_GROUP)) {
      if (!ctx.config.extensionApis().enableBackend()) {
        return "the Backend kind is not enabled in the EnvoyGateway configuration";
      }
      if (ctx.backends.get(ns + "/" + name) == null) {
        return "backend " + ns + "/" + name + " not found";
      }
      return null;
    }
    return "unsupported kind for backendRefs: " + kind;
  }

  /**
   * A backendRef with its keys as Envoy Gateway reads them: Go's JSON decoding matches field names
   * case-insensitively, so "Name" is "name".
   */
  static com.fasterxml.jackson.databind.node.ObjectNode normalizedRef(JsonNode raw) {
    com.fasterxml.jackson.databind.node.ObjectNode ref = Nodes.object();
    if (raw != null && raw.isObject()) {
      raw.fields()
          .forEachRemaining(
              e -> {
                String k = e.getKey();
                String lower =
                    k.isEmpty() ? k : Character.toLowerCase(k.charAt(0)) + k.substring(1);
                if (!ref.has(lower) || k.equals(lower)) {
                  ref.set(lower, e.getValue());
                }
              });
    }
    return ref;
  }
}
