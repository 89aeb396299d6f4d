package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one translation reads, indexed once: the resources by kind and by namespace/name, the
 * configuration, the status accessor and the clock used for certificate validity.
 */
final class TranslationContext {
  static final String GATEWAY_GROUP = "gateway.networking.k8s.io";
  static final String EG_GROUP = "gateway.envoyproxy.io";
  static final String MCS_GROUP = "multicluster.x-k8s.io";

  final EnvoyGatewayConfig config;
  final StatusCollector statuses;
  final Instant now;

  /** The proxies' certificate for the control plane's services when no {@code envoy} Secret. */
  ProxyClientTls proxyClientTls = ProxyClientTls.none();

  final List<ObjectNode> gatewayClasses = new ArrayList<>();
  final List<ObjectNode> gateways = new ArrayList<>();
  final List<ObjectNode> listenerSets = new ArrayList<>();
  final List<ObjectNode> httpRoutes = new ArrayList<>();
  final List<ObjectNode> grpcRoutes = new ArrayList<>();
  final List<ObjectNode> tlsRoutes = new ArrayList<>();
  final List<ObjectNode> tcpRoutes = new ArrayList<>();
  final List<ObjectNode> udpRoutes = new ArrayList<>();
  final List<ObjectNode> referenceGrants = new ArrayList<>();
  final List<ObjectNode> backendTlsPolicies = new ArrayList<>();
  final List<ObjectNode> backendList = new ArrayList<>();

  final Map<String, ObjectNode> services = new HashMap<>();
  final Map<String, ObjectNode> serviceImports = new HashMap<>();
  final Map<String, ObjectNode> secrets = new HashMap<>();
  final Map<String, ObjectNode> configMaps = new HashMap<>();
  final Map<String, ObjectNode> namespaces = new HashMap<>();
  final Map<String, ObjectNode> backends = new HashMap<>();
  final Map<String, ObjectNode> envoyProxies = new HashMap<>();
  final Map<String, ObjectNode> httpRouteFilters = new HashMap<>();
  final Map<String, ObjectNode> clusterTrustBundles = new HashMap<>();
  final Map<String, List<ObjectNode>> endpointSlicesByService = new HashMap<>();
  final Map<String, List<ObjectNode>> endpointSlicesByServiceImport = new HashMap<>();

  /**
   * The ready endpoints of each endpoint source this translation has read: the routes of a large
   * directory point at a few Services many times, and each read walks every slice of the Service.
   */
  final Map<EndpointSource, EndpointSource.Collected> collectedEndpoints = new HashMap<>();

  /** Every accepted Gateway of every class, for policy attachment. */
  final List<GatewayContext> acceptedGateways = new ArrayList<>();

  /** The GatewayClasses of ours that were translated, in order. */
  final List<GatewayClassProcessor.GatewayClassContext> translatedClasses = new ArrayList<>();

  /** EnvoyPatchPolicies, oldest first. */
  final List<ObjectNode> envoyPatchPolicies = new ArrayList<>();

  /** Every route that attached to one of our Gateways, for policy attachment. */
  final List<RouteContext> attachedRoutes = new ArrayList<>();

  /** Traffic, client, security and extension policies, by kind, oldest first. */
  final Map<String, List<ObjectNode>> policies = new java.util.LinkedHashMap<>();

  /** Endpoint sources of the destination settings built so far, by setting name. */
  final Map<String, EndpointSource> endpointSources = new java.util.TreeMap<>();

  /** What each of those settings made of its endpoints ({@link EndpointSource#state}). */
  final Map<String, String> endpointStates = new java.util.HashMap<>();

  TranslationContext(
      ResourceSnapshot snapshot, EnvoyGatewayConfig config, StatusCollector statuses, Instant now) {
    this.config = config;
    this.statuses = statuses;
    this.now = now;
    for (ObjectNode o : snapshot.objects().values()) {
      index(o);
    }
    Comparator<ObjectNode> order =
        Comparator.comparing((ObjectNode o) -> Nodes.creationTimestamp(o))
            .thenComparing(o -> Nodes.namespace(o))
            .thenComparing(o -> Nodes.name(o));
    for (List<ObjectNode> l :
        List.of(
            gatewayClasses,
            gateways,
            listenerSets,
            httpRoutes,
            grpcRoutes,
            tlsRoutes,
            tcpRoutes,
            udpRoutes,
            backendTlsPolicies,
            backendList,
            envoyPatchPolicies)) {
      l.sort(order);
    }
    for (List<ObjectNode> l : policies.values()) {
      l.sort(order);
    }
  }

