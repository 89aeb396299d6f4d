package io.eg4j.xds.core;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.XdsIr;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The IR listeners that share one address and port, and so one Envoy listener. Gateway API lets
 * several Gateway listeners share a port when their hostnames differ; Envoy binds a port once, so
 * plain HTTP listeners merge into one connection manager (virtual hosts tell them apart) and TLS
 * listeners become filter chains chosen by SNI.
 *
 * @param envoyName the Envoy listener name: the first IR listener name on the port
 * @param address bind address
 * @param port bind port
 * @param plainHttp HTTP listeners without TLS, merged into one route configuration
 * @param https HTTPS listeners, one filter chain and one route configuration each
 * @param tcp TCP and TLS listeners, one filter chain per route
 */
record PortGroup(
    String envoyName,
    String address,
    int port,
    List<HttpListenerIr> plainHttp,
    List<HttpListenerIr> https,
    List<TcpListenerIr> tcp) {

  /** The route configuration name of the merged plain HTTP listeners. */
  String plainRouteConfigName() {
    return plainHttp.get(0).name();
  }

  /** Groups the TCP-based listeners of an IR by address and port, in a stable order. */
  static List<PortGroup> of(XdsIr ir) {
    Map<String, List<Object>> byPort = new TreeMap<>();
    for (HttpListenerIr l : ir.http()) {
      byPort.computeIfAbsent(key(l.address(), l.port()), k -> new ArrayList<>()).add(l);
    }
    for (TcpListenerIr l : ir.tcp()) {
      byPort.computeIfAbsent(key(l.address(), l.port()), k -> new ArrayList<>()).add(l);
    }
    List<PortGroup> out = new ArrayList<>();
    for (List<Object> members : byPort.values()) {
      List<HttpListenerIr> plain = new ArrayList<>();
      List<HttpListenerIr> https = new ArrayList<>();
      List<TcpListenerIr> tcp = new ArrayList<>();
      List<String> names = new ArrayList<>();
      String address = null;
      int port = 0;
      for (Object m : members) {
        if (m instanceof HttpListenerIr h) {
          (h.tls() == null ? plain : https).add(h);
          names.add(h.name());
          address = h.address();
          port = h.port();
        } else if (m instanceof TcpListenerIr t) {
          tcp.add(t);
          names.add(t.name());
          address = t.address();
          port = t.port();
        }
      }
      names.sort(Comparator.naturalOrder());
      out.add(
          new PortGroup(
              names.get(0),
              address,
              port,
              sortByName(plain),
              sortByName(https),
              tcp.stream().sorted(Comparator.comparing(TcpListenerIr::name)).toList()));
    }
    out.sort(Comparator.comparing(PortGroup::envoyName));
    return out;
  }

  private static List<HttpListenerIr> sortByName(List<HttpListenerIr> l) {
    return l.stream().sorted(Comparator.comparing(HttpListenerIr::name)).toList();
  }

  private static String key(String address, int port) {
    return address + "|" + String.format("%05d", port);
  }
}
