package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.TlsIr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One listener (of a Gateway or of an attached ListenerSet) with its status and what validation
 * found: supported kinds, parsed namespace selector, resolved certificates.
 */
final class ListenerContext {
  final GatewayContext gateway;

  /** The ListenerSet the listener comes from, or null for the Gateway's own listeners. */
  final ListenerSetContext listenerSet;

  final JsonNode spec;
  final String name;
  final String protocol;
  final Integer port;

  /** The hostname, or null when unset. */
  final String hostname;

  final StatusCollector.ListenerStatus status;

  /** Route kinds this listener accepts (kind names, group gateway.networking.k8s.io). */
  final List<String> supportedKinds = new ArrayList<>();

  /** Parsed allowedRoutes selector, when from is Selector and it parsed. */
  LabelSelector namespaceSelector;

  boolean selectorInvalid;

  /** Certificates for TLS termination. */
  final List<TlsIr.CertificateIr> certificates = new ArrayList<>();

  /** Client certificate validation from the Gateway's spec.tls.frontend, or null for none. */
  TlsIr.FrontendValidationIr frontendValidation;

  /** True once the listener was added to the IR. */
  boolean ready;

  ListenerContext(
      GatewayContext gateway,
      ListenerSetContext listenerSet,
      JsonNode spec,
      StatusCollector.ListenerStatus status) {
    this.gateway = gateway;
    this.listenerSet = listenerSet;
    this.spec = spec;
    this.name = Nodes.text(spec, "name", "");
    this.protocol = Nodes.text(spec, "protocol", "");
    this.port = Nodes.integer(spec, "port");
    String h = Nodes.text(spec, "hostname");
    this.hostname = h == null || h.isEmpty() ? null : h;
    this.status = status;
  }

  /** The namespace that owns the listener (the ListenerSet's for ListenerSet listeners). */
  String namespace() {
    return listenerSet != null ? listenerSet.namespace : gateway.namespace;
  }

  int portOrZero() {
    return port == null ? 0 : port;
  }

  JsonNode tls() {
    return Nodes.obj(spec, "tls");
  }

  boolean hasTls() {
    return spec.get("tls") != null && spec.get("tls").isObject();
  }

  /** The TLS mode, Terminate when unset. */
  String tlsMode() {
    return Nodes.text(tls(), "mode", "Terminate");
  }

  /** The unique IR name of the listener. */
  String irName() {
    if (listenerSet != null) {
      return listenerSet.namespace + "/" + listenerSet.name + "/" + name;
    }
    return gateway.namespace + "/" + gateway.name + "/" + name;
  }

  /** True when the listener is programmed (has no error conditions). */
  boolean isReady() {
    return status.conditions.has("Programmed", "True");
  }

  /** True when the route kind may attach. */
  boolean allowsKind(String kind) {
    return supportedKinds.contains(kind);
  }

  /** True when a route in namespace {@code ns} (with those labels) may attach. */
  boolean allowsNamespace(String ns, Map<String, String> nsLabels, boolean nsExists) {
    if (!nsExists) {
      return false;
    }
    JsonNode namespaces = Nodes.obj(Nodes.obj(spec, "allowedRoutes"), "namespaces");
    String from = Nodes.text(namespaces, "from", "Same");
    switch (from) {
      case "All":
        return true;
      case "Selector":
        return namespaceSelector != null && namespaceSelector.matches(nsLabels);
      default:
        return namespace().equals(ns);
    }
  }

  @Override
  public String toString() {
    return irName();
  }
}
