package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a destination setting's endpoints come from: the EndpointSlices of one Service (or
 * ServiceImport) port. Kept per setting so that an EndpointSlice change can refresh endpoints
 * without a full translation ({@link EndpointFastPath}).
 *
 * @param serviceImport true for a multi-cluster ServiceImport
 * @param namespace the Service namespace
 * @param name the Service name
 * @param portName the Service port name the EndpointSlice ports are matched on
 * @param protocol TCP or UDP
 */
public record EndpointSource(
    boolean serviceImport, String namespace, String name, String portName, String protocol) {

  /** Adds the ready endpoints to {@code out}; returns the address types seen (IP, FQDN). */
  Set<String> collect(TranslationContext ctx, List<EndpointIr> out) {
    Collected c = ctx.collectedEndpoints.get(this);
    if (c == null) {
      Map<String, List<ObjectNode>> index =
          serviceImport ? ctx.endpointSlicesByServiceImport : ctx.endpointSlicesByService;
      List<EndpointIr> endpoints = new ArrayList<>();
      Set<String> types = collect(index.getOrDefault(namespace + "/" + name, List.of()), endpoints);
      c = new Collected(List.copyOf(endpoints), Collections.unmodifiableSet(types));
      ctx.collectedEndpoints.put(this, c);
    }
    out.addAll(c.endpoints());
    return c.types();
  }

  /**
   * The endpoints a source gave in one translation, and their address types.
   *
   * @param endpoints the ready endpoints
   * @param types the address types seen (IP, FQDN)
   */
  record Collected(List<EndpointIr> endpoints, Set<String> types) {}

  /**
   * The owner key of this source's EndpointSlices: {@code S:ns/name} for a Service, {@code
   * I:ns/name} for a ServiceImport.
   */
  String owner() {
    return (serviceImport ? "I:" : "S:") + namespace + "/" + name;
  }

  /**
   * The owner keys (see {@link #owner()}) an EndpointSlice belongs to through its {@code
   * kubernetes.io/service-name} and {@code multicluster.kubernetes.io/service-name} labels.
   */
  static List<String> owners(JsonNode slice) {
    Map<String, String> labels = Nodes.map(Nodes.obj(slice, "metadata"), "labels");
    String ns = Nodes.namespace(slice);
    String svc = labels.get("kubernetes.io/service-name");
    String si = labels.get("multicluster.kubernetes.io/service-name");
    if (svc == null && si == null) {
      return List.of();
    }
    if (si == null) {
      return List.of("S:" + ns + "/" + svc);
    }
    if (svc == null) {
      return List.of("I:" + ns + "/" + si);
    }
    return List.of("S:" + ns + "/" + svc, "I:" + ns + "/" + si);
  }

  /**
   * What the translation made of the endpoints, which decides statuses and route actions: {@code
   * EMPTY} (no ready endpoint), {@code MIXED} (several address types) or the one address type.
   */
  static String state(List<EndpointIr> endpoints, Set<String> types) {
    if (endpoints.isEmpty()) {
      return "EMPTY";
    }
    if (types.size() > 1) {
      return "MIXED";
    }
    return types.isEmpty() ? "IP" : types.iterator().next();
  }

  /** Adds the ready endpoints of {@code slices} to {@code out}; returns the address types seen. */
  Set<String> collect(Iterable<? extends JsonNode> slices, List<EndpointIr> out) {
    Set<String> types = new LinkedHashSet<>();
    for (JsonNode slice : slices) {
      String at = Nodes.text(slice, "addressType", "IPv4");
      types.add(at.equals("FQDN") ? "FQDN" : "IP");
      for (JsonNode ep : Nodes.list(slice, "endpoints")) {
        JsonNode cond = Nodes.obj(ep, "conditions");
        for (JsonNode sp : Nodes.list(slice, "ports")) {
          if (!Nodes.text(sp, "name", "").equals(portName)
              || !Nodes.text(sp, "protocol", "TCP").equals(protocol)) {
            continue;
          }
          Integer epPort = Nodes.integer(sp, "port");
          if (epPort == null || epPort < 1 || epPort > 65535) {
            continue;
          }
          // Unknown serving/terminating fall back to ready (discovery/v1 EndpointConditions).
          boolean draining =
              Nodes.has(cond, "serving") && Nodes.has(cond, "terminating")
                  ? Nodes.bool(cond, "terminating", false) || !Nodes.bool(cond, "serving", true)
                  : !Nodes.bool(cond, "ready", true);
          if (draining) {
            continue;
          }
          for (String addr : Nodes.texts(ep, "addresses")) {
            // An IPv4 or IPv6 slice's addresses become a STATIC cluster's endpoints, which Envoy
            // rejects unless each is an IP literal (the API server validates them; a slice from
            // elsewhere may not be).
            if (!addr.isEmpty() && (at.equals("FQDN") || IpLiteral.is(addr))) {
              out.add(new EndpointIr(addr, epPort, Nodes.text(ep, "zone")));
            }
          }
        }
      }
    }
    return types;
  }
}
