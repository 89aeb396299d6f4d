package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
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
    Map<String, List<ObjectNode>> index =
        serviceImport ? ctx.endpointSlicesByServiceImport : ctx.endpointSlicesByService;
    Set<String> types = new LinkedHashSet<>();
    for (ObjectNode slice : index.getOrDefault(namespace + "/" + name, List.of())) {
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
            if (!addr.isEmpty()) {
              out.add(new EndpointIr(addr, epPort));
            }
          }
        }
      }
    }
    return types;
  }
}
