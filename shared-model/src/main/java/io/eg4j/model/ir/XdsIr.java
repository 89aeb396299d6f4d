package io.eg4j.model.ir;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The xDS intermediate representation of one Gateway (or of one GatewayClass when gateways are
 * merged): everything the xds-server needs to build Envoy's listeners, routes, clusters, endpoints
 * and secrets, and nothing about Kubernetes.
 *
 * <p>Records in this package are immutable, validate themselves on construction, and keep their
 * lists sorted by name so that the same input always serializes to the same bytes (DESIGN.md
 * invariant 3).
 *
 * @param key the IR key on {@code eg4j.xds-ir}: {@code namespace/gateway}, or the GatewayClass name
 *     when gateways are merged
 * @param http HTTP and HTTPS listeners
 * @param tcp TCP listeners, including TLS passthrough and TLS-terminating TCP listeners
 * @param udp UDP listeners
 * @param filterOrder the EnvoyProxy's {@code filterOrder}: moves HTTP filters of a type before or
 *     after another type, applied in order over Envoy Gateway's default order; empty for the
 *     default
 * @param ready the listener that answers the readiness probe, served over xDS so that a proxy
 *     reports ready only once it has its configuration; null for none
 * @param localCluster the proxy fleet's own endpoints (its Service), the local cluster of
 *     zone-aware load balancing; null for none
 * @param jsonPatches the JSON patches of accepted EnvoyPatchPolicies, in the order they apply
 *     (priority, then age): the xds-server applies them to the resources it built; empty for none
 * @param telemetry the EnvoyProxy's access logs and tracing; null for Envoy Gateway's defaults (the
 *     default access log, no tracing)
 * @param backendTls the EnvoyProxy's TLS settings towards backends; null for Envoy Gateway's
 *     defaults
 */
