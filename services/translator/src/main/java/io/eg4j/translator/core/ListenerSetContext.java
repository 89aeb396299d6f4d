package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** A ListenerSet attached to one of our Gateways, with its status entry and listeners. */
final class ListenerSetContext {
  final ObjectNode listenerSet;
  final String namespace;
  final String name;
  final StatusCollector.Entry status;
  final GatewayContext gateway;
  final List<ListenerContext> listeners = new ArrayList<>();

  ListenerSetContext(ObjectNode listenerSet, StatusCollector.Entry status, GatewayContext gateway) {
    this.listenerSet = listenerSet;
    this.namespace = Nodes.namespace(listenerSet);
    this.name = Nodes.name(listenerSet);
    this.status = status;
    this.gateway = gateway;
  }
}
