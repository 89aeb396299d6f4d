package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Resolves a route's backendRef to endpoints: validates group, kind, cross-namespace permission
 * (ReferenceGrant), port and existence, then reads Service EndpointSlices, ServiceImport
 * EndpointSlices or Backend endpoints, and picks the upstream protocol from appProtocol.
 */
final class BackendRefProcessor {
  /** The outcome: a setting (null when invalid), an error (null when valid), the weight. */
  record Result(DestinationSettingIr setting, RouteErrors.RouteError error, int weight) {
    boolean valid() {
      return error == null;
    }
  }

  private final TranslationContext ctx;
  private final BackendTlsPolicyProcessor tlsPolicies;
  private final BackendTls backendTls;

  BackendRefProcessor(TranslationContext ctx, BackendTlsPolicyProcessor tlsPolicies) {
    this.ctx = ctx;
    this.tlsPolicies = tlsPolicies;
    this.backendTls = new BackendTls(ctx, tlsPolicies);
  }

  /**
   * The upstream TLS of a valid backendRef: its BackendTLSPolicy merged with a Backend's own {@code
   * spec.tls}; null for none.
   */
  private RouteDestinationIr.UpstreamTlsIr backendTls(
      String kind, String ns, String name, RouteDestinationIr.UpstreamTlsIr policy)
      throws BackendTls.InvalidException {
    if (!kind.equals("Backend")) {
      return policy;
    }
    ObjectNode backend = ctx.backends.get(ns + "/" + name);
    return backend == null ? policy : backendTls.apply(backend, policy);
  }

  static int weight(JsonNode ref) {
    Integer w = Nodes.integer(ref, "weight");
    return w == null || w < 0 ? 1 : w;
  }

  /** Resolves one backendRef of a route for one parent. */
  Result resolve(String settingName, JsonNode ref, RouteContext route, RouteContext.Parent parent) {
    int weight = weight(ref);
    String group = Nodes.text(ref, "group", "");
    String kind = Nodes.text(ref, "kind", "Service");
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", route.namespace);
    Integer port = Nodes.integer(ref, "port");
    RouteErrors.RouteError err = validate(route, group, kind, name, ns, port);
    if (err != null) {
      return new Result(null, err, weight);
    }
    if (weight == 0) {
      return new Result(null, null, 0);
    }
    String protocol = defaultProtocol(route.kind);
    String l4 = route.kind.equals("UDPRoute") ? "UDP" : "TCP";
    RouteDestinationIr.UpstreamTlsIr tls;
    try {
      tls = tlsPolicies.apply(group, kind, name, ns, port, parent);
    } catch (BackendTlsPolicyProcessor.InvalidPolicyException e) {
      return new Result(
          null, RouteErrors.RouteError.resolvedRefs("InvalidBackendTLS", e.getMessage()), weight);
    }
    try {
      tls = backendTls(kind, ns, name, tls);
    } catch (BackendTls.InvalidException e) {
      return new Result(
          null, RouteErrors.RouteError.resolvedRefs("InvalidBackendRef", e.getMessage()), weight);
    }
    // A backend without a client certificate of its own presents its Gateway's
    // (spec.tls.backend.clientCertificateRef, GEP-3155), else the EnvoyProxy's.
    if (tls != null
        && tls.clientCertificate() == null
        && parent != null
        && gatewaySetsClientCertificate(parent.gateway)) {
      tls = tls.withClientCertificate(gatewayClientCertificate(parent.gateway));
    }
    boolean proxyCertificate =
        tls != null
            && tls.clientCertificate() == null
            && (parent == null || !gatewaySetsClientCertificate(parent.gateway));
    String clientCertError = proxyCertificate ? proxyClientCertificateError(parent.gateway) : null;
    if (clientCertError != null) {
      return new Result(
          null, RouteErrors.RouteError.resolvedRefs("InvalidBackendTLS", clientCertError), weight);
    }
    if (proxyCertificate) {
      tls = tls.withClientCertificate(proxyClientCertificate(parent.gateway));
    }
    return settle(settingName, weight, protocol, l4, kind, name, ns, port, tls, false);
  }

  private static boolean gatewaySetsClientCertificate(GatewayContext g) {
    return g != null
        && !Nodes.obj(Nodes.obj(Nodes.obj(g.spec(), "tls"), "backend"), "clientCertificateRef")
            .isMissingNode();
  }

