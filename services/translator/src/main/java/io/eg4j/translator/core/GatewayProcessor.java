package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.ProxyNames;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.translator.core.GatewayClassProcessor.GatewayClassContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Picks the Gateways of one GatewayClass, rejects the ones that cannot be served (invalid
 * EnvoyProxy, unsupported address types), resolves the EnvoyProxy each uses, and creates their IR
 * entries: one xDS IR and one infra IR per Gateway, or per GatewayClass when merged.
 */
final class GatewayProcessor {
  static final String OWNING_GATEWAY_NAME = "gateway.envoyproxy.io/owning-gateway-name";
  static final String OWNING_GATEWAY_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace";
  static final String OWNING_GATEWAYCLASS = "gateway.envoyproxy.io/owning-gatewayclass";

  private final TranslationContext ctx;

  GatewayProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  /** The accepted Gateways of a class, oldest first. Rejected ones get their status here. */
  List<GatewayContext> relevantGateways(GatewayClassContext gc) {
    List<GatewayContext> accepted = new ArrayList<>();
    for (ObjectNode gw : ctx.gateways) {
      if (!Nodes.text(Nodes.spec(gw), "gatewayClassName", "").equals(gc.name())) {
        continue;
      }
      GatewayContext g = new GatewayContext(gw, ctx.statuses.entry(gw));
      g.envoyProxy = gc.envoyProxy();
      g.envoyProxyNamespace = gc.envoyProxyNamespace();
      JsonNode ref = Nodes.obj(Nodes.obj(g.spec(), "infrastructure"), "parametersRef");
      if (!ref.isMissingNode()
          && !("EnvoyProxy".equals(Nodes.text(ref, "kind"))
              && TranslationContext.EG_GROUP.equals(Nodes.text(ref, "group")))) {
        // Gateway API: a parametersRef of a kind the implementation does not support rejects the
        // Gateway (Accepted=False, InvalidParameters; conformance GatewayInvalidParametersRef).
        g.status.conditions.set(
            Condition.isFalse(
                "Accepted",
                "InvalidParameters",
                "Invalid parametersRef: "
                    + Nodes.text(ref, "group", "")
                    + "/"
                    + Nodes.text(ref, "kind", "")
                    + " is not supported, only "
                    + TranslationContext.EG_GROUP
                    + "/EnvoyProxy"));
        continue;
      }
      if (!ref.isMissingNode()
          && "EnvoyProxy".equals(Nodes.text(ref, "kind"))
          && TranslationContext.EG_GROUP.equals(Nodes.text(ref, "group"))) {
        ObjectNode ep = ctx.envoyProxies.get(g.namespace + "/" + Nodes.text(ref, "name", ""));
        if (ep != null) {
          g.envoyProxyFromGateway = ep;
          String invalid = EnvoyProxyValidator.validate(ep);
          StatusCollector.RefStatus anc =
              ctx.statuses.entry(ep).ancestor(gatewayRef(g), "Gateway/" + g, "");
          if (invalid != null) {
            anc.conditions.set(Condition.isFalse("Accepted", "InvalidParameters", invalid));
            g.status.conditions.set(
                Condition.isFalse(
                    "Accepted", "InvalidParameters", "Invalid parametersRef: " + invalid));
            continue;
          }
          anc.conditions.set(
              Condition.isTrue("Accepted", "Accepted", "EnvoyProxy has been accepted."));
          if (Nodes.has(Nodes.spec(ep), "luaValidation")) {
            anc.conditions.set(GatewayClassProcessor.LUA_VALIDATION_DEPRECATED);
          }
          g.envoyProxy = Nodes.spec(ep);
          g.envoyProxyNamespace = g.namespace;
        }
      }
      if (g.envoyProxyFromGateway == null && gc.envoyProxyError() != null) {
        // The Gateway would run with its class's EnvoyProxy, which is missing or invalid: serving
        // it with defaults instead would silently drop the platform team's settings.
        g.status.conditions.set(
            Condition.isFalse(
                "Accepted",
                "InvalidParameters",
                "Invalid parametersRef: the GatewayClass's EnvoyProxy: " + gc.envoyProxyError()));
        continue;
      }
      if (gc.mergeGateways() && mergeBackends(g)) {
        g.status.conditions.set(
            Condition.isFalse(
                "Accepted",
                "InvalidParameters",
                "mergeGateways and mergeBackends cannot both be enabled"));
        continue;
      }
      String badAddress = unsupportedAddressType(g);
      if (badAddress != null) {
        g.status.conditions.set(
            Condition.isFalse(
                "Accepted",
                "UnsupportedAddress",
                "Gateway has an address with an unsupported type: " + badAddress));
        continue;
      }
      // What the telemetry refers to must resolve; if not, the Gateway says so but is still
      // translated (its listeners keep their status), as Envoy Gateway does.
      String telemetry =
          EnvoyProxyValidator.telemetryError(g.envoyProxy, g.envoyProxyNamespace, ctx);
      if (telemetry != null) {
        g.status.conditions.set(Condition.isFalse("Accepted", "InvalidParameters", telemetry));
      }
      g.irKey = gc.mergeGateways() ? gc.name() : g.namespace + "/" + g.name;
      accepted.add(g);
    }
    return accepted;
  }

