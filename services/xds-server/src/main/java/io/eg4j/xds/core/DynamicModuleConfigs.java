package io.eg4j.xds.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.StringValue;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.AsyncDataSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;

/**
 * Envoy's {@code dynamic_module_config} of a module the EnvoyProxy registers (shared by the dynamic
 * modules HTTP filter and load balancer), and the dynamic modules load balancing policy.
 *
 * <p>The module source ({@code module.local}/{@code module.remote}) and {@code load_globally} are
 * newer than the protos eg4j builds with: the filter travels as a TypedStruct, which Envoy reads
 * with its own descriptors. The load balancing policy's message ({@code
 * DynamicModulesLoadBalancerConfig}), newer too, is described here and sent typed, as Envoy Gateway
 * sends it.
 */
public final class DynamicModuleConfigs {
  /** The load balancing policy's extension name. */
  public static final String LB_POLICY = "envoy.load_balancing_policies.dynamic_modules";

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
   * lb_policy_config} its config as a {@code StringValue} of JSON (Envoy hands its text to the
   * module as it is).
   */
  static void loadBalancer(Cluster.Builder c, DynamicModuleIr m) {
    if (m.path() == null) {
      // The translator refuses the rest: Envoy loads a load balancer's module from a local file
      // only (a remote one needs an init manager, which a cluster's load balancer has not).
      throw new IllegalStateException("dynamic module " + m.name() + " has no local path");
    }
    DynamicMessage.Builder module = DynamicMessage.newBuilder(LB_MODULE);
    if (m.doNotClose()) {
      module.setField(LB_MODULE.findFieldByName("do_not_close"), true);
    }
    if (m.loadGlobally()) {
      module.setField(LB_MODULE.findFieldByName("load_globally"), true);
    }
    module.setField(
        LB_MODULE.findFieldByName("module"),
        AsyncDataSource.newBuilder()
            .setLocal(DataSource.newBuilder().setFilename(m.path()))
            .build());
    DynamicMessage.Builder config =
        DynamicMessage.newBuilder(LB_CONFIG)
            .setField(LB_CONFIG.findFieldByName("dynamic_module_config"), module.build())
            .setField(LB_CONFIG.findFieldByName("lb_policy_name"), m.filterName());
    if (m.config() != null) {
      config.setField(
          LB_CONFIG.findFieldByName("lb_policy_config"), Protos.any(StringValue.of(m.config())));
    }
    c.clearLbPolicy();
    c.clearRoundRobinLbConfig().clearLeastRequestLbConfig().clearMaglevLbConfig();
    c.setLoadBalancingPolicy(
        LoadBalancingPolicy.newBuilder()
            .addPolicies(
                LoadBalancingPolicy.Policy.newBuilder()
                    .setTypedExtensionConfig(
                        TypedExtensionConfig.newBuilder()
                            .setName(LB_POLICY)
                            .setTypedConfig(Protos.any(config.build())))));
  }

  /**
   * {@code DynamicModulesLoadBalancerConfig}, which the protos eg4j builds with lack, described
   * here as Envoy 1.40 declares it (its field numbers and types, read from the binary's own
   * descriptors). Its {@code dynamic_module_config} is Envoy's {@code DynamicModuleConfig} with the
   * fields newer than those protos ({@code load_globally} 4, {@code module} 6): a nested type of
   * the same wire shape, so that it does not shadow the older {@code DynamicModuleConfig} by name.
   */
  private static final Descriptors.Descriptor LB_CONFIG;

  private static final Descriptors.Descriptor LB_MODULE;

  static {
    String pkg = "envoy.extensions.load_balancing_policies.dynamic_modules.v3";
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("eg4j/" + pkg.replace('.', '/') + "/dynamic_modules.proto")
            .setPackage(pkg)
            .setSyntax("proto3")
            .addDependency(AsyncDataSource.getDescriptor().getFile().getName())
            .addDependency(com.google.protobuf.Any.getDescriptor().getFile().getName())
            .addMessageType(
                DescriptorProto.newBuilder()
                    .setName("DynamicModulesLoadBalancerConfig")
                    .addNestedType(
                        DescriptorProto.newBuilder()
                            .setName("DynamicModuleConfig")
                            .addField(field("name", 1, FieldDescriptorProto.Type.TYPE_STRING, null))
                            .addField(
                                field("do_not_close", 3, FieldDescriptorProto.Type.TYPE_BOOL, null))
                            .addField(
                                field(
                                    "load_globally", 4, FieldDescriptorProto.Type.TYPE_BOOL, null))
                            .addField(
                                field(
                                    "module",
                                    6,
                                    FieldDescriptorProto.Type.TYPE_MESSAGE,
                                    "." + AsyncDataSource.getDescriptor().getFullName())))
                    .addField(
                        field(
                            "dynamic_module_config",
                            1,
                            FieldDescriptorProto.Type.TYPE_MESSAGE,
                            "." + pkg + ".DynamicModulesLoadBalancerConfig.DynamicModuleConfig"))
                    .addField(
                        field("lb_policy_name", 2, FieldDescriptorProto.Type.TYPE_STRING, null))
                    .addField(
                        field(
                            "lb_policy_config",
                            3,
                            FieldDescriptorProto.Type.TYPE_MESSAGE,
                            ".google.protobuf.Any")))
            .build();
    try {
      Descriptors.FileDescriptor fd =
          Descriptors.FileDescriptor.buildFrom(
              file,
              new Descriptors.FileDescriptor[] {
                AsyncDataSource.getDescriptor().getFile(),
                com.google.protobuf.Any.getDescriptor().getFile()
              });
      LB_CONFIG = fd.findMessageTypeByName("DynamicModulesLoadBalancerConfig");
      LB_MODULE = LB_CONFIG.findNestedTypeByName("DynamicModuleConfig");
    } catch (Descriptors.DescriptorValidationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static FieldDescriptorProto field(
      String name, int number, FieldDescriptorProto.Type type, String typeName) {
    FieldDescriptorProto.Builder f =
        FieldDescriptorProto.newBuilder()
            .setName(name)
            .setJsonName(jsonName(name))
            .setNumber(number)
            .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
            .setType(type);
    if (typeName != null) {
      f.setTypeName(typeName);
    }
    return f.build();
  }

  private static String jsonName(String snake) {
    StringBuilder out = new StringBuilder();
    boolean upper = false;
    for (char ch : snake.toCharArray()) {
      if (ch == '_') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(ch) : ch);
        upper = false;
      }
    }
    return out.toString();
  }
}
