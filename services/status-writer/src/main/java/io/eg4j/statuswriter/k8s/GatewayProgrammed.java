package io.eg4j.statuswriter.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.statuswriter.core.GatewayAccepted;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of a Gateway's status that only the cluster knows: {@code addresses} from the proxy
 * fleet's Service and the {@code Programmed} condition from its Service and workload, computed the
 * way Envoy Gateway's status updater does ({@code UpdateGatewayStatusProgrammedCondition}).
 */
public final class GatewayProgrammed {
  static final String ADDRESS_NOT_ASSIGNED = "No addresses have been assigned to the Gateway";
  static final String NO_RESOURCES = "Envoy replicas unavailable";
  static final String ADDRESS_NOT_USABLE =
      "One or more addresses requested in spec.addresses cannot be used";
  static final String ACCEPTED = GatewayAccepted.MESSAGE;
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final int MAX_ADDRESSES = 16;

  private GatewayProgrammed() {}

  /**
   * Sets {@code addresses} and the {@code Programmed} condition on a Gateway status.
   *
   * @param status the status to change (the translator's, before the diff)
   * @param gateway the Gateway object (its spec.addresses decide where addresses come from)
   * @param service the fleet's Service, or null when it does not exist (yet)
   * @param workload the fleet's Deployment or DaemonSet, or null
   * @param generation the Gateway's generation, for observedGeneration
   */
  public static void apply(
      ObjectNode status, JsonNode gateway, JsonNode service, JsonNode workload, long generation) {
    apply(status, gateway, service, workload, List.of(), generation);
  }

  /**
   * Sets {@code addresses} and the {@code Programmed} condition on a Gateway status.
   *
   * @param status the status to change (the translator's, before the diff)
   * @param gateway the Gateway object (its spec.addresses decide where addresses come from)
   * @param service the fleet's Service, or null when it does not exist (yet)
   * @param workload the fleet's Deployment or DaemonSet, or null
   * @param nodes the cluster's Nodes, for a NodePort Service (its Gateway is reached on them)
   * @param generation the Gateway's generation, for observedGeneration
   */
  public static void apply(
      ObjectNode status,
      JsonNode gateway,
      JsonNode service,
      JsonNode workload,
      List<JsonNode> nodes,
      long generation) {
    boolean requested =
        gateway.path("spec").path("addresses").isArray()
            && !gateway.path("spec").path("addresses").isEmpty();
    List<String> ips = new ArrayList<>();
    List<String> hostnames = new ArrayList<>();
    if (service != null) {
      JsonNode spec = service.path("spec");
      String type = spec.path("type").asText("ClusterIP");
      if (requested) {
        // Addresses the user asked for end up as external IPs (or cluster IPs) of the Service.
        JsonNode from =
            spec.path("externalIPs").isArray() && !spec.path("externalIPs").isEmpty()
                ? spec.path("externalIPs")
                : spec.path("clusterIPs");
        from.forEach(a -> ips.add(a.asText()));
      } else if (type.equals("LoadBalancer")) {
        for (JsonNode ingress : service.path("status").path("loadBalancer").path("ingress")) {
          if (!ingress.path("ip").asText("").isEmpty()) {
            ips.add(ingress.path("ip").asText());
          } else if (!ingress.path("hostname").asText("").isEmpty()) {
            hostnames.add(ingress.path("hostname").asText());
          }
        }
      } else if (type.equals("NodePort")) {
        ips.addAll(nodeAddresses(nodes, spec.path("ipFamilies")));
      } else if (type.equals("ClusterIP")) {
        JsonNode clusterIps = spec.path("clusterIPs");
        if (clusterIps.isArray() && !clusterIps.isEmpty()) {
          clusterIps.forEach(a -> addIfSet(ips, a.asText()));
        } else {
          addIfSet(ips, spec.path("clusterIP").asText(""));
        }
      }
    }
    ArrayNode addresses = F.arrayNode();
    ips.stream()
        .filter(a -> !a.equals("None"))
        .forEach(a -> addresses.add(address("IPAddress", a)));
    hostnames.forEach(h -> addresses.add(address("Hostname", h)));
    if (service == null || addresses.isEmpty()) {
      status.remove("addresses");
    } else {
      status.set("addresses", addresses);
    }

    ObjectNode programmed;
    if (addresses.isEmpty()) {
      // Addresses the user asked for that the Service does not carry cannot be used.
      programmed =
          requested
              ? condition("False", "AddressNotUsable", ADDRESS_NOT_USABLE, generation)
              : condition("False", "AddressNotAssigned", ADDRESS_NOT_ASSIGNED, generation);
    } else if (addresses.size() > MAX_ADDRESSES) {
      // The status holds at most 16; the Gateway still works on all of them.
      programmed =
          condition(
              "True",
              "Programmed",
              "Too many addresses ("
                  + addresses.size()
                  + ") have been assigned to the Gateway; only the first 16 are included in the"
                  + " status.",
              generation);
      ArrayNode truncated = F.arrayNode();
      for (int i = 0; i < MAX_ADDRESSES; i++) {
        truncated.add(addresses.get(i));
      }
      status.set("addresses", truncated);
    } else {
      int available = 0;
      int total = 0;
      if (workload != null && "DaemonSet".equals(workload.path("kind").asText())) {
        available = workload.path("status").path("numberAvailable").asInt(0);
        total = workload.path("status").path("currentNumberScheduled").asInt(0);
      } else if (workload != null) {
        available = workload.path("status").path("availableReplicas").asInt(0);
        total = workload.path("status").path("replicas").asInt(0);
      }
      programmed =
          available > 0
              ? condition(
                  "True",
                  "Programmed",
                  "Address assigned to the Gateway, "
                      + available
                      + "/"
                      + total
                      + " envoy replicas available",
                  generation)
              : condition("False", "NoResources", NO_RESOURCES, generation);
    }
    ArrayNode conditions =
        status.path("conditions").isArray()
            ? (ArrayNode) status.get("conditions")
            : status.putArray("conditions");
    GatewayAccepted.addUnlessRejected(status, generation);
    for (int i = 0; i < conditions.size(); i++) {
      if ("Programmed".equals(conditions.get(i).path("type").asText())) {
        conditions.set(i, programmed);
        return;
      }
    }
    conditions.add(programmed);
  }

