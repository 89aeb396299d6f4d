package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.LoadBalancerIr;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A dynamic module load balancer on a cluster: Envoy's {@code dynamic_modules} load balancing
 * policy (a TypedStruct of {@code DynamicModulesLoadBalancerConfig}, newer than eg4j's protos) with
 * the module's local file, {@code do_not_close}/{@code load_globally}, the load balancer's name and
 * its config as a {@code StringValue} of JSON; the cluster's legacy balancer is cleared.
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

  private static TypedStruct policy(Cluster c) throws Exception {
    assertThat(c.getLoadBalancingPolicy().getPoliciesCount()).isEqualTo(1);
    TypedExtensionConfig ext = c.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig();
    assertThat(ext.getName()).isEqualTo("envoy.load_balancing_policies.dynamic_modules");
    TypedStruct ts = ext.getTypedConfig().unpack(TypedStruct.class);
    assertThat(ts.getTypeUrl())
        .isEqualTo(
            "type.googleapis.com/envoy.extensions.load_balancing_policies.dynamic_modules.v3"
                + ".DynamicModulesLoadBalancerConfig");
    return ts;
  }

  private static Struct struct(Struct s, String field) {
    assertThat(s.getFieldsMap()).containsKey(field);
    return s.getFieldsOrThrow(field).getStructValue();
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
    Struct v = policy(c).getValue();
    assertThat(v.getFieldsOrThrow("lb_policy_name").getStringValue()).isEqualTo("eg4j-pinned");
    Struct dmc = struct(v, "dynamic_module_config");
    assertThat(dmc.getFieldsOrThrow("do_not_close").getBoolValue()).isTrue();
    assertThat(dmc.getFieldsOrThrow("load_globally").getBoolValue()).isTrue();
    assertThat(struct(struct(dmc, "module"), "local").getFieldsOrThrow("filename").getStringValue())
        .isEqualTo("/opt/modules/libpinned.so");
    Struct config = struct(v, "lb_policy_config");
    assertThat(config.getFieldsOrThrow("@type").getStringValue())
        .isEqualTo("type.googleapis.com/google.protobuf.StringValue");
    assertThat(config.getFieldsOrThrow("value").getStringValue())
        .isEqualTo("{\"address\":\"10.0.0.2:8080\"}");
    // The typed policy replaces the legacy balancer fields.
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    assertThat(c.hasLeastRequestLbConfig()).isFalse();
  }

  @Test
  void withoutConfigOrLoadFlagsNoneIsSent() throws Exception {
    Cluster c =
        cluster(
            new DynamicModuleIr(
                "pinned", "lb", null, false, false, false, "/m.so", null, null, null));
    Struct v = policy(c).getValue();
    assertThat(v.getFieldsMap()).doesNotContainKey("lb_policy_config");
    Struct dmc = struct(v, "dynamic_module_config");
    assertThat(dmc.getFieldsMap()).containsOnlyKeys("module");
    assertThat(v.getFieldsMap().get("lb_policy_name"))
        .isEqualTo(Value.newBuilder().setStringValue("lb").build());
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
