package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;

/** Envoy Gateway Backend resources: validates each and sets its Accepted condition. */
final class BackendProcessor {
  private final TranslationContext ctx;
  private final BackendTls tls;

  BackendProcessor(TranslationContext ctx) {
    this.ctx = ctx;
    this.tls = new BackendTls(ctx, new BackendTlsPolicyProcessor(ctx));
  }

  void process() {
    for (ObjectNode b : ctx.backendList) {
      StatusCollector.Entry e = ctx.statuses.entry(b).withConditions();
      if (!ctx.config.extensionApis().enableBackend()) {
        // Envoy Gateway reports a disabled Backend API with this (unusual) condition.
        e.conditions.set(
            new Condition(
                "Invalid",
                "False",
                "Accepted",
                "The Backend was not accepted since Backend is not enabled in Envoy Gateway Config"));
        continue;
      }
      String err = validate(Nodes.spec(b));
      if (err == null) {
        err = localAddress(Nodes.spec(b), ctx.config);
      }
      if (err == null) {
        err = tls.validationError(b);
      }
      if (err != null) {
        // Envoy Gateway reports an invalid Backend with this (unusual) condition shape.
        e.conditions.set(new Condition("Invalid", "False", "Accepted", err));
        continue;
      }
      if (err == null) {
        e.conditions.set(Condition.isTrue("Accepted", "Accepted", "The Backend was accepted"));
      } else {
        e.conditions.set(Condition.isFalse("Accepted", "InvalidBackend", err));
      }
    }
  }

  /**
   * Like {@link #localAddress(JsonNode)}, except with the Host infrastructure provider: there Envoy
   * shares the machine with its backends on purpose (Envoy Gateway's own standalone quickstart
   * routes to a Backend on 127.0.0.1), so loopback endpoints are allowed.
   */
  static String localAddress(JsonNode spec, io.eg4j.model.config.EnvoyGatewayConfig config) {
    return "Host".equals(config.provider().infrastructureType()) ? null : localAddress(spec);
  }

  /** An error when an endpoint points at the proxy's own host (loopback), else null. */
  static String localAddress(JsonNode spec) {
    for (JsonNode ep : Nodes.list(spec, "endpoints")) {
      String ip = Nodes.text(Nodes.obj(ep, "ip"), "address");
      if (ip != null && (ip.startsWith("127.") || ip.equals("::1") || ip.equals("0.0.0.0"))) {
        return "IP address " + ip + " in the loopback range is not allowed";
      }
      String host = Nodes.text(Nodes.obj(ep, "fqdn"), "hostname");
      if (host != null && host.equalsIgnoreCase("localhost")) {
        return "hostname localhost is not allowed";
      }
    }
    return null;
  }

  private static String validate(JsonNode spec) {
    for (JsonNode ep : Nodes.list(spec, "endpoints")) {
      JsonNode ip = Nodes.obj(ep, "ip");
      if (!ip.isMissingNode()) {
        String a = Nodes.text(ip, "address", "");
        if (!a.matches("^[0-9.]+$|^[0-9a-fA-F:]+$")) {
          return "IP address " + a + " is invalid";
        }
        try {
          InetAddress.getByName(a);
        } catch (Exception ex) {
          return "IP address " + a + " is invalid";
        }
      }
    }
    return null;
  }
}
