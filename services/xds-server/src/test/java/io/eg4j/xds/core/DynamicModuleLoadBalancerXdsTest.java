package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.StringValue;
import com.google.protobuf.UnknownFieldSet;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.LoadBalancerIr;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AsyncDataSource;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A dynamic module load balancer on a cluster: Envoy's {@code dynamic_modules} load balancing
 * policy ({@code DynamicModulesLoadBalancerConfig}, newer than eg4j's protos, sent typed with
 * Envoy's field numbers) with the module's local file, {@code do_not_close}/{@code load_globally},
 * the load balancer's name and its config as a {@code StringValue} of JSON; the cluster's legacy
 * balancer is cleared.
 */
class DynamicModuleLoadBalancerXdsTest {
  private static Cluster cluster(DynamicModuleIr module) {
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName("c")
            .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
            .setLeastRequestLbConfig(Cluster.LeastRequestLbConfig.getDefaultInstance());
    LoadBalancerIr lb =
        new LoadBalancerIr("DynamicModule", null, null, null, null, List.of(), module);
    ClusterSettingsXds.apply(c, ClusterSettingsIr.NONE.withLoadBalancer(lb), false);
    return c.build();
  }

  /** The policy's typed config, as JSON (proto field names). */
  private static JsonNode policy(Cluster c) throws Exception {
    assertThat(c.getLoadBalancingPolicy().getPoliciesCount()).isEqualTo(1);
    TypedExtensionConfig ext = c.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig();
    assertThat(ext.getName()).isEqualTo("envoy.load_balancing_policies.dynamic_modules");
    assertThat(ext.getTypedConfig().getTypeUrl())
        .isEqualTo(
            "type.googleapis.com/envoy.extensions.load_balancing_policies.dynamic_modules.v3"
                + ".DynamicModulesLoadBalancerConfig");
    return Json.MAPPER.readTree(Protos.json(ext)).path("typed_config");
  }

  @Test
  void theModulesLoadBalancerWithItsNameAndConfig() throws Exception {
    Cluster c =
        cluster(
            new DynamicModuleIr(
                "pinned",
                "eg4j-pinned",
                "{\"address\":\"10.0.0.2:8080\"}",
                false,
                true,
                true,
                "/opt/modules/libpinned.so",
                null,
                null,
                null));
    JsonNode v = policy(c);
    assertThat(v.path("lb_policy_name").asText()).isEqualTo("eg4j-pinned");
    JsonNode dmc = v.path("dynamic_module_config");
    assertThat(dmc.path("do_not_close").asBoolean()).isTrue();
    assertThat(dmc.path("load_globally").asBoolean()).isTrue();
    assertThat(dmc.path("module").path("local").path("filename").asText())
        .isEqualTo("/opt/modules/libpinned.so");
    assertThat(v.path("lb_policy_config").path("@type").asText())
        .isEqualTo("type.googleapis.com/google.protobuf.StringValue");
    assertThat(v.path("lb_policy_config").path("value").asText())
        .isEqualTo("{\"address\":\"10.0.0.2:8080\"}");
    // The typed policy replaces the legacy balancer fields.
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    assertThat(c.hasLeastRequestLbConfig()).isFalse();
  }

  @Test
  void theWireFormatHasEnvoysFieldNumbers() throws Exception {
    Cluster c =
        cluster(
            new DynamicModuleIr(
                "pinned", "lb", "{}", false, true, true, "/m.so", null, null, null));
    UnknownFieldSet top =
        UnknownFieldSet.parseFrom(
            c.getLoadBalancingPolicy()
                .getPolicies(0)
                .getTypedExtensionConfig()
                .getTypedConfig()
                .getValue());
    // DynamicModulesLoadBalancerConfig: dynamic_module_config 1, lb_policy_name 2,
    // lb_policy_config 3 (an Any).
    assertThat(top.asMap()).containsOnlyKeys(1, 2, 3);
    assertThat(top.getField(2).getLengthDelimitedList().get(0).toStringUtf8()).isEqualTo("lb");
    com.google.protobuf.Any config =
        com.google.protobuf.Any.parseFrom(top.getField(3).getLengthDelimitedList().get(0));
    assertThat(config.unpack(StringValue.class).getValue()).isEqualTo("{}");
    // DynamicModuleConfig: do_not_close 3, load_globally 4, module 6 (an AsyncDataSource).
    UnknownFieldSet module =
        UnknownFieldSet.parseFrom(top.getField(1).getLengthDelimitedList().get(0));
    assertThat(module.asMap()).containsOnlyKeys(3, 4, 6);
    assertThat(module.getField(3).getVarintList()).containsExactly(1L);
    assertThat(module.getField(4).getVarintList()).containsExactly(1L);
    AsyncDataSource source =
        AsyncDataSource.parseFrom(module.getField(6).getLengthDelimitedList().get(0));
    assertThat(source.getLocal().getFilename()).isEqualTo("/m.so");
  }

  @Test
  void withoutConfigOrLoadFlagsNoneIsSent() throws Exception {
    Cluster c =
        cluster(
            new DynamicModuleIr(
                "pinned", "lb", null, false, false, false, "/m.so", null, null, null));
    JsonNode v = policy(c);
    assertThat(v.has("lb_policy_config")).isFalse();
    assertThat(v.path("dynamic_module_config").fieldNames()).toIterable().containsExactly("module");
    assertThat(v.path("lb_policy_name").asText()).isEqualTo("lb");
  }

  @Test
  void aModuleWithoutLocalFileIsNeverSent() {
    assertThatThrownBy(
            () ->
                cluster(
                    new DynamicModuleIr(
                        "pinned", "lb", null, false, false, false, null, null, null, null)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no local path");
  }
}
