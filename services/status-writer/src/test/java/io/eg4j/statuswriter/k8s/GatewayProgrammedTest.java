package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gateway addresses and Programmed from the fleet's Service, workload and the cluster's nodes. */
class GatewayProgrammedTest {
  static JsonNode json(String s) throws Exception {
    return Json.MAPPER.readTree(s);
  }

  static JsonNode node(String... typeAndAddress) throws Exception {
    StringBuilder b = new StringBuilder("{\"status\":{\"addresses\":[");
    for (int i = 0; i < typeAndAddress.length; i += 2) {
      b.append(i == 0 ? "" : ",")
          .append("{\"type\":\"")
          .append(typeAndAddress[i])
          .append("\",\"address\":\"")
          .append(typeAndAddress[i + 1])
          .append("\"}");
    }
    return json(b.append("]}}").toString());
  }

  @Test
  void aFleetThatCouldNotBeAppliedIsNamedInProgrammedFalseOnly() throws Exception {
    ObjectNode status = (ObjectNode) json("{}");
    GatewayProgrammed.apply(status, json("{\"spec\":{}}"), null, null, 1);
    GatewayProgrammed.addFleetCause(status, "the API server rejects Service x/y: 422");
    JsonNode programmed = null;
    for (JsonNode c : status.path("conditions")) {
      if ("Programmed".equals(c.path("type").asText())) {
        programmed = c;
      }
    }
    assertThat(programmed).isNotNull();
    assertThat(programmed.path("reason").asText()).isEqualTo("AddressNotAssigned");
    assertThat(programmed.path("message").asText())
        .isEqualTo(
            GatewayProgrammed.ADDRESS_NOT_ASSIGNED
                + ". The proxy fleet could not be applied: the API server rejects Service x/y: 422");

    // Programmed=True stays as it is; a null cause changes nothing.
    ObjectNode ok = (ObjectNode) json("{}");
    GatewayProgrammed.apply(
        ok,
        json("{\"spec\":{}}"),
        json("{\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.0.0.9\"}}"),
        json("{\"kind\":\"Deployment\",\"status\":{\"replicas\":1,\"availableReplicas\":1}}"),
        1);
    String before = ok.toString();
    GatewayProgrammed.addFleetCause(ok, "stale cause");
    GatewayProgrammed.addFleetCause(status, null);
    assertThat(ok.toString()).isEqualTo(before);
  }

  @Test
  void aNodePortGatewayIsReachedOnTheNodesExternalOrElseInternalAddresses() throws Exception {
    ObjectNode status = (ObjectNode) json("{}");
    JsonNode service = json("{\"spec\":{\"type\":\"NodePort\",\"ipFamilies\":[\"IPv4\"]}}");
    JsonNode deployment =
        json("{\"kind\":\"Deployment\",\"status\":{\"replicas\":2,\"availableReplicas\":2}}");
    List<JsonNode> nodes =
        List.of(
            node("InternalIP", "10.0.0.1", "ExternalIP", "203.0.113.1", "Hostname", "n1"),
            node("InternalIP", "10.0.0.2", "InternalIP", "fd00::2"),
            node("Hostname", "n3"));
    GatewayProgrammed.apply(status, json("{\"spec\":{}}"), service, deployment, nodes, 3);

    assertThat(status.path("addresses").toString())
        .isEqualTo(
            "[{\"type\":\"IPAddress\",\"value\":\"203.0.113.1\"},"
                + "{\"type\":\"IPAddress\",\"value\":\"10.0.0.2\"}]");
    JsonNode programmed = status.path("conditions").get(1);
    assertThat(programmed.path("type").asText()).isEqualTo("Programmed");
    assertThat(programmed.path("status").asText()).isEqualTo("True");
    assertThat(status.path("conditions").get(0).path("type").asText()).isEqualTo("Accepted");
  }

  @Test
  void aDualStackNodePortServiceListsBothFamilies() throws Exception {
    assertThat(
            GatewayProgrammed.nodeAddresses(
                List.of(node("InternalIP", "10.0.0.2", "InternalIP", "fd00::2")),
                json("[\"IPv6\",\"IPv4\"]")))
        .containsExactly("10.0.0.2", "fd00::2");
    assertThat(
            GatewayProgrammed.nodeAddresses(
                List.of(node("InternalIP", "10.0.0.2", "InternalIP", "fd00::2")),
                json("[\"IPv6\"]")))
        .containsExactly("fd00::2");
  }

  @Test
  void aNodePortServiceWithoutNodesHasNoAddress() throws Exception {
    ObjectNode status = (ObjectNode) json("{}");
    GatewayProgrammed.apply(
        status,
        json("{\"spec\":{}}"),
        json("{\"spec\":{\"type\":\"NodePort\"}}"),
        null,
        List.of(),
        1);
    assertThat(status.has("addresses")).isFalse();
    assertThat(status.path("conditions").get(1).path("reason").asText())
        .isEqualTo("AddressNotAssigned");
  }

  @Test
  void requestedAddressesTheServiceDoesNotCarryAreNotUsable() throws Exception {
    ObjectNode status = (ObjectNode) json("{}");
    GatewayProgrammed.apply(
        status,
        json("{\"spec\":{\"addresses\":[{\"type\":\"IPAddress\",\"value\":\"10.9.9.9\"}]}}"),
        json("{\"spec\":{\"type\":\"LoadBalancer\"}}"),
        json("{\"kind\":\"Deployment\",\"status\":{\"replicas\":1,\"availableReplicas\":1}}"),
        List.of(),
        1);
    JsonNode programmed = status.path("conditions").get(1);
    assertThat(programmed.path("status").asText()).isEqualTo("False");
    assertThat(programmed.path("reason").asText()).isEqualTo("AddressNotUsable");
  }

  @Test
  void moreThanSixteenAddressesAreProgrammedAndTruncated() throws Exception {
    StringBuilder ips = new StringBuilder();
    for (int i = 1; i <= 20; i++) {
      ips.append(i == 1 ? "" : ",").append("\"10.0.0.").append(i).append('"');
    }
    ObjectNode status = (ObjectNode) json("{}");
    GatewayProgrammed.apply(
        status,
        json("{\"spec\":{}}"),
        json("{\"spec\":{\"type\":\"ClusterIP\",\"clusterIPs\":[" + ips + "]}}"),
        json("{\"kind\":\"Deployment\",\"status\":{\"replicas\":2,\"availableReplicas\":1}}"),
        List.of(),
        1);
    assertThat(status.path("addresses")).hasSize(16);
    JsonNode programmed = status.path("conditions").get(1);
    assertThat(programmed.path("status").asText()).isEqualTo("True");
    assertThat(programmed.path("message").asText())
        .isEqualTo(
            "Too many addresses (20) have been assigned to the Gateway; only the first 16 are"
                + " included in the status.");
  }

  @Test
  void noAvailableReplicaIsNoResources() throws Exception {
    ObjectNode status = (ObjectNode) json("{}");
    GatewayProgrammed.apply(
        status,
        json("{\"spec\":{}}"),
        json("{\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.1.1.1\"}}"),
        json("{\"kind\":\"Deployment\",\"status\":{\"replicas\":1}}"),
        List.of(),
        1);
    JsonNode programmed = status.path("conditions").get(1);
    assertThat(programmed.path("reason").asText()).isEqualTo("NoResources");
    assertThat(programmed.path("message").asText()).isEqualTo("Envoy replicas unavailable");
  }
}