  /**
   * Whether backend merging is on for a Gateway: its own EnvoyProxy (or its class's) sets {@code
   * mergeBackends}, or the EnvoyGateway configuration's default EnvoyProxy does.
   */
  private boolean mergeBackends(GatewayContext g) {
    if (Nodes.has(g.envoyProxy, "mergeBackends")) {
      return true;
    }
    JsonNode defaults = ctx.config.envoyProxy();
    return defaults != null && Nodes.has(defaults, "mergeBackends");
  }

  private static ObjectNode gatewayRef(GatewayContext g) {
    ObjectNode ref = Nodes.object();
    ref.put("group", TranslationContext.GATEWAY_GROUP);
    ref.put("kind", "Gateway");
    ref.put("namespace", g.namespace);
    ref.put("name", g.name);
    return ref;
  }

  private static String unsupportedAddressType(GatewayContext g) {
    for (JsonNode a : Nodes.list(g.spec(), "addresses")) {
      String type = Nodes.text(a, "type", "IPAddress");
      if (!type.equals("IPAddress") && !type.equals("Hostname")) {
        return type;
      }
    }
    return null;
  }

  /** Creates the IR entries of the accepted Gateways. */
  void initIr(
      GatewayClassContext gc,
      List<GatewayContext> gateways,
      Map<String, IrBuilders.XdsBuilder> xds,
      Map<String, IrBuilders.InfraBuilder> infra) {
    for (GatewayContext g : gateways) {
      IrBuilders.XdsBuilder xb = xds.computeIfAbsent(g.irKey, IrBuilders.XdsBuilder::new);
      // The EnvoyProxy's filterOrder moves HTTP filters; an entry of an unexpected shape is skipped
      // (the EnvoyProxy's own validation reports it).
      List<XdsIr.FilterPositionIr> order = new ArrayList<>();
      for (JsonNode fp : Nodes.list(g.envoyProxy, "filterOrder")) {
        String name = Nodes.text(fp, "name");
        String before = Nodes.text(fp, "before");
        String after = Nodes.text(fp, "after");
        if (name != null && (before == null) != (after == null)) {
          order.add(new XdsIr.FilterPositionIr(name, before, after));
        }
      }
      xb.filterOrder = List.copyOf(order);
      if (!"Host".equals(ctx.config.provider().infrastructureType())) {
        // A Kubernetes fleet: its readiness probe asks the ready listener, and its own Service's
        // endpoints make the local cluster.
        xb.ready =
            new XdsIr.ReadyListenerIr("0.0.0.0", ProxyNames.READY_PORT, ProxyNames.READY_PATH);
        boolean nsMode = ctx.config.provider().gatewayNamespaceMode() && !gc.mergeGateways();
        String svcNamespace = nsMode ? g.namespace : ctx.config.controllerNamespace();
        String svcName = nsMode ? g.name : ProxyNames.fleetResourceName(g.irKey);
        List<XdsIr.ZonedEndpointIr> local =
            localEndpoints(ctx.endpointSlicesByService.get(svcNamespace + "/" + svcName));
        if ("Service".equals(Nodes.text(g.envoyProxy, "routingType"))) {
          // Service routing: the fleet is reached through its Service's cluster IP too.
          JsonNode svc = Nodes.spec(ctx.service(svcNamespace, svcName));
          String ip = Nodes.text(svc, "clusterIP");
          List<JsonNode> ports = Nodes.list(svc, "ports");
          Integer port = ports.isEmpty() ? null : Nodes.integer(ports.get(0), "port");
          if (ip != null && !ip.isEmpty() && !ip.equals("None") && port != null) {
            local = List.of(new XdsIr.ZonedEndpointIr(ip, port, null));
          }
        }
        xb.localCluster = new XdsIr.LocalClusterIr(svcNamespace, svcName, local);
      }
      IrBuilders.InfraBuilder ib = infra.computeIfAbsent(g.irKey, IrBuilders.InfraBuilder::new);
      boolean gwNamespaceMode = ctx.config.provider().gatewayNamespaceMode();
      ib.namespace = gwNamespaceMode ? g.namespace : ctx.config.controllerNamespace();
      if (gc.mergeGateways()) {
        ib.ownerName = gc.name();
        ib.ownerNamespace = null;
        ib.labels.put(OWNING_GATEWAYCLASS, gc.name());
      } else {
        ib.ownerName = g.name;
        ib.ownerNamespace = g.namespace;
        ib.labels.put(OWNING_GATEWAY_NAME, g.name);
        ib.labels.put(OWNING_GATEWAY_NAMESPACE, g.namespace);
      }
      JsonNode infraSpec = Nodes.obj(g.spec(), "infrastructure");
      ib.labels.putAll(Nodes.map(infraSpec, "labels"));
      // Requested IP addresses go to the fleet's Service; Hostname addresses have no IP to give.
      for (JsonNode a : Nodes.list(g.spec(), "addresses")) {
        String value = Nodes.text(a, "value");
        if (Nodes.text(a, "type", "IPAddress").equals("IPAddress")
            && value != null
            && !value.isEmpty()) {
          ib.addresses.add(value);
        }
      }
      ib.annotations.putAll(Nodes.map(infraSpec, "annotations"));
      if (g.envoyProxy != null && !g.envoyProxy.isMissingNode()) {
        ib.envoyProxy = g.envoyProxy.toString();
      }
    }
  }

  /**
   * The ready endpoints of the fleet's own EndpointSlices, each on its slice's first port and with
   * its zone.
   */
  static List<XdsIr.ZonedEndpointIr> localEndpoints(List<ObjectNode> slices) {
    List<XdsIr.ZonedEndpointIr> out = new ArrayList<>();
    for (ObjectNode slice : slices == null ? List.<ObjectNode>of() : slices) {
      List<JsonNode> ports = Nodes.list(slice, "ports");
      Integer port = ports.isEmpty() ? null : Nodes.integer(ports.get(0), "port");
      if (port == null || port < 1 || port > 65535) {
        continue;
      }
      for (JsonNode ep : Nodes.list(slice, "endpoints")) {
        if (!Nodes.bool(Nodes.obj(ep, "conditions"), "ready", true)) {
          continue;
        }
        for (String addr : Nodes.texts(ep, "addresses")) {
          // The fleet's own endpoints make a STATIC cluster: IP literals only.
          if (IpLiteral.is(addr)) {
            out.add(new XdsIr.ZonedEndpointIr(addr, port, Nodes.text(ep, "zone")));
          }
        }
      }
    }
    return out;
  }
}