  private void index(ObjectNode o) {
    String kind = Nodes.text(o, "kind", "");
    String group = io.eg4j.model.bus.ResourceKey.groupOf(Nodes.text(o, "apiVersion", ""));
    String key = Nodes.namespace(o) + "/" + Nodes.name(o);
    switch (kind) {
      case "GatewayClass" -> gatewayClasses.add(o);
      case "Gateway" -> gateways.add(o);
      case "ListenerSet", "XListenerSet" -> listenerSets.add(o);
      case "HTTPRoute" -> httpRoutes.add(o);
      case "GRPCRoute" -> grpcRoutes.add(o);
      case "TLSRoute" -> tlsRoutes.add(o);
      case "TCPRoute" -> tcpRoutes.add(o);
      case "UDPRoute" -> udpRoutes.add(o);
      case "ReferenceGrant" -> referenceGrants.add(o);
      case "BackendTLSPolicy" -> backendTlsPolicies.add(o);
      case "Service" -> services.put(key, o);
      case "ServiceImport" -> serviceImports.put(key, o);
      case "Secret" -> secrets.put(key, o);
      case "ConfigMap" -> configMaps.put(key, o);
      case "Namespace" -> namespaces.put(Nodes.name(o), withNameLabel(o));
      case "Backend" -> {
        if (group.equals(EG_GROUP)) {
          backends.put(key, o);
          backendList.add(o);
        }
      }
      case "EnvoyProxy" -> envoyProxies.put(key, o);
      case "EnvoyPatchPolicy" -> {
        if (group.equals(EG_GROUP)) {
          envoyPatchPolicies.add(o);
        }
      }
      case "HTTPRouteFilter" -> httpRouteFilters.put(key, o);
      case "ClusterTrustBundle" -> clusterTrustBundles.put(Nodes.name(o), o);
      case "BackendTrafficPolicy",
          "ClientTrafficPolicy",
          "SecurityPolicy",
          "EnvoyExtensionPolicy" -> {
        if (group.equals(EG_GROUP)) {
          policies.computeIfAbsent(kind, k -> new ArrayList<>()).add(o);
        }
      }
      case "EndpointSlice" -> {
        Map<String, String> labels = Nodes.map(Nodes.obj(o, "metadata"), "labels");
        String svc = labels.get("kubernetes.io/service-name");
        if (svc != null) {
          endpointSlicesByService
              .computeIfAbsent(Nodes.namespace(o) + "/" + svc, k -> new ArrayList<>())
              .add(o);
        }
        String si = labels.get("multicluster.kubernetes.io/service-name");
        if (si != null) {
          endpointSlicesByServiceImport
              .computeIfAbsent(Nodes.namespace(o) + "/" + si, k -> new ArrayList<>())
              .add(o);
        }
      }
      default -> {
        // kinds the translator does not read are ignored
      }
    }
  }

  ObjectNode service(String ns, String name) {
    return services.get(ns + "/" + name);
  }

  ObjectNode secret(String ns, String name) {
    return secrets.get(ns + "/" + name);
  }

  /**
   * The Namespace with the {@code kubernetes.io/metadata.name} label every API server (1.22+) sets
   * to the namespace's name, so that selectors on it (the usual way to select one namespace) also
   * match Namespaces read from files.
   */
  static ObjectNode withNameLabel(ObjectNode ns) {
    String name = Nodes.name(ns);
    JsonNode labels = ns.path("metadata").path("labels");
    if (name.equals(labels.path(NAME_LABEL).asText(null))) {
      return ns;
    }
    ObjectNode copy = ns.deepCopy();
    ObjectNode meta = copy.get("metadata") instanceof ObjectNode m ? m : copy.putObject("metadata");
    ObjectNode l = meta.get("labels") instanceof ObjectNode m ? m : meta.putObject("labels");
    l.put(NAME_LABEL, name);
    return copy;
  }

  /** The label the API server sets on every Namespace to its name. */
  static final String NAME_LABEL = "kubernetes.io/metadata.name";

  ObjectNode namespace(String name) {
    return namespaces.get(name);
  }

  /**
   * True when a ReferenceGrant in the target namespace lets {@code fromGroup/fromKind} objects in
   * {@code fromNs} refer to {@code toGroup/toKind} {@code toName} (Gateway API ReferenceGrant).
   */
  boolean referenceAllowed(
      String fromGroup,
      String fromKind,
      String fromNs,
      String toGroup,
      String toKind,
      String toNs,
      String toName) {
    for (ObjectNode grant : referenceGrants) {
      if (!Nodes.namespace(grant).equals(toNs)) {
        continue;
      }
      JsonNode spec = Nodes.spec(grant);
      boolean from = false;
      for (JsonNode f : Nodes.list(spec, "from")) {
        if (fromNs.equals(Nodes.text(f, "namespace", ""))
            && fromGroup.equals(Nodes.text(f, "group", ""))
            && fromKind.equals(Nodes.text(f, "kind", ""))) {
          from = true;
          break;
        }
      }
      if (!from) {
        continue;
      }
      for (JsonNode t : Nodes.list(spec, "to")) {
        String n = Nodes.text(t, "name", "");
        if (toGroup.equals(Nodes.text(t, "group", ""))
            && toKind.equals(Nodes.text(t, "kind", ""))
            && (n.isEmpty() || n.equals(toName))) {
          return true;
        }
      }
    }
    return false;
  }
}
