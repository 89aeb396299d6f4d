package io.eg4j.translator.core;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.TlsIr;
import io.eg4j.model.ir.UdpListenerIr;
import io.eg4j.model.ir.XdsIr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Mutable IR under construction. The IR records in {@code io.eg4j.model.ir} are immutable and
 * validate themselves, so processors fill these builders and {@link XdsBuilder#build()} creates the
 * records once, after route precedence sorting.
 */
final class IrBuilders {
  private IrBuilders() {}

  /** The xDS IR of one IR key. */
  static final class XdsBuilder {
    final String key;
    final Map<String, HttpListener> http = new LinkedHashMap<>();
    final Map<String, TcpListener> tcp = new LinkedHashMap<>();
    final Map<String, UdpListener> udp = new LinkedHashMap<>();

    /** The EnvoyProxy's filterOrder for this IR; empty for Envoy Gateway's default order. */
    List<XdsIr.FilterPositionIr> filterOrder = List.of();

    /** The readiness listener, or null (proxies on the host have none). */
    XdsIr.ReadyListenerIr ready;

    /** The fleet's own endpoints, or null. */
    XdsIr.LocalClusterIr localCluster;

    /** The EnvoyProxy's access logs and tracing, or null for Envoy Gateway's defaults. */
    io.eg4j.model.ir.TelemetryIr telemetry;

    /** The EnvoyProxy's backendTLS, or null for Envoy Gateway's defaults. */
    io.eg4j.model.ir.ProxyBackendTlsIr backendTls;

    /** Accepted EnvoyPatchPolicy operations, in the order they apply. */
    final List<XdsIr.JsonPatchIr> jsonPatches = new ArrayList<>();

    XdsBuilder(String key) {
      this.key = key;
    }

    XdsIr build() {
      List<HttpListenerIr> h = new ArrayList<>();
      for (HttpListener l : http.values()) {
        h.add(l.build());
      }
      List<TcpListenerIr> t = new ArrayList<>();
      for (TcpListener l : tcp.values()) {
        t.add(
            new TcpListenerIr(l.name, null, l.port, l.externalPort, dedupTcp(l.routes), l.client));
      }
      List<UdpListenerIr> u = new ArrayList<>();
      for (UdpListener l : udp.values()) {
        if (l.destination != null) {
          u.add(
              new UdpListenerIr(l.name, null, l.port, l.externalPort, l.routeName, l.destination));
        }
      }
      return new XdsIr(
          key, h, t, u, filterOrder, ready, localCluster, jsonPatches, telemetry, backendTls);
    }

    private static List<TcpListenerIr.TcpRouteIr> dedupTcp(List<TcpListenerIr.TcpRouteIr> routes) {
      Map<String, TcpListenerIr.TcpRouteIr> byName = new LinkedHashMap<>();
      for (TcpListenerIr.TcpRouteIr r : routes) {
        byName.putIfAbsent(r.name(), r);
      }
      return new ArrayList<>(byName.values());
    }
  }

  /** An HTTP or HTTPS listener. */
  static final class HttpListener {
    final String name;
    final int port;
    final int externalPort;
    final List<String> hostnames;
    final TlsIr tls;
    final List<HttpRouteIr> routes = new ArrayList<>();

    /** The ClientTrafficPolicy in effect on the listener, or null. */
    io.eg4j.model.ir.traffic.ClientTrafficIr client;

    HttpListener(String name, int port, int externalPort, List<String> hostnames, TlsIr tls) {
      this.name = name;
      this.port = port;
      this.externalPort = externalPort;
      this.hostnames = hostnames;
      this.tls = tls;
    }

    HttpListenerIr build() {
      Map<String, HttpRouteIr> unique = new LinkedHashMap<>();
      for (HttpRouteIr r : RoutePrecedence.sort(routes)) {
        unique.putIfAbsent(r.name(), r);
      }
      return new HttpListenerIr(
          name, null, port, externalPort, hostnames, tls, new ArrayList<>(unique.values()), client);
    }
  }

  /** A TCP or TLS listener. */
  static final class TcpListener {
    final String name;
    final int port;
    final int externalPort;

    /** TLS termination settings of the listener, or null for passthrough or plain TCP. */
    final TlsIr tls;

    final List<TcpListenerIr.TcpRouteIr> routes = new ArrayList<>();

    /** The ClientTrafficPolicy in effect on the listener, or null. */
    io.eg4j.model.ir.traffic.ClientTrafficIr client;

    TcpListener(String name, int port, int externalPort, TlsIr tls) {
      this.name = name;
      this.port = port;
      this.externalPort = externalPort;
      this.tls = tls;
    }
  }

  /** A UDP listener. */
  static final class UdpListener {
    final String name;
    final int port;
    final int externalPort;
    String routeName;
    RouteDestinationIr destination;

    UdpListener(String name, int port, int externalPort) {
      this.name = name;
      this.port = port;
      this.externalPort = externalPort;
    }
  }

  /** The infra IR of one fleet. */
  static final class InfraBuilder {
    final String name;
    String namespace;
    String ownerNamespace;
    String ownerName;
    final Map<String, InfraIr.ProxyListenerIr> listeners = new TreeMap<>();
    final Map<String, String> labels = new TreeMap<>();
    final Map<String, String> annotations = new TreeMap<>();
    String envoyProxy;
    final java.util.Set<String> addresses = new java.util.TreeSet<>();

    InfraBuilder(String name) {
      this.name = name;
    }

    InfraIr build() {
      return new InfraIr(
          name,
          namespace,
          ownerNamespace,
          ownerName,
          new ArrayList<>(listeners.values()),
          labels,
          annotations,
          envoyProxy,
          new ArrayList<>(addresses));
    }
  }
}
