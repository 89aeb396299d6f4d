package io.eg4j.model.k8s;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One kind eg4j reads from the Kubernetes API (DESIGN.md "watcher"), with what a generic client
 * needs to address it without API discovery, and what the watcher and the status-writer need to
 * know about it.
 *
 * @param group the API group, empty for the core group
 * @param version the version eg4j reads and writes
 * @param kind the kind
 * @param plural the resource name in URLs
 * @param namespaced true for namespaced kinds
 * @param modelClass the class the object must deserialize into (the generated API model, or
 *     fabric8's model for built-in kinds), by name so the table loads without it; null when any
 *     object is accepted
 * @param optional true when a cluster may not serve the kind (experimental or feature-gated); the
 *     watcher then skips it instead of failing
 * @param hasStatus true when eg4j writes the kind's status subresource
 */
public record WatchedKind(
    String group,
    String version,
    String kind,
    String plural,
    boolean namespaced,
    String modelClass,
    boolean optional,
    boolean hasStatus) {

  public WatchedKind {
    group = group == null ? "" : group;
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(plural, "plural");
  }

  /** Gateway API group. */
  public static final String GATEWAY_API = "gateway.networking.k8s.io";

  /** Envoy Gateway's group. */
  public static final String ENVOY_GATEWAY = "gateway.envoyproxy.io";

  private static final String GW = "io.k8s.networking.gateway.";
  private static final String EG = "io.envoyproxy.gateway.v1alpha1.";

  /**
   * Every kind the watcher watches, in the order it starts them: the kinds others refer to
   * (namespaces, classes, gateways) first, so the translator's first snapshot is as complete as
   * possible early.
   */
  public static final List<WatchedKind> ALL =
      List.of(
          new WatchedKind(
              "",
              "v1",
              "Namespace",
              "namespaces",
              false,
              "io.fabric8.kubernetes.api.model.Namespace",
              false,
              false),
          gw("v1", "GatewayClass", "gatewayclasses", false, false),
          gw("v1", "Gateway", "gateways", true, false),
          gw("v1", "ListenerSet", "listenersets", true, true),
          gw("v1", "HTTPRoute", "httproutes", true, false),
          gw("v1", "GRPCRoute", "grpcroutes", true, false),
          gw("v1", "TLSRoute", "tlsroutes", true, true),
          gw("v1", "TCPRoute", "tcproutes", true, true),
          gw("v1", "UDPRoute", "udproutes", true, true),
          new WatchedKind(
              GATEWAY_API,
              "v1beta1",
              "ReferenceGrant",
              "referencegrants",
              true,
              GW + "v1beta1.ReferenceGrant",
              false,
              false),
          gw("v1", "BackendTLSPolicy", "backendtlspolicies", true, true),
          eg("EnvoyProxy", "envoyproxies", true),
          eg("ClientTrafficPolicy", "clienttrafficpolicies", true),
          eg("BackendTrafficPolicy", "backendtrafficpolicies", true),
          eg("SecurityPolicy", "securitypolicies", true),
          eg("EnvoyExtensionPolicy", "envoyextensionpolicies", true),
          eg("EnvoyPatchPolicy", "envoypatchpolicies", true),
          eg("Backend", "backends", true),
          eg("HTTPRouteFilter", "httproutefilters", false),
          new WatchedKind(
              "",
              "v1",
              "Service",
              "services",
              true,
              "io.fabric8.kubernetes.api.model.Service",
              false,
              false),
          new WatchedKind(
              "discovery.k8s.io",
              "v1",
              "EndpointSlice",
              "endpointslices",
              true,
              "io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice",
              false,
              false),
          new WatchedKind(
              "",
              "v1",
              "Secret",
              "secrets",
              true,
              "io.fabric8.kubernetes.api.model.Secret",
              false,
              false),
          new WatchedKind(
              "",
              "v1",
              "ConfigMap",
              "configmaps",
              true,
              "io.fabric8.kubernetes.api.model.ConfigMap",
              false,
              false),
          new WatchedKind(
              "multicluster.x-k8s.io",
              "v1alpha1",
              "ServiceImport",
              "serviceimports",
              true,
              null,
              true,
              false),
          new WatchedKind(
              "certificates.k8s.io",
              "v1beta1",
              "ClusterTrustBundle",
              "clustertrustbundles",
              false,
              null,
              true,
              false));

  private static WatchedKind gw(
      String version, String kind, String plural, boolean namespaced, boolean optional) {
    return new WatchedKind(
        GATEWAY_API, version, kind, plural, namespaced, GW + version + "." + kind, optional, true);
  }

  private static WatchedKind eg(String kind, String plural, boolean hasStatus) {
    return new WatchedKind(
        ENVOY_GATEWAY, "v1alpha1", kind, plural, true, EG + kind, false, hasStatus);
  }

  /** The kind with this group and kind name, if eg4j knows it. */
  public static Optional<WatchedKind> find(String group, String kind) {
    String g = group == null ? "" : group;
    return ALL.stream().filter(k -> k.group.equals(g) && k.kind.equals(kind)).findFirst();
  }

  /** {@code group/version}, or {@code version} for the core group. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** The fabric8 context that addresses this kind without discovery. */
  public ResourceDefinitionContext context() {
    return new ResourceDefinitionContext.Builder()
        .withGroup(group)
        .withVersion(version)
        .withKind(kind)
        .withPlural(plural)
        .withNamespaced(namespaced)
        .build();
  }

  /**
   * True for Secret and ConfigMap, which the watcher publishes only when something refers to them.
   */
  public boolean referencedOnly() {
    return group.isEmpty() && (kind.equals("Secret") || kind.equals("ConfigMap"));
  }
}
