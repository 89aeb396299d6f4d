package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A route of any kind (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) with its status entry
 * and one {@link Parent} per parentRef that points at one of our Gateways or ListenerSets.
 */
final class RouteContext {
  final ObjectNode route;
  final String kind;
  final String namespace;
  final String name;
  StatusCollector.Entry status;
  final List<Parent> parents = new ArrayList<>();

  RouteContext(ObjectNode route, String kind) {
    this.route = route;
    this.kind = kind;
    this.namespace = Nodes.namespace(route);
    this.name = Nodes.name(route);
  }

  JsonNode spec() {
    return Nodes.spec(route);
  }

  List<JsonNode> rules() {
    return Nodes.list(spec(), "rules");
  }

  List<String> hostnames() {
    return Nodes.texts(spec(), "hostnames");
  }

  /** The IR-facing prefix, {@code httproute/ns/name}. */
  String irPrefix() {
    return kind.toLowerCase() + "/" + namespace + "/" + name;
  }

  /** One parentRef of the route that refers to one of our Gateways or ListenerSets. */
  static final class Parent {
    final JsonNode ref;
    final StatusCollector.RefStatus status;

    /** The Gateway the ref resolves to (the ListenerSet's parent for ListenerSet refs). */
    final GatewayContext gateway;

    /** Listeners that allow the route to attach. */
    final List<ListenerContext> listeners = new ArrayList<>();

    Parent(JsonNode ref, StatusCollector.RefStatus status, GatewayContext gateway) {
      this.ref = ref;
      this.status = status;
      this.gateway = gateway;
    }

    Conditions conditions() {
      return status.conditions;
    }

    /** True when this parent already rejected the route. */
    boolean rejected() {
      return status.conditions.has("Accepted", "False");
    }
  }
}