  /**
   * The certificate the Gateway presents to TLS backends ({@code spec.tls.backend
   * .clientCertificateRef}): a Secret in the Gateway's namespace, or in another one a
   * ReferenceGrant opens to Gateways, holding a certificate and its key; null when it cannot be
   * used (the Gateway's ResolvedRefs condition says why, and no certificate is presented: a backend
   * that requires one refuses the connection).
   */
  private io.eg4j.model.ir.TlsIr.CertificateIr gatewayClientCertificate(GatewayContext g) {
    JsonNode ref =
        Nodes.obj(Nodes.obj(Nodes.obj(g.spec(), "tls"), "backend"), "clientCertificateRef");
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", g.namespace);
    if (!Nodes.text(ref, "group", "").isEmpty()
        || !Nodes.text(ref, "kind", "Secret").equals("Secret")) {
      return null;
    }
    if (!ns.equals(g.namespace)
        && !ctx.referenceAllowed(
            TranslationContext.GATEWAY_GROUP, "Gateway", g.namespace, "", "Secret", ns, name)) {
      return null;
    }
    io.eg4j.model.ir.TlsIr.CertificateIr cert =
        CertificateValidator.certificate(ctx.secret(ns, name));
    return cert == null
        ? null
        : new io.eg4j.model.ir.TlsIr.CertificateIr(
            ns + "/" + name, cert.certificateChain(), cert.privateKey(), java.util.List.of());
  }

  /**
   * The client certificate the Gateway's EnvoyProxy presents to TLS backends ({@code
   * backendTLS.clientCertificateRef}) must be a Secret with a certificate and a key, in the
   * EnvoyProxy's namespace or one whose ReferenceGrant lets EnvoyProxies refer to it; else why not.
   */
  String proxyClientCertificateError(GatewayContext g) {
    if (g == null) {
      return null;
    }
    JsonNode ref = Nodes.obj(Nodes.obj(g.envoyProxy, "backendTLS"), "clientCertificateRef");
    if (ref.isMissingNode()) {
      return null;
    }
    String epNs =
        g.envoyProxyNamespace == null ? ctx.config.controllerNamespace() : g.envoyProxyNamespace;
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", epNs);
    String kind = Nodes.text(ref, "kind", "Secret");
    if (!kind.equals("Secret") || !Nodes.text(ref, "group", "").isEmpty()) {
      return "the EnvoyProxy's backendTLS.clientCertificateRef must be a Secret, not " + kind;
    }
    if (!ns.equals(epNs)
        && !ctx.referenceAllowed(
            TranslationContext.EG_GROUP, "EnvoyProxy", epNs, "", "Secret", ns, name)) {
      return "the EnvoyProxy's client certificate Secret "
          + ns
          + "/"
          + name
          + " is in another namespace and no ReferenceGrant allows it";
    }
    ObjectNode secret = ctx.secret(ns, name);
    if (secret == null) {
      return "failed to locate the EnvoyProxy's client certificate Secret " + ns + "/" + name;
    }
    if (CertificateValidator.secretData(secret, "tls.crt") == null
        || CertificateValidator.secretData(secret, "tls.key") == null) {
      return "the EnvoyProxy's client certificate Secret "
          + ns
          + "/"
          + name
          + " has no tls.crt or tls.key";
    }
    return null;
  }

  /**
   * The client certificate the Gateway's EnvoyProxy presents to TLS backends, once {@link
   * #proxyClientCertificateError} found it usable, named {@code namespace/name} as its SDS secret;
   * null when the EnvoyProxy sets none, or when its key does not match its certificate: Envoy would
   * refuse such a secret, so none is presented (Envoy Gateway reports the route as resolved all the
   * same), and a backend that requires one refuses the connection.
   */
  private io.eg4j.model.ir.TlsIr.CertificateIr proxyClientCertificate(GatewayContext g) {
    if (g == null) {
      return null;
    }
    JsonNode ref = Nodes.obj(Nodes.obj(g.envoyProxy, "backendTLS"), "clientCertificateRef");
    if (ref.isMissingNode()) {
      return null;
    }
    String epNs =
        g.envoyProxyNamespace == null ? ctx.config.controllerNamespace() : g.envoyProxyNamespace;
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", epNs);
    return CertificateValidator.certificate(ctx.secret(ns, name));
  }

