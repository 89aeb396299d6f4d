package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.extension.ExtensionIr.ExtProcIr;
import io.eg4j.model.ir.security.ApiKeyAuthIr;
import io.eg4j.model.ir.security.ExtAuthIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The filter settings newer than the protos eg4j builds with travel as a TypedStruct of the
 * filter's own type (ext_proc {@code status_on_error}, api_key_auth {@code forwarding}); ext_authz
 * {@code status_on_error} is in the protos. Without the setting, the plain typed config is sent.
 */
class ErrorStatusAndForwardingXdsTest {
  static final RouteDestinationIr DEST =
      new RouteDestinationIr(
          "svc",
          List.of(
              new DestinationSettingIr(
                  "svc/backend/0", 1, "GRPC", "IP", List.of(new EndpointIr("10.0.0.1", 9)), null)));

  static ExtProcIr proc(int statusOnError) {
    return new ExtProcIr(
        "p/extproc/0",
        DEST,
        "svc.default:9",
        DurationIr.parse("10s"),
        null,
        false,
        true,
        null,
        List.of(),
        false,
        null,
        List.of(),
        false,
        List.of(),
        List.of(),
        null,
        false,
        statusOnError);
  }

  @Test
  void extProcStatusOnErrorIsATypedStructOfTheProcessorsType() {
    String json = Protos.json(ExtProcFilterXds.typedConfig(proc(503)));
    assertThat(json)
        .contains("type.googleapis.com/xds.type.v3.TypedStruct")
        .contains(
            "\"type_url\": \"type.googleapis.com/"
                + ExternalProcessor.getDescriptor().getFullName()
                + "\"")
        .containsPattern("\"status_on_error\": \\{\\s*\"code\": \"ServiceUnavailable\"")
        .contains("\"cluster_name\": \"svc\"");
    assertThat(ExtProcFilterXds.typedConfig(proc(0)).getTypeUrl())
        .endsWith(ExternalProcessor.getDescriptor().getFullName());
  }

  @Test
  void extAuthzStatusOnErrorIsSetOnlyWhenGiven() {
    ExtAuthIr a =
        new ExtAuthIr(
            true,
            DEST,
            "svc.default:9",
            null,
            List.of(),
            List.of(),
            0,
            false,
            DurationIr.parse("10s"),
            false,
            401,
            null,
            null,
            Map.of());
    assertThat(ExtAuthzFilterXds.config(a).getStatusOnError().getCodeValue()).isEqualTo(401);
    ExtAuthIr unset =
        new ExtAuthIr(
            true,
            DEST,
            "svc.default:9",
            null,
            List.of(),
            List.of(),
            0,
            false,
            DurationIr.parse("10s"),
            false,
            0,
            null,
            null,
            Map.of());
    assertThat(ExtAuthzFilterXds.config(unset).hasStatusOnError()).isFalse();
  }

  @Test
  void apiKeyForwardingIsATypedStructAndAbsentWhenUnset() {
    ApiKeyAuth base = ApiKeyAuth.newBuilder().build();
    ApiKeyAuthIr both =
        new ApiKeyAuthIr(
            Map.of("client-a", "key-a"),
            List.of(new ApiKeyAuthIr.ExtractFromIr(List.of("x-api-key"), null, null)),
            "x-client-id",
            true);
    String json = Protos.json(ApiKeyAuthFilterXds.withForwarding(base, both));
    assertThat(json)
        .contains("type.googleapis.com/xds.type.v3.TypedStruct")
        .containsPattern(
            "\"forwarding\": \\{\\s*\"header\": \"x-client-id\",\\s*\"hide_credentials\": true");
    ApiKeyAuthIr sanitizeOnly =
        new ApiKeyAuthIr(
            Map.of("client-a", "key-a"),
            List.of(new ApiKeyAuthIr.ExtractFromIr(List.of("x-api-key"), null, null)),
            null,
            true);
    assertThat(Protos.json(ApiKeyAuthFilterXds.withForwarding(base, sanitizeOnly)))
        .containsPattern("\"forwarding\": \\{\\s*\"hide_credentials\": true\\s*\\}");
    ApiKeyAuthIr none =
        new ApiKeyAuthIr(
            Map.of("client-a", "key-a"),
            List.of(new ApiKeyAuthIr.ExtractFromIr(List.of("x-api-key"), null, null)),
            null,
            false);
    assertThat(ApiKeyAuthFilterXds.withForwarding(base, none).getTypeUrl())
        .endsWith(ApiKeyAuth.getDescriptor().getFullName());
  }
}
