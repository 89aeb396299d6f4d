package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.ir.TlsIr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates every listener of the accepted Gateways (and of their ListenerSets), computes listener
 * statuses, and adds the valid listeners to the xDS and infra IR.
 *
 * <p>Order matters: route kinds and protocol first, then conflicts between listeners on one port (a
 * conflicted listener is not validated further, its TLS refs included), then namespaces, TLS and
 * hostname, and last the summary conditions that decide whether the listener is programmed.
 */
final class ListenerProcessor {
  private static final String ROUTE_GROUP = TranslationContext.GATEWAY_GROUP;

  private final TranslationContext ctx;

  ListenerProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  void process(
      List<GatewayContext> gateways,
      boolean merged,
      Map<String, IrBuilders.XdsBuilder> xds,
      Map<String, IrBuilders.InfraBuilder> infra) {
    for (GatewayContext g : gateways) {
      for (ListenerContext l : g.listeners) {
        processProtocol(l);
      }
    }
    // Each listener's own spec is validated first; only the listeners it leaves valid take part
    // in the conflicts between listeners on one port, so an invalid listener (a missing
    // certificate, say) does not take a port or a hostname from a valid one.
    for (GatewayContext g : gateways) {
      for (ListenerContext l : g.listeners) {
        if (l.listenerSet != null) {
          continue;
        }
        validateAllowedNamespaces(l);
        validateTls(l);
        validateHostname(l);
      }
    }
    for (GatewayContext g : gateways) {
      detectProtocolConflicts(g);
    }
    if (merged) {
      detectMergedConflicts(gateways);
    }
    for (GatewayContext g : gateways) {
      ListenerSetProcessor.detectConflicts(g);
    }
    for (GatewayContext g : gateways) {
      for (ListenerContext l : g.listeners) {
        if (l.listenerSet != null && !l.status.conditions.has("Conflicted", "True")) {
          validateAllowedNamespaces(l);
          validateTls(l);
          validateHostname(l);
        }
      }
      detectHostnameConflicts(g);
      new GatewayTlsProcessor(ctx).gatewayConditions(g);
      Set<String> ports = new HashSet<>();
      for (ListenerContext l : g.listeners) {
        if (finalizeConditions(l)) {
          l.ready = true;
          addToIr(g, l, xds.get(g.irKey), infra.get(g.irKey), ports);
        }
      }
    }
    detectOverlappingTls(gateways);
  }

  /**
   * GEP-3567: HTTPS listeners that share a port (in one Gateway, or across merged Gateways) and
   * whose certificates or hostnames overlap can receive each other's connections through HTTP/2
   * connection coalescing; they stay programmed but are flagged.
   */
  static void detectOverlappingTls(List<GatewayContext> gateways) {
    Map<String, List<ListenerContext>> groups = new LinkedHashMap<>();
    for (GatewayContext g : gateways) {
      for (ListenerContext l : g.listeners) {
        if (l.ready && l.protocol.equals("HTTPS") && l.port != null) {
          groups.computeIfAbsent(g.irKey + ":" + l.port, k -> new ArrayList<>()).add(l);
        }
      }
    }
    for (List<ListenerContext> ls : groups.values()) {
      for (int i = 0; i < ls.size(); i++) {
        for (int j = i + 1; j < ls.size(); j++) {
          ListenerContext a = ls.get(i);
          ListenerContext b = ls.get(j);
          if (certificatesOverlap(a, b)) {
            for (ListenerContext x : List.of(a, b)) {
              x.status.conditions.set(
                  Condition.isTrue(
                      "OverlappingTLSConfig",
                      "OverlappingCertificates",
                      "The certificate of this listener overlaps with another listener's on the same port"));
            }
          } else if (hostnamesOverlap(a.hostname, b.hostname)) {
            for (ListenerContext x : List.of(a, b)) {
              Condition c = x.status.conditions.get("OverlappingTLSConfig");
              if (c == null) {
                x.status.conditions.set(
                    Condition.isTrue(
                        "OverlappingTLSConfig",
                        "OverlappingHostnames",
                        "The hostname of this listener overlaps with another listener's on the same port"));
              }
            }
          }
        }
      }
    }
  }