  /**
   * Resolves a backendRef that a policy makes (an external authorization service, a JWKS or OIDC
   * provider backend): validated from the policy's namespace (ReferenceGrants from the policy
   * kind), with the BackendTLSPolicy of the backend taking the policy as ancestor.
   *
   * @param settingName the destination setting (and cluster) name
   * @param ref the backendRef as the policy writes it
   * @param policy the policy object
   * @param protocol HTTP, HTTP2 or GRPC: what the policy's filter speaks to the backend
   */
  Result resolveForPolicy(String settingName, JsonNode ref, ObjectNode policy, String protocol) {
    return resolveFrom(settingName, ref, policy, protocol, true);
  }

  /**
   * {@link #resolveForPolicy} for an EnvoyProxy's telemetry backendRefs (access-log, tracing and
   * metric collectors). Envoy Gateway asks no ReferenceGrant for them: the EnvoyProxy is the
   * platform team's own object, as privileged as the control plane's configuration.
   */
  Result resolveForEnvoyProxy(
      String settingName, JsonNode ref, ObjectNode envoyProxy, String protocol) {
    return resolveFrom(settingName, ref, envoyProxy, protocol, false);
  }

  private Result resolveFrom(
      String settingName, JsonNode ref, ObjectNode policy, String protocol, boolean grantNeeded) {
    String fromKind = Nodes.text(policy, "kind", "");
    String fromNs = Nodes.namespace(policy);
    String group = Nodes.text(ref, "group", "");
    String kind = Nodes.text(ref, "kind", "Service");
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", fromNs);
    Integer port = Nodes.integer(ref, "port");
    RouteErrors.RouteError err =
        validate(
            TranslationContext.EG_GROUP,
            fromKind,
            grantNeeded ? fromNs : ns,
            "TCP",
            group,
            kind,
            name,
            ns,
            port);
    if (err != null) {
      return new Result(null, err, 1);
    }
    if (kind.equals("Service")
        && "ExternalName".equals(Nodes.text(Nodes.spec(ctx.service(ns, name)), "type"))) {
      // An ExternalName Service can point anywhere, cluster-internal names of other namespaces
      // included (CVE-2021-25740); Envoy Gateway does not call one. A Backend names an external
      // host explicitly.
      return new Result(
          null,
          RouteErrors.RouteError.resolvedRefs(
              "UnsupportedValue",
              "Service "
                  + ns
                  + "/"
                  + name
                  + " is of type ExternalName, which is not supported; use a Backend to reach"
                  + " an external host"),
          1);
    }
    RouteDestinationIr.UpstreamTlsIr tls;
    try {
      tls = tlsPolicies.applyForPolicy(group, kind, name, ns, port, policy);
    } catch (BackendTlsPolicyProcessor.InvalidPolicyException e) {
      return new Result(
          null, RouteErrors.RouteError.resolvedRefs("InvalidBackendTLS", e.getMessage()), 1);
    }
    try {
      tls = backendTls(kind, ns, name, tls);
    } catch (BackendTls.InvalidException e) {
      return new Result(
          null, RouteErrors.RouteError.resolvedRefs("InvalidBackendRef", e.getMessage()), 1);
    }
    return settle(settingName, 1, protocol, "TCP", kind, name, ns, port, tls, true);
  }