  /**
   * Adds why the Gateway's proxy fleet could not be applied (what the provisioner reports) to a
   * {@code Programmed=False} condition's message, so that the status names the cause and not only
   * its symptom (no address, no replicas). A {@code Programmed=True} condition, or a null cause, is
   * left alone.
   *
   * @param status the status with its Programmed condition set by {@link #apply}
   * @param cause the provisioner's cause, or null
   */
  public static void addFleetCause(ObjectNode status, String cause) {
    if (cause == null || cause.isBlank()) {
      return;
    }
    for (JsonNode c : status.path("conditions")) {
      if ("Programmed".equals(c.path("type").asText())
          && "False".equals(c.path("status").asText())) {
        String message = c.path("message").asText("");
        ((ObjectNode) c)
            .put(
                "message",
                (message.isEmpty() ? "" : message + ". ")
                    + "The proxy fleet could not be applied: "
                    + truncate(cause, 2_000));
      }
    }
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }

  /**
   * The node addresses a NodePort Gateway is reached on, as Envoy Gateway lists them: of each node
   * its external IPs, or its internal IPs when it has none, of the Service's IP families.
   */
  static List<String> nodeAddresses(List<JsonNode> nodes, JsonNode ipFamilies) {
    boolean v4 = true;
    boolean v6 = false;
    if (ipFamilies.isArray() && !ipFamilies.isEmpty()) {
      v4 = false;
      for (JsonNode f : ipFamilies) {
        v4 |= f.asText().equals("IPv4");
        v6 |= f.asText().equals("IPv6");
      }
    }
    List<String> out = new ArrayList<>();
    for (JsonNode node : nodes) {
      List<String> external = new ArrayList<>();
      List<String> internal = new ArrayList<>();
      for (JsonNode a : node.path("status").path("addresses")) {
        String t = a.path("type").asText();
        String ip = a.path("address").asText("");
        if (t.equals("ExternalIP")) {
          external.add(ip);
        } else if (t.equals("InternalIP")) {
          internal.add(ip);
        }
      }
      for (String ip : external.isEmpty() ? internal : external) {
        boolean isV6 = ip.contains(":");
        if (!ip.isEmpty() && (isV6 ? v6 : v4) && !out.contains(ip)) {
          out.add(ip);
        }
      }
    }
    return out;
  }

  private static void addIfSet(List<String> list, String v) {
    if (v != null && !v.isEmpty()) {
      list.add(v);
    }
  }

  private static ObjectNode address(String type, String value) {
    ObjectNode a = F.objectNode();
    a.put("type", type);
    a.put("value", value);
    return a;
  }

  private static ObjectNode condition(String status, String reason, String message, long gen) {
    ObjectNode c = F.objectNode();
    c.put("type", "Programmed");
    c.put("status", status);
    c.put("reason", reason);
    c.put("message", message);
    if (gen > 0) {
      c.put("observedGeneration", gen);
    }
    return c;
  }
}
