package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A Gateway of our GatewayClass together with what the translator computed for it: its status
 * entry, the EnvoyProxy in effect, its IR key and its listeners (its own, then those of attached
 * ListenerSets).
 */
final class GatewayContext {
  final ObjectNode gateway;
  final String namespace;
  final String name;
  final String className;
  final StatusCollector.Entry status;

  /** The EnvoyProxy spec in effect (Gateway's own, else the GatewayClass's, else the default). */
  JsonNode envoyProxy;

  /** The namespace of the EnvoyProxy in effect: where its telemetry backendRefs default to. */
  String envoyProxyNamespace;

  /** The name of the EnvoyProxy in effect, or null for the EnvoyGateway configuration's default. */
  String envoyProxyName;

  /** The EnvoyProxy object when it came from the Gateway's infrastructure.parametersRef. */
  ObjectNode envoyProxyFromGateway;

  /** The IR key: {@code namespace/name}, or the GatewayClass name when gateways are merged. */
  String irKey;

  final List<ListenerContext> listeners = new ArrayList<>();

  /** Attached ListenerSets, in precedence order. */
  final List<ListenerSetContext> listenerSets = new ArrayList<>();

  GatewayContext(ObjectNode gateway, StatusCollector.Entry status) {
    this.gateway = gateway;
    this.namespace = Nodes.namespace(gateway);
    this.name = Nodes.name(gateway);
    this.className = Nodes.text(Nodes.spec(gateway), "gatewayClassName", "");
    this.status = status;
  }

  JsonNode spec() {
    return Nodes.spec(gateway);
  }

  /** The Gateway's own listeners, not those of ListenerSets. */
  List<ListenerContext> ownListeners() {
    return listeners.stream().filter(l -> l.listenerSet == null).toList();
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