  /**
   * Reads the endpoints of a validated backendRef and picks the upstream protocol.
   *
   * @param allowUnix whether a Backend's Unix-socket endpoints may be used: Envoy Gateway serves
   *     them to the services a policy calls (an external processor beside the proxy), not to a
   *     route's backendRefs, which it reports with UnsupportedAddressType
   */
  private Result settle(
      String settingName,
      int weight,
      String protocol,
      String l4,
      String kind,
      String name,
      String ns,
      Integer port,
      RouteDestinationIr.UpstreamTlsIr tls,
      boolean allowUnix) {
    List<EndpointIr> endpoints = new ArrayList<>();
    String addressType;
    switch (kind) {
      case "Service", "ServiceImport" -> {
        boolean isImport = kind.equals("ServiceImport");
        ObjectNode svc = isImport ? ctx.serviceImports.get(ns + "/" + name) : ctx.service(ns, name);
        JsonNode svcPort = null;
        for (JsonNode p : Nodes.list(Nodes.spec(svc), "ports")) {
          if (port.equals(Nodes.integer(p, "port"))
              && Nodes.text(p, "protocol", "TCP").equals(l4)) {
            svcPort = p;
            break;
          }
        }
        String appProtocol = Nodes.text(svcPort, "appProtocol");
        if ("kubernetes.io/h2c".equals(appProtocol)) {
          protocol = "HTTP2";
        } else if ("grpc".equals(appProtocol) && !isImport) {
          protocol = "GRPC";
        } else if ("kubernetes.io/ws".equals(appProtocol)
            || "kubernetes.io/wss".equals(appProtocol)) {
          protocol = protocol.equals("HTTP") ? "WS" : protocol;
        }
        String portName = Nodes.text(svcPort, "name", "");
        EndpointSource source = new EndpointSource(isImport, ns, name, portName, l4);
        Set<String> types = source.collect(ctx, endpoints);
        ctx.endpointSources.put(settingName, source);
        ctx.endpointStates.put(settingName, EndpointSource.state(endpoints, types));
        if (endpoints.isEmpty()) {
          return new Result(
              null,
              new RouteErrors.RouteError(
                  "BackendsAvailable",
                  "EndpointsNotFound",
                  "no ready endpoints for the related " + kind + " " + ns + "/" + name),
              weight);
        }
        if (types.size() > 1) {
          return new Result(
              null,
              RouteErrors.RouteError.resolvedRefs(
                  "UnsupportedAddressType",
                  "mixed endpointslice address type for the same backendRef is not supported"),
              weight);
        }
        addressType = types.isEmpty() ? "IP" : types.iterator().next();
      }
      case "Backend" -> {
        ObjectNode backend = ctx.backends.get(ns + "/" + name);
        JsonNode spec = Nodes.spec(backend);
        for (String ap : Nodes.texts(spec, "appProtocols")) {
          switch (ap) {
            case "gateway.envoyproxy.io/h2c" -> protocol = "HTTP2";
            case "gateway.envoyproxy.io/ws", "gateway.envoyproxy.io/wss" ->
                protocol = protocol.equals("HTTP") ? "WS" : protocol;
            default -> {}
          }
        }
        if ("DynamicResolver".equals(Nodes.text(spec, "type"))) {
          return new Result(
              new DestinationSettingIr(settingName, weight, protocol, "DYNAMIC", List.of(), tls),
              null,
              weight);
        }
        Set<String> types = new LinkedHashSet<>();
        int count = 0;
        for (JsonNode ep : Nodes.list(spec, "endpoints")) {
          count++;
          JsonNode ip = Nodes.obj(ep, "ip");
          JsonNode fqdn = Nodes.obj(ep, "fqdn");
          if (!ip.isMissingNode()) {
            types.add("IP");
            Integer p = Nodes.integer(ip, "port");
            String a = Nodes.text(ip, "address");
            if (a != null && p != null && p > 0 && p < 65536) {
              endpoints.add(new EndpointIr(a, p, Nodes.text(ep, "zone")));
            }
          } else if (!fqdn.isMissingNode()) {
            types.add("FQDN");
            Integer p = Nodes.integer(fqdn, "port");
            String h = Nodes.text(fqdn, "hostname");
            if (h != null && p != null && p > 0 && p < 65536) {
              endpoints.add(new EndpointIr(h, p, Nodes.text(ep, "zone")));
            }
          } else if (!Nodes.obj(ep, "unix").isMissingNode()) {
            types.add("UDS");
            String path = Nodes.text(Nodes.obj(ep, "unix"), "path");
            if (path != null && !path.isEmpty()) {
              endpoints.add(EndpointIr.unixSocket(path, Nodes.text(ep, "zone")));
            }
          }
        }
        if (BackendProcessor.localAddress(spec, ctx.config) != null) {
          return new Result(
              null,
              RouteErrors.RouteError.resolvedRefs(
                  "InvalidAddress", BackendProcessor.localAddress(spec, ctx.config)),
              weight);
        }
        if (types.contains("UDS") && !allowUnix) {
          return new Result(
              null,
              RouteErrors.RouteError.resolvedRefs(
                  "UnsupportedAddressType",
                  "unix domain socket endpoints are not supported for route backendRefs"),
              weight);
        }
        if (types.contains("FQDN") && types.size() > 1) {
          // Envoy resolves a cluster's names itself (a DNS cluster) or is sent its addresses
          // (EDS), never both; IP and Unix-socket endpoints both travel through EDS.
          return new Result(
              null,
              RouteErrors.RouteError.resolvedRefs(
                  "UnsupportedAddressType",
                  "mixed FQDN and IP or Unix address type for the same backendRef is not supported"),
              weight);
        }
        addressType = types.isEmpty() || count == 0 ? "IP" : types.iterator().next();
        if (addressType.equals("UDS")) {
          addressType = "IP";
        }
      }
      default -> {
        return new Result(
            null,
            RouteErrors.RouteError.resolvedRefs("InvalidKind", "unsupported kind " + kind),
            weight);
      }
    }
    return new Result(
        new DestinationSettingIr(settingName, weight, protocol, addressType, endpoints, tls),
        null,
        weight);
  }