public record XdsIr(
    String key,
    List<HttpListenerIr> http,
    List<TcpListenerIr> tcp,
    List<UdpListenerIr> udp,
    List<FilterPositionIr> filterOrder,
    ReadyListenerIr ready,
    LocalClusterIr localCluster,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<JsonPatchIr> jsonPatches,
    TelemetryIr telemetry,
    ProxyBackendTlsIr backendTls) {

  public XdsIr {
    Objects.requireNonNull(key, "key");
    http = sorted(http, Comparator.comparing(HttpListenerIr::name));
    tcp = sorted(tcp, Comparator.comparing(TcpListenerIr::name));
    udp = sorted(udp, Comparator.comparing(UdpListenerIr::name));
    IrValidation.uniqueNames("listener", http, HttpListenerIr::name);
    IrValidation.uniqueNames("listener", tcp, TcpListenerIr::name);
    IrValidation.uniqueNames("listener", udp, UdpListenerIr::name);
    filterOrder = copy(filterOrder);
    jsonPatches = copy(jsonPatches); // order matters: never sorted
  }

  /** An IR without JSON patches. */
  public XdsIr(
      String key,
      List<HttpListenerIr> http,
      List<TcpListenerIr> tcp,
      List<UdpListenerIr> udp,
      List<FilterPositionIr> filterOrder,
      ReadyListenerIr ready,
      LocalClusterIr localCluster) {
    this(key, http, tcp, udp, filterOrder, ready, localCluster, List.of(), null, null);
  }

  /** An IR without a ready listener or local cluster. */
  public XdsIr(
      String key,
      List<HttpListenerIr> http,
      List<TcpListenerIr> tcp,
      List<UdpListenerIr> udp,
      List<FilterPositionIr> filterOrder) {
    this(key, http, tcp, udp, filterOrder, null, null);
  }

  /** This IR under another key, everything else shared. */
  public XdsIr withKey(String newKey) {
    return new XdsIr(
        newKey,
        http,
        tcp,
        udp,
        filterOrder,
        ready,
        localCluster,
        jsonPatches,
        telemetry,
        backendTls);
  }

  /** This IR with other listeners, everything else shared. */
  public XdsIr withListeners(
      List<HttpListenerIr> newHttp, List<TcpListenerIr> newTcp, List<UdpListenerIr> newUdp) {
    return new XdsIr(
        key,
        newHttp,
        newTcp,
        newUdp,
        filterOrder,
        ready,
        localCluster,
        jsonPatches,
        telemetry,
        backendTls);
  }

  /**
   * The readiness listener: an HTTP listener whose health check answers {@code path} with 200 while
   * Envoy is not draining, and nothing else.
   *
   * @param address the address it binds, such as {@code 0.0.0.0}
   * @param port its port (Envoy Gateway's is 19003)
   * @param path the readiness path, such as {@code /ready}
   */
  public record ReadyListenerIr(String address, int port, String path) {
    public ReadyListenerIr {
      IrValidation.requireName(address, "ready listener address");
      IrValidation.requirePort(port, "ready listener");
      IrValidation.requireName(path, "ready listener path");
    }
  }

  /**
   * The endpoints of the proxy fleet's own Service, as a cluster named after the IR key.
   *
   * @param serviceNamespace the Service namespace
   * @param serviceName the Service name
   * @param endpoints the ready endpoints of its EndpointSlices, sorted
   */
  public record LocalClusterIr(
      String serviceNamespace, String serviceName, List<ZonedEndpointIr> endpoints) {
    public LocalClusterIr {
      IrValidation.requireName(serviceNamespace, "local cluster namespace");
      IrValidation.requireName(serviceName, "local cluster service");
      endpoints =
          sorted(
              endpoints,
              Comparator.comparing(ZonedEndpointIr::host).thenComparingInt(ZonedEndpointIr::port));
    }
  }

  /**
   * One endpoint with the zone it runs in.
   *
   * @param host IP address
   * @param port port
   * @param zone the zone, or null when unknown
   */
  public record ZonedEndpointIr(String host, int port, String zone) {
    public ZonedEndpointIr {
      IrValidation.requireName(host, "endpoint host");
      IrValidation.requirePort(port, "endpoint " + host);
    }
  }

  /**
   * One entry of the EnvoyProxy {@code filterOrder}: every filter of type {@code name} moves right
   * before the first filter of type {@code before}, or right after the last of type {@code after}.
   * Types are Envoy filter names such as {@code envoy.filters.http.jwt_authn}.
   *
   * @param name the filter type that moves
   * @param before the type it moves before, or null
   * @param after the type it moves after, or null (used only when {@code before} is null)
   */
  public record FilterPositionIr(String name, String before, String after) {
    public FilterPositionIr {
      IrValidation.requireName(name, "filter");
      if ((before == null) == (after == null)) {
        throw new IllegalArgumentException(
            "filter position of " + name + " needs exactly one of before and after");
      }
    }
  }

  /** Returns the list copied and sorted, or an empty list for null. */
  static <T> List<T> sorted(List<T> list, Comparator<T> order) {
    if (list == null) {
      return List.of();
    }
    return list.stream().sorted(order).toList();
  }

  /** Returns the list copied, or an empty list for null. Order is kept (it is meaningful). */
  static <T> List<T> copy(List<T> list) {
    return list == null ? List.of() : List.copyOf(list);
  }

  /**
   * One RFC 6902 operation of an EnvoyPatchPolicy, applied to the JSON form of one xDS resource.
   *
   * @param policy the policy, {@code namespace/name}
   * @param type the resource's type URL, e.g. {@code
   *     type.googleapis.com/envoy.config.listener.v3.Listener}
   * @param name the resource's name
   * @param op add, remove, replace, move, copy or test
   * @param path the JSON pointer the operation targets
   * @param from the JSON pointer of move and copy; null otherwise
   * @param value the operation's value as JSON text; null for remove, move and copy
   * @param jsonPath an RFC 9535 JSONPath that selects the locations to operate on (each match's
   *     JSON pointer, with {@code path} appended), or null to operate on {@code path} alone
   */
  public record JsonPatchIr(
      String policy,
      String type,
      String name,
      String op,
      String path,
      String from,
      String value,
      String jsonPath) {
    public JsonPatchIr {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(op, "op");
      Objects.requireNonNull(path, "path");
    }
  }
}
