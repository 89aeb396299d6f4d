package io.eg4j.model.yaml;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The API versions and kinds eg4j reads, so that a manifest with a version no API server would
 * serve (say {@code gateway.networking.k8s.io/v9}) is refused with a clear error, as {@code kubectl
 * apply} refuses it ("no matches for kind"), instead of being served.
 *
 * <p>For the API groups eg4j implements, each kind lists every version its API has published (the
 * v1.6.1 Gateway API CRDs serve some of them; older manifests, and Envoy Gateway's own test data,
 * use the others). Objects of other groups (apps, batch …) are not checked: eg4j does not read
 * them, and {@link #reads} says so.
 */
public final class ApiVersions {
  private ApiVersions() {}

  private static final List<String> GATEWAY_STANDARD = List.of("v1", "v1beta1", "v1alpha2");
  private static final List<String> GATEWAY_EXPERIMENTAL = List.of("v1", "v1alpha2", "v1alpha3");

  /** group → kind → versions. */
  static final Map<String, Map<String, List<String>>> KNOWN =
      Map.of(
          "",
          Map.of(
              "Service", List.of("v1"),
              "Secret", List.of("v1"),
              "ConfigMap", List.of("v1"),
              "Namespace", List.of("v1")),
          "discovery.k8s.io",
          Map.of("EndpointSlice", List.of("v1")),
          "multicluster.x-k8s.io",
          Map.of("ServiceImport", List.of("v1alpha1", "v1beta1")),
          "certificates.k8s.io",
          Map.of("ClusterTrustBundle", List.of("v1beta1", "v1alpha1")),
          "gateway.networking.k8s.io",
          Map.ofEntries(
              Map.entry("GatewayClass", GATEWAY_STANDARD),
              Map.entry("Gateway", GATEWAY_STANDARD),
              Map.entry("HTTPRoute", GATEWAY_STANDARD),
              Map.entry("ReferenceGrant", GATEWAY_STANDARD),
              Map.entry("GRPCRoute", List.of("v1", "v1alpha2")),
              Map.entry("TLSRoute", GATEWAY_EXPERIMENTAL),
              Map.entry("TCPRoute", List.of("v1", "v1alpha2")),
              Map.entry("UDPRoute", List.of("v1", "v1alpha2")),
              Map.entry("BackendTLSPolicy", GATEWAY_EXPERIMENTAL),
              Map.entry("ListenerSet", List.of("v1", "v1alpha1"))),
          "gateway.envoyproxy.io",
          Map.of(
              "EnvoyProxy", List.of("v1alpha1"),
              "ClientTrafficPolicy", List.of("v1alpha1"),
              "BackendTrafficPolicy", List.of("v1alpha1"),
              "SecurityPolicy", List.of("v1alpha1"),
              "EnvoyExtensionPolicy", List.of("v1alpha1"),
              "EnvoyPatchPolicy", List.of("v1alpha1"),
              "Backend", List.of("v1alpha1"),
              "HTTPRouteFilter", List.of("v1alpha1"),
              // The control plane's own configuration, which a manifest directory may hold.
              "EnvoyGateway", List.of("v1alpha1")));

  /** Groups whose every kind eg4j knows: an unknown kind there is an error, not a no-op. */
  private static final Set<String> OWNED =
      Set.of("gateway.networking.k8s.io", "gateway.envoyproxy.io");

  /**
   * Why an object of this {@code apiVersion} and {@code kind} cannot be applied, or null when it
   * can (or belongs to a group eg4j does not check).
   */
  public static String refusal(String apiVersion, String kind) {
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
    Map<String, List<String>> kinds = KNOWN.get(group);
    if (kinds == null) {
      return null;
    }
    List<String> versions = kinds.get(kind);
    if (versions == null) {
      return OWNED.contains(group)
          ? "no kind " + kind + " in API group " + group + " (known kinds: " + sorted(kinds) + ")"
          : null;
    }
    if (!versions.contains(version)) {
      return "no matches for kind "
          + kind
          + " in version "
          + apiVersion
          + " (use one of: "
          + String.join(", ", versions.stream().map(v -> prefix(group) + v).toList())
          + ")";
    }
    return null;
  }

  /** Whether eg4j reads objects of this kind (others in a manifest are ignored). */
  public static boolean reads(String apiVersion, String kind) {
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    Map<String, List<String>> kinds = KNOWN.get(group);
    return kinds != null && kinds.containsKey(kind);
  }

  private static String prefix(String group) {
    return group.isEmpty() ? "" : group + "/";
  }

  private static String sorted(Map<String, List<String>> kinds) {
    return String.join(", ", new java.util.TreeSet<>(kinds.keySet()));
  }
}