  private static String defaultProtocol(String routeKind) {
    return switch (routeKind) {
      case "GRPCRoute" -> "GRPC";
      case "TCPRoute", "TLSRoute" -> "TCP";
      case "UDPRoute" -> "UDP";
      default -> "HTTP";
    };
  }

  /** The validation of validateBackendRef: null when the ref may be used. */
  RouteErrors.RouteError validate(
      RouteContext route, String group, String kind, String name, String ns, Integer port) {
    return validate(
        TranslationContext.GATEWAY_GROUP,
        route.kind,
        route.namespace,
        route.kind.equals("UDPRoute") ? "UDP" : "TCP",
        group,
        kind,
        name,
        ns,
        port);
  }

  /**
   * The same validation for a reference from any object ({@code fromGroup/fromKind} in {@code
   * fromNs}), for example a policy's backendRef; {@code l4} is the Service port protocol wanted.
   */
  RouteErrors.RouteError validate(
      String fromGroup,
      String fromKind,
      String fromNs,
      String l4,
      String group,
      String kind,
      String name,
      String ns,
      Integer port) {
    boolean backendKind = kind.equals("Backend") && group.equals(TranslationContext.EG_GROUP);
    if (!group.isEmpty()
        && !group.equals(TranslationContext.MCS_GROUP)
        && !group.equals(TranslationContext.EG_GROUP)) {
      return RouteErrors.RouteError.resolvedRefs(
          "InvalidKind",
          "Group is invalid, only the core API group (specified by omitting the group field or"
              + " setting it to an empty string), multicluster.x-k8s.io and gateway.envoyproxy.io"
              + " are supported");
    }
    if (!kind.equals("Service") && !kind.equals("ServiceImport") && !backendKind) {
      return RouteErrors.RouteError.resolvedRefs(
          "InvalidKind",
          "Kind is invalid, only Service, MCS ServiceImport and Envoy Gateway Backend are supported");
    }
    if (backendKind && !ctx.config.extensionApis().enableBackend()) {
      return RouteErrors.RouteError.resolvedRefs(
          "UnsupportedValue", "Backend is disabled in Envoy Gateway configuration");
    }
    if (!ns.equals(fromNs)
        && !ctx.referenceAllowed(fromGroup, fromKind, fromNs, group, kind, ns, name)) {
      return RouteErrors.RouteError.resolvedRefs(
          "RefNotPermitted",
          "Backend ref to "
              + kind
              + " "
              + ns
              + "/"
              + name
              + " not permitted by any ReferenceGrant.");
    }
    switch (kind) {
      case "Service", "ServiceImport" -> {
        if (port == null) {
          return RouteErrors.RouteError.resolvedRefs(
              "PortNotSpecified",
              "A valid port number corresponding to a port on the Service must be specified");
        }
        ObjectNode svc =
            kind.equals("Service")
                ? ctx.service(ns, name)
                : ctx.serviceImports.get(ns + "/" + name);
        if (svc == null) {
          return RouteErrors.RouteError.resolvedRefs(
              "BackendNotFound", kind + " " + ns + "/" + name + " not found");
        }
        for (JsonNode p : Nodes.list(Nodes.spec(svc), "ports")) {
          if (port.equals(Nodes.integer(p, "port"))
              && Nodes.text(p, "protocol", "TCP").equals(l4)) {
            return null;
          }
        }
        return RouteErrors.RouteError.resolvedRefs(
            "PortNotFound", l4 + " Port " + port + " not found on " + kind + " " + ns + "/" + name);
      }
      default -> {
        if (ctx.backends.get(ns + "/" + name) == null) {
          return RouteErrors.RouteError.resolvedRefs(
              "BackendNotFound", "Backend " + ns + "/" + name + " not found");
        }
        return null;
      }
    }
  }
}