  private static boolean certificatesOverlap(ListenerContext a, ListenerContext b) {
    for (TlsIr.CertificateIr ca : a.certificates) {
      for (TlsIr.CertificateIr cb : b.certificates) {
        if (ca.name().equals(cb.name())) {
          continue;
        }
        for (String x : ca.serverNames()) {
          for (String y : cb.serverNames()) {
            if (hostnamesOverlap(x, y)) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  static boolean hostnamesOverlap(String a, String b) {
    if (a == null || b == null) {
      return true;
    }
    return a.equalsIgnoreCase(b) || wildcardCovers(a, b) || wildcardCovers(b, a);
  }

  private static boolean wildcardCovers(String wildcard, String host) {
    if (!wildcard.startsWith("*.")) {
      return false;
    }
    String suffix = wildcard.substring(1).toLowerCase(java.util.Locale.ROOT);
    String h = host.toLowerCase(java.util.Locale.ROOT);
    return h.endsWith(suffix) && h.length() > suffix.length();
  }

  /** Supported route kinds for the listener's protocol (validateAllowedRoutes). */
  private void processProtocol(ListenerContext l) {
    switch (l.protocol) {
      case "HTTP", "HTTPS" -> validateAllowedRoutes(l, "HTTPRoute", "GRPCRoute");
      case "TLS" -> {
        if (l.hasTls() && "Passthrough".equals(Nodes.text(l.tls(), "mode"))) {
          validateAllowedRoutes(l, "TLSRoute");
        } else {
          validateAllowedRoutes(l, "TCPRoute", "TLSRoute");
        }
      }
      case "TCP" -> validateAllowedRoutes(l, "TCPRoute");
      case "UDP" -> validateAllowedRoutes(l, "UDPRoute");
      default ->
          l.status.conditions.set(
              Condition.isFalse(
                  "Accepted",
                  "UnsupportedProtocol",
                  "Protocol "
                      + l.protocol
                      + " is unsupported, must be HTTP, HTTPS, TCP, UDP or TLS."));
    }
  }

  private void validateAllowedRoutes(ListenerContext l, String... kinds) {
    List<JsonNode> allowed = Nodes.list(Nodes.obj(l.spec, "allowedRoutes"), "kinds");
    List<String> supported = new ArrayList<>();
    if (allowed.isEmpty()) {
      supported.addAll(List.of(kinds));
    } else {
      for (JsonNode k : allowed) {
        String group = Nodes.text(k, "group");
        String kind = Nodes.text(k, "kind", "");
        if (group != null && !group.equals(ROUTE_GROUP)) {
          l.status.conditions.set(
              Condition.isFalse(
                  "ResolvedRefs",
                  "InvalidRouteKinds",
                  "Group is not supported, group must be " + ROUTE_GROUP));
          continue;
        }
        if (List.of(kinds).contains(kind)) {
          if (!supported.contains(kind)) {
            supported.add(kind);
          }
        } else {
          l.status.conditions.set(
              Condition.isFalse(
                  "ResolvedRefs",
                  "InvalidRouteKinds",
                  kind + " is not supported, kind must be one of " + List.of(kinds)));
        }
      }
    }
    l.supportedKinds.clear();
    l.supportedKinds.addAll(supported);
    l.status.supportedKinds.clear();
    for (String k : supported) {
      l.status.supportedKinds.add(new String[] {ROUTE_GROUP, k});
    }
  }

  /**
   * Listener distinctness within one Gateway (Gateway API, {@code Listener}: "each listener in a
   * set MUST have a unique combination of Port, Protocol, and, if supported by the protocol,
   * Hostname"), with Envoy Gateway's compatibility rules on top:
   *
   * <ul>
   *   <li>on one port, HTTP, TCP and HTTPS/TLS (HTTPS and TLS share a port by SNI) do not mix: when
   *       two of these families meet, all of the port's listeners but UDP ones are {@code
   *       ProtocolConflict} (UDP shares a port with anything);
   *   <li>HTTP, HTTPS and TLS listeners on one port need distinct hostnames: see {@link
   *       #detectHostnameConflicts};
   *   <li>TCP and UDP are distinct by port only: the first TCP (UDP) listener keeps a port, later
   *       ones are {@code ProtocolConflict}.
   * </ul>
   */
  private void detectProtocolConflicts(GatewayContext g) {
    Map<Integer, List<ListenerContext>> byPort = new LinkedHashMap<>();
    for (ListenerContext l : g.listeners) {
      if (l.listenerSet == null && l.port != null && !invalid(l)) {
        byPort.computeIfAbsent(l.port, p -> new ArrayList<>()).add(l);
      }
    }
    for (List<ListenerContext> onPort : byPort.values()) {
      List<ListenerContext> shared = new ArrayList<>();
      Set<String> families = new HashSet<>();
      for (ListenerContext l : onPort) {
        switch (l.protocol) {
          case "HTTP", "HTTPS", "TLS", "TCP" -> {
            shared.add(l);
            families.add(family(l.protocol));
          }
          default -> {}
        }
      }
      if (families.size() > 1) {
        for (ListenerContext l : shared) {
          l.status.conditions.set(
              Condition.isTrue(
                  "Conflicted",
                  "ProtocolConflict",
                  "All listeners for a given port must use a compatible protocol"));
        }
      }
      for (String protocol : List.of("TCP", "UDP")) {
        List<ListenerContext> same =
            onPort.stream().filter(l -> l.protocol.equals(protocol)).toList();
        for (int i = 1; i < same.size(); i++) {
          same.get(i)
              .status
              .conditions
              .set(
                  Condition.isTrue(
                      "Conflicted",
                      "ProtocolConflict",
                      "Only one " + protocol + " listener is allowed in a given port"));
        }
      }
    }
  }

  /** HTTPS and TLS share a port (by SNI); HTTP, TCP and the pair are distinct families. */
  private static String family(String protocol) {
    return protocol.equals("HTTPS") || protocol.equals("TLS") ? "https/tls" : protocol;
  }

  /**
   * Whether the listener's own validation already made it invalid (Accepted or Programmed false, or
   * references unresolved for another reason than a partly invalid certificate list): such a
   * listener is left out of the conflicts between listeners.
   */
  private static boolean invalid(ListenerContext l) {
    Conditions c = l.status.conditions;
    Condition refs = c.get("ResolvedRefs");
    return c.has("Accepted", "False")
        || c.has("Programmed", "False")
        || (refs != null
            && refs.status().equals("False")
            && !refs.reason().equals("PartiallyInvalidCertificateRef"));
  }

  /**
   * HTTP, HTTPS and TLS listeners of one Gateway that share a port must have distinct hostnames (at
   * most one without a hostname). Decided after each listener's own checks, among the listeners
   * that passed them: a listener that is invalid anyway (a missing certificate, say) takes no
   * hostname, as in Envoy Gateway.
   */
  private static void detectHostnameConflicts(GatewayContext g) {
    Map<String, List<ListenerContext>> byPortAndHostname = new LinkedHashMap<>();
    for (ListenerContext l : g.listeners) {
      if (l.listenerSet != null
          || l.port == null
          || !Set.of("HTTP", "HTTPS", "TLS").contains(l.protocol)
          || l.status.conditions.has("Conflicted", "True")
          || l.status.conditions.has("Programmed", "False")
          || l.status.conditions.has("ResolvedRefs", "False")
          || l.status.conditions.has("Accepted", "False")) {
        continue;
      }
      byPortAndHostname
          .computeIfAbsent(
              l.port + " " + (l.hostname == null ? "" : l.hostname), k -> new ArrayList<>())
          .add(l);
    }
    for (List<ListenerContext> same : byPortAndHostname.values()) {
      if (same.size() > 1) {
        for (ListenerContext l : same) {
          l.status.conditions.set(
              Condition.isTrue(
                  "Conflicted",
                  "HostnameConflict",
                  "All listeners for a given port must use a unique hostname"));
        }
      }
    }
  }

  /** With merged Gateways, port, protocol and hostname must be unique across all of them. */
  private void detectMergedConflicts(List<GatewayContext> gateways) {
    Set<String> seen = new HashSet<>();
    for (GatewayContext g : gateways) {
      for (ListenerContext l : g.listeners) {
        if (invalid(l)) {
          continue;
        }
        String k = l.protocol + ":" + (l.hostname == null ? "" : l.hostname) + ":" + l.portOrZero();
        if (!seen.add(k)) {
          l.status.conditions.set(
              Condition.isTrue(
                  "Conflicted",
                  "HostnameConflict",
                  "Port, protocol and hostname tuple must be unique for every listener"));
        }
      }
    }
  }

  private void validateAllowedNamespaces(ListenerContext l) {
    JsonNode namespaces = Nodes.obj(Nodes.obj(l.spec, "allowedRoutes"), "namespaces");
    if (!"Selector".equals(Nodes.text(namespaces, "from"))) {
      return;
    }
    JsonNode selector = Nodes.obj(namespaces, "selector");
    if (selector.isMissingNode()) {
      l.selectorInvalid = true;
      l.status.conditions.set(
          Condition.isFalse(
              "Programmed",
              "Invalid",
              "The allowedRoutes.namespaces.selector field must be specified when"
                  + " allowedRoutes.namespaces.from is set to \"Selector\"."));
      return;
    }
    try {
      l.namespaceSelector = LabelSelector.parse(selector);
    } catch (IllegalArgumentException e) {
      l.selectorInvalid = true;
      l.status.conditions.set(
          Condition.isFalse(
              "Programmed",
              "Invalid",
              "The allowedRoutes.namespaces.selector could not be parsed: "
                  + e.getMessage()
                  + "."));
    }
  }

  private void validateTls(ListenerContext l) {
    switch (l.protocol) {
      case "HTTP", "TCP", "UDP" -> {
        if (l.hasTls()) {
          l.status.conditions.set(
              Condition.isFalse(
                  "Programmed",
                  "Invalid",
                  "Listener must not have TLS set when protocol is " + l.protocol + "."));
        }
      }
      case "HTTPS" -> {
        if (!l.hasTls()) {
          l.status.conditions.set(
              Condition.isFalse(
                  "Programmed", "Invalid", "Listener must have TLS set when protocol is HTTPS."));
          return;
        }
        String mode = l.tlsMode();
        if (!mode.equals("Terminate")) {
          l.status.conditions.set(
              Condition.isFalse(
                  "Programmed",
                  "UnsupportedTLSMode",
                  "TLS " + mode + " mode is not supported, TLS mode must be Terminate."));
          return;
        }
        // Client validation (Gateway spec.tls.frontend) is checked first: a listener whose CA
        // references are unusable is reported for that, not for its certificates.
        if (new GatewayTlsProcessor(ctx).validateListener(l)) {
          resolveCertificates(l);
        }
      }
      case "TLS" -> {
        if (!l.hasTls()) {
          l.status.conditions.set(
              Condition.isFalse(
                  "Programmed", "Invalid", "Listener must have TLS set when protocol is TLS."));
          return;
        }
        String mode = l.tlsMode();
        List<JsonNode> refs = Nodes.list(l.tls(), "certificateRefs");
        if (mode.equals("Passthrough")) {
          if (!refs.isEmpty()) {
            l.status.conditions.set(
                Condition.isFalse(
                    "Programmed",
                    "Invalid",
                    "Listener must not have TLS certificate refs set for TLS mode Passthrough."));
          }
        } else if (mode.equals("Terminate")) {
          if (refs.isEmpty()) {
            l.status.conditions.set(
                Condition.isFalse(
                    "Programmed",
                    "Invalid",
                    "Listener must have TLS certificate refs set for TLS mode Terminate."));
            return;
          }
          resolveCertificates(l);
        } else {
          l.status.conditions.set(
              Condition.isFalse(
                  "Programmed", "Invalid", "TLS mode " + mode + " is not supported."));
        }
      }
      default -> {}
    }
  }

  /** Resolves certificateRefs to Secrets, honouring ReferenceGrants, and checks the key pairs. */
  private void resolveCertificates(ListenerContext l) {
    List<JsonNode> refs = Nodes.list(l.tls(), "certificateRefs");
    if (refs.isEmpty()) {
      l.status.conditions.set(
          Condition.isFalse(
              "Programmed", "Invalid", "Listener must have at least 1 TLS certificate ref"));
      return;
    }
    String ownerNs = l.namespace();
    String ownerKind = l.listenerSet != null ? "ListenerSet" : "Gateway";
    List<String> failures = new ArrayList<>();
    String failureReason = null;
    String failureMessage = null;
    List<CertificateValidator.KeyPair> pairs = new ArrayList<>();
    for (JsonNode ref : refs) {
      String group = Nodes.text(ref, "group", "");
      String kind = Nodes.text(ref, "kind", "Secret");
      String name = Nodes.text(ref, "name", "");
      String ns = Nodes.text(ref, "namespace", ownerNs);
      String reason;
      String message;
      if (!group.isEmpty()) {
        reason = "InvalidCertificateRef";
        message = "Listener's TLS certificate ref group must be unspecified/empty.";
      } else if (!kind.equals("Secret")) {
        reason = "InvalidCertificateRef";
        message = "Listener's TLS certificate ref kind must be Secret.";
      } else if (!ns.equals(ownerNs)
          && !ctx.referenceAllowed(ROUTE_GROUP, ownerKind, ownerNs, "", "Secret", ns, name)) {
        reason = "RefNotPermitted";
        message =
            "Certificate ref to secret "
                + ns
                + "/"
                + name
                + " not permitted by any ReferenceGrant.";
      } else {
        JsonNode secret = ctx.secret(ns, name);
        if (secret == null) {
          reason = "InvalidCertificateRef";
          message = "Secret " + ns + "/" + name + " does not exist.";
        } else if (!"kubernetes.io/tls".equals(Nodes.text(secret, "type"))) {
          reason = "InvalidCertificateRef";
          message = "Secret " + ns + "/" + name + " must be of type kubernetes.io/tls.";
        } else {
          byte[] crt = CertificateValidator.secretData(secret, "tls.crt");
          byte[] key = CertificateValidator.secretData(secret, "tls.key");
          if (crt == null || key == null || crt.length == 0 || key.length == 0) {
            reason = "InvalidCertificateRef";
            message = "Secret " + ns + "/" + name + " must contain tls.crt and tls.key.";
          } else {
            try {
              CertificateValidator.KeyPair kp = CertificateValidator.parseKeyPair(crt, key);
              pairs.add(kp);
              l.certificates.add(
                  new TlsIr.CertificateIr(
                      ns + "/" + name,
                      new String(crt, StandardCharsets.UTF_8),
                      new String(key, StandardCharsets.UTF_8),
                      kp.dnsNames()));
              continue;
            } catch (CertificateValidator.InvalidException e) {
              reason = "InvalidCertificateRef";
              message = "Secret " + ns + "/" + name + " " + e.getMessage() + ".";
            }
          }
        }
      }
      failures.add(message);
      if (failureReason == null) {
        failureReason = reason;
        failureMessage = message;
      }
    }
    if (failures.isEmpty()) {
      String overlap = overlappingCertificates(pairs);
      if (overlap != null) {
        l.certificates.clear();
        l.status.conditions.set(
            Condition.isTrue("Accepted", "Accepted", "Listener has been successfully translated"));
        l.status.conditions.set(
            Condition.isFalse("ResolvedRefs", "InvalidCertificateRef", overlap));
      }
      return;
    }
    if (l.certificates.isEmpty()) {
      if ("InvalidCertificateRef".equals(failureReason)) {
        l.status.conditions.set(
            Condition.isTrue("Accepted", "Accepted", "Listener has been successfully translated"));
      }
      l.status.conditions.set(Condition.isFalse("ResolvedRefs", failureReason, failureMessage));
    } else {
      // Some certificates are usable: serve them and report the others (GEP-2643 style).
      l.status.conditions.set(
          Condition.isFalse(
              "ResolvedRefs", "PartiallyInvalidCertificateRef", String.join(" ", failures)));
    }
  }

  /** Two certificates with the same key algorithm may not cover the same DNS name. */
  private static String overlappingCertificates(List<CertificateValidator.KeyPair> pairs) {
    Set<String> seen = new HashSet<>();
    for (CertificateValidator.KeyPair kp : pairs) {
      for (String dns : kp.dnsNames()) {
        if (!seen.add(kp.keyAlgorithm() + "/" + dns)) {
          return "Secret certificates with the same key type must not share a domain: " + dns;
        }
      }
    }
    return null;
  }

  private void validateHostname(ListenerContext l) {
    if (l.port == null || l.port < 1 || l.port > 65535) {
      l.status.conditions.set(
          Condition.isFalse("Programmed", "Invalid", "Listener port must be between 1 and 65535."));
    }
    if ((l.protocol.equals("TCP") || l.protocol.equals("UDP")) && l.hostname != null) {
      l.status.conditions.set(
          Condition.isFalse(
              "Programmed",
              "Invalid",
              "Listener must not have hostname set when protocol is " + l.protocol + "."));
    }
  }

  /**
   * Adds the summary conditions: a listener with no condition yet is Accepted, Programmed and has
   * its refs resolved; otherwise it is not Programmed. Returns true when the listener is ready.
   */
  private boolean finalizeConditions(ListenerContext l) {
    Conditions c = l.status.conditions;
    boolean onlyInformational =
        c.all().stream()
            .allMatch(
                x ->
                    (x.type().equals("ResolvedRefs")
                            && x.reason().equals("PartiallyInvalidCertificateRef"))
                        || x.type().equals("OverlappingTLSConfig")
                        || (x.type().equals("Conflicted") && x.status().equals("False")));
    if (c.isEmpty() || onlyInformational) {
      c.setIfAbsent(
          Condition.isTrue("Accepted", "Accepted", "Listener has been successfully translated"));
      c.setIfAbsent(
          Condition.isTrue(
              "Programmed",
              "Programmed",
              "Sending translated listener configuration to the data plane"));
      c.setIfAbsent(
          Condition.isTrue(
              "ResolvedRefs", "ResolvedRefs", "Listener references have been resolved"));
      if (l.listenerSet != null) {
        ListenerSetProcessor.markValid(l);
      }
      return true;
    }
    if (l.listenerSet != null) {
      ListenerSetProcessor.finalizeInvalid(l);
      return false;
    }
    c.setIfAbsent(
        Condition.isFalse(
            "Programmed", "Invalid", "Listener is invalid, see other Conditions for details."));
    c.setIfAbsent(
        Condition.isTrue("ResolvedRefs", "ResolvedRefs", "Listener references have been resolved"));
    return false;
  }

  private void addToIr(
      GatewayContext g,
      ListenerContext l,
      IrBuilders.XdsBuilder xds,
      IrBuilders.InfraBuilder infra,
      Set<String> ports) {
    if (l.port == null || l.port < 1 || l.port > 65535) {
      return;
    }
    int containerPort = containerPort(l.port, g.envoyProxy);
    TlsIr tls =
        l.certificates.isEmpty()
            ? null
            : new TlsIr(
                l.certificates,
                List.of(),
                l.protocol.equals("HTTPS") ? l.frontendValidation : null);
    switch (l.protocol) {
      case "HTTP", "HTTPS" ->
          xds.http.put(
              l.irName(),
              new IrBuilders.HttpListener(
                  l.irName(),
                  containerPort,
                  l.port,
                  List.of(l.hostname == null ? "*" : l.hostname),
                  tls));
      case "TCP", "TLS" ->
          xds.tcp.put(
              l.irName(), new IrBuilders.TcpListener(l.irName(), containerPort, l.port, tls));
      case "UDP" ->
          xds.udp.put(l.irName(), new IrBuilders.UdpListener(l.irName(), containerPort, l.port));
      default -> {
        return;
      }
    }
    String l4 = l.protocol.equals("UDP") ? "UDP" : "TCP";
    if (ports.add(l4 + "/" + l.port)) {
      String portName = l.protocol.toLowerCase() + "-" + l.port;
      infra.listeners.put(
          l.irName(), new InfraIr.ProxyListenerIr(portName, l.protocol, containerPort, l.port));
    }
  }

  /**
   * Envoy runs unprivileged, so listener ports below 1024 bind 10000 higher unless the EnvoyProxy
   * asks to use the listener port as the container port.
   */
  static int containerPort(int port, JsonNode envoyProxy) {
    boolean same =
        Nodes.bool(
            Nodes.obj(Nodes.obj(Nodes.obj(envoyProxy, "provider"), "kubernetes"), "envoyService"),
            "useListenerPortAsContainerPort",
            false);
    return !same && port < 1024 ? port + 10000 : port;
  }
}
