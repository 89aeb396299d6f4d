package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.LoadBalancerIr;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyException;
import io.eg4j.translator.core.policy.extension.DynamicModuleTranslator;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * BackendTrafficPolicy {@code loadBalancer.type: DynamicModule}: Envoy's {@code dynamic_modules}
 * load balancing policy runs a load balancer from a shared library that the infrastructure operator
 * registered by name in the EnvoyProxy of the policy's Gateways ({@code spec.dynamicModules}, the
 * registry EnvoyExtensionPolicy dynamic modules use). The policy names the module ({@code name}),
 * the load balancer inside it ({@code lbPolicyName}) and gives it a {@code config}, handed to the
 * module as JSON text.
 *
 * <p>A name the EnvoyProxy of a Gateway the policy reaches does not register makes the policy
 * invalid, with Envoy Gateway's message, and its routes answer 500. A module registered with a
 * remote source is refused without applying the policy: Envoy (1.40) loads a load balancer's module
 * only from a local file ("Remote module sources require an init manager": it rejects the cluster).
 */
public final class DynamicModuleLoadBalancerTranslator {
  static final List<String> SUPPORTED =
      List.of(
          "loadBalancer.dynamicModule.name",
          "loadBalancer.dynamicModule.lbPolicyName",
          "loadBalancer.dynamicModule.config.**");

  private DynamicModuleLoadBalancerTranslator() {}

  /** True when the settings have a {@code DynamicModule} load balancer. */
  public static boolean present(ClusterSettingsIr cluster) {
    return cluster != null
        && cluster.loadBalancer() != null
        && cluster.loadBalancer().dynamicModule() != null;
  }

  /**
   * The settings with the module resolved against the registries of the Gateways the policy
   * reaches: every one must hold it; the IR takes it as the first registers it (each route gets its
   * own Gateway's, {@link #forGateway}). Unchanged when no Gateway is known yet.
   *
   * @param envoyProxies the specs of the EnvoyProxies in effect for those Gateways (an element is
   *     null for a Gateway without one)
   * @throws PolicyException {@code LoadBalancer: <why>} for each registry that cannot give the
   *     module, or a refusal ({@link FieldSupport#isUnsupported}) for a remote module
   */
  public static ClusterSettingsIr resolve(ClusterSettingsIr cluster, List<JsonNode> envoyProxies)
      throws PolicyException {
    if (!present(cluster) || envoyProxies.isEmpty()) {
      return cluster;
    }
    Set<String> invalid = new LinkedHashSet<>();
    String refused = null;
    ClusterSettingsIr out = null;
    for (JsonNode ep : envoyProxies) {
      try {
        ClusterSettingsIr resolved = forGateway(cluster, ep);
        if (out == null) {
          out = resolved;
        }
      } catch (PolicyException e) {
        if (FieldSupport.isUnsupported(e.getMessage())) {
          refused = refused == null ? e.getMessage() : refused;
        } else {
          invalid.add(e.getMessage());
        }
      }
    }
    if (!invalid.isEmpty()) {
      throw new PolicyException(String.join("; ", invalid));
    }
    if (refused != null) {
      throw new PolicyException(refused);
    }
    return out;
  }

  /**
   * The settings with the module as the EnvoyProxy of one Gateway registers it.
   *
   * @param envoyProxy the EnvoyProxy spec in effect for the Gateway, or null when it has none
   * @throws PolicyException as {@link #resolve}
   */
  public static ClusterSettingsIr forGateway(ClusterSettingsIr cluster, JsonNode envoyProxy)
      throws PolicyException {
    if (!present(cluster)) {
      return cluster;
    }
    LoadBalancerIr lb = cluster.loadBalancer();
    DynamicModuleIr ref = lb.dynamicModule();
    if (envoyProxy == null) {
      throw new PolicyException(
          "LoadBalancer: EnvoyProxy is required for DynamicModule load balancer policy");
    }
    DynamicModuleIr module;
    try {
      module =
          DynamicModuleTranslator.registered(
              ref.name(), ref.filterName(), ref.config(), envoyProxy);
    } catch (PolicyException e) {
      throw new PolicyException("LoadBalancer: " + e.getMessage());
    }
    if (module.url() != null) {
      List<String> field = new ArrayList<>();
      field.add(
          "loadBalancer.dynamicModule.name (module \""
              + ref.name()
              + "\" has a Remote source: Envoy loads a load balancer's module only from a local"
              + " path and rejects the cluster otherwise, \"Remote module sources require an init"
              + " manager\")");
      throw new PolicyException(FieldSupport.message(field));
    }
    return cluster.withLoadBalancer(lb.withDynamicModule(module));
  }
}
