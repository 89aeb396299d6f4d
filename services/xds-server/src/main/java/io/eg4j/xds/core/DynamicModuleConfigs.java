package io.eg4j.xds.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;

/**
 * Envoy's {@code dynamic_module_config} of a module the EnvoyProxy registers (shared by the dynamic
 * modules HTTP filter and load balancer), and the dynamic modules load balancing policy.
 *
 * <p>The module source ({@code module.local}/{@code module.remote}) and {@code load_globally} are
 * newer than the protos eg4j builds with, and so is the load balancing policy's message ({@code
 * envoy.extensions.load_balancing_policies.dynamic_modules.v3.DynamicModulesLoadBalancerConfig}):
 * they travel as TypedStructs, which Envoy reads with its own descriptors.
 */
public final class DynamicModuleConfigs {
  /** The load balancing policy's extension name. */
  public static final String LB_POLICY = "envoy.load_balancing_policies.dynamic_modules";

  /** Its message type. */
  static final String LB_TYPE =
      "envoy.extensions.load_balancing_policies.dynamic_modules.v3"
          + ".DynamicModulesLoadBalancerConfig";

  /** How long Envoy waits for a remote module's download, as Envoy Gateway sets it. */
  public static final long REMOTE_TIMEOUT_MS = 10_000;

  private DynamicModuleConfigs() {}

  /**
   * Puts {@code dynamic_module_config} (snake_case JSON) into {@code json}: the module's local file
   * or its remote URL (through the module's cluster) and SHA-256, {@code do_not_close} and {@code
   * load_globally}.
   */
  public static void put(ObjectNode json, DynamicModuleIr m) {
    ObjectNode dmc = json.putObject("dynamic_module_config");
    if (m.doNotClose()) {
      dmc.put("do_not_close", true);
    }
    if (m.loadGlobally()) {
      dmc.put("load_globally", true);
    }
    ObjectNode module = dmc.putObject("module");
    if (m.url() != null) {
      ObjectNode remote = module.putObject("remote");
      ObjectNode uri = remote.putObject("http_uri");
      uri.put("uri", m.url());
      uri.put("cluster", m.cluster().name());
      uri.put("timeout", (REMOTE_TIMEOUT_MS / 1000) + "s");
      remote.put("sha256", m.sha256());
    } else {
      module.putObject("local").put("filename", m.path());
    }
  }

  /**
   * Sets the cluster's load balancing policy to the module's load balancer: {@code lb_policy_name}
   * is the load balancer's name in the module ({@code filterName} of the IR), {@code
   * lb_policy_config} its config as a string of JSON (Envoy hands a {@code StringValue}'s text to
   * the module as it is).
   */
  static void loadBalancer(Cluster.Builder c, DynamicModuleIr m) {
    if (m.path() == null) {
      // The translator refuses the rest: Envoy loads a load balancer's module from a local file
      // only (a remote one needs an init manager, which a cluster's load balancer has not).
      throw new IllegalStateException("dynamic module " + m.name() + " has no local path");
    }
    com.fasterxml.jackson.databind.node.ObjectNode json =
        io.eg4j.model.bus.Json.MAPPER.createObjectNode();
    put(json, m);
    json.put("lb_policy_name", m.filterName());
    if (m.config() != null) {
      json.putObject("lb_policy_config")
          .put("@type", "type.googleapis.com/google.protobuf.StringValue")
          .put("value", m.config());
    }
    Any config = Protos.typedStruct(LB_TYPE, json);
    c.clearLbPolicy();
    c.clearRoundRobinLbConfig().clearLeastRequestLbConfig().clearMaglevLbConfig();
    c.setLoadBalancingPolicy(
        LoadBalancingPolicy.newBuilder()
            .addPolicies(
                LoadBalancingPolicy.Policy.newBuilder()
                    .setTypedExtensionConfig(
                        TypedExtensionConfig.newBuilder()
                            .setName(LB_POLICY)
                            .setTypedConfig(config))));
  }
}
