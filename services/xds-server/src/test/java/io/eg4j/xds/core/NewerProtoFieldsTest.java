package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.Tracing;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import org.junit.jupiter.api.Test;

/**
 * Fields newer than the generated protos: set as unknown fields with Envoy's numbers, printed under
 * Envoy's JSON names (inside {@code Any} too), and read back from JSON.
 */
class NewerProtoFieldsTest {
  private static RouteConfiguration routes(String operation) {
    Tracing.Builder t = Tracing.newBuilder();
    NewerProtoFields.setString(t, NewerProtoFields.ROUTE_TRACING_OPERATION, operation);
    return RouteConfiguration.newBuilder()
        .setName("rc")
        .addVirtualHosts(
            VirtualHost.newBuilder()
                .setName("vh")
                .addDomains("*")
                .addRoutes(Route.newBuilder().setName("r").setTracing(t)))
        .build();
  }

  @Test
  void theFieldTravelsOnTheWireUnderItsNumber() throws Exception {
    RouteConfiguration rc = routes("checkout");
    RouteConfiguration back = RouteConfiguration.parseFrom(rc.toByteArray());
    Tracing t = back.getVirtualHosts(0).getRoutes(0).getTracing();
    assertThat(NewerProtoFields.getString(t, NewerProtoFields.ROUTE_TRACING_OPERATION))
        .isEqualTo("checkout");
    assertThat(t.getUnknownFields().getField(5).getLengthDelimitedList()).hasSize(1);
    // Setting it again replaces the value.
    Tracing.Builder b = t.toBuilder();
    NewerProtoFields.setString(b, NewerProtoFields.ROUTE_TRACING_OPERATION, "pay");
    assertThat(b.getUnknownFields().getField(5).getLengthDelimitedList()).hasSize(1);
    assertThat(NewerProtoFields.getString(b, NewerProtoFields.ROUTE_TRACING_OPERATION))
        .isEqualTo("pay");
  }

  @Test
  void jsonShowsItUnderEnvoysNameAlsoInsideAny() throws Exception {
    JsonNode plain = Json.MAPPER.readTree(Protos.json(routes("checkout")));
    assertThat(plain.at("/virtual_hosts/0/routes/0/tracing/operation").asText())
        .isEqualTo("checkout");
    JsonNode packed = Json.MAPPER.readTree(Protos.json(Protos.any(routes("in-any"))));
    assertThat(packed.at("/virtual_hosts/0/routes/0/tracing/operation").asText())
        .isEqualTo("in-any");
  }

  @Test
  void jsonReadsBackIntoTheUnknownField() throws Exception {
    String json =
        "{\"name\":\"rc\",\"virtual_hosts\":[{\"name\":\"vh\",\"domains\":[\"*\"],\"routes\":"
            + "[{\"name\":\"r\",\"match\":{\"prefix\":\"/\"},\"direct_response\":{\"status\":200},"
            + "\"tracing\":{\"operation\":\"a\",\"upstreamOperation\":\"b\"}}]}]}";
    RouteConfiguration.Builder b = RouteConfiguration.newBuilder();
    NewerProtoFields.merge(json, b, Protos.registry());
    Tracing t = b.getVirtualHosts(0).getRoutes(0).getTracing();
    assertThat(NewerProtoFields.getString(t, NewerProtoFields.ROUTE_TRACING_OPERATION))
        .isEqualTo("a");
    assertThat(NewerProtoFields.getString(t, NewerProtoFields.ROUTE_TRACING_UPSTREAM_OPERATION))
        .isEqualTo("b");
    assertThat(b.getVirtualHosts(0).getRoutes(0).getDirectResponse().getStatus()).isEqualTo(200);
  }

  @Test
  void aFieldOfAnotherMessageOrOneTheProtosHaveIsRefused() {
    assertThatThrownBy(
            () ->
                NewerProtoFields.setString(
                    Route.newBuilder(), NewerProtoFields.ROUTE_TRACING_OPERATION, "x"))
        .isInstanceOf(IllegalArgumentException.class);
    var known =
        new NewerProtoFields.Field(
            "envoy.config.route.v3.Tracing", 1, "client_sampling", NewerProtoFields.Wire.STRING);
    assertThatThrownBy(() -> NewerProtoFields.setString(Tracing.newBuilder(), known, "x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("remove it");
  }
}
