package io.eg4j.xds.core;

import com.google.protobuf.Any;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.SlowStartConfig;

/**
 * Envoy's client-side weighted round robin policy with its slow start ({@code slow_start_config},
 * field 8), which the java-control-plane protos eg4j builds with predate. The message is packed
 * under its own type with a descriptor that extends the generated one by that field (the number
 * checked against Envoy 1.40's config dump), so Envoy reads the real type and the config dump
 * prints the field.
 */
final class ClientSideWrrXds {
  private static final Descriptors.Descriptor EXTENDED;
  private static final Descriptors.FieldDescriptor SLOW_START;

  static {
    Descriptors.FileDescriptor generated = ClientSideWeightedRoundRobin.getDescriptor().getFile();
    Descriptors.FileDescriptor common = SlowStartConfig.getDescriptor().getFile();
    FileDescriptorProto.Builder file =
        generated.toProto().toBuilder()
            .setName("eg4j/" + generated.getName())
            .addDependency(common.getName());
    DescriptorProto.Builder message =
        file.getMessageTypeBuilderList().stream()
            .filter(m -> m.getName().equals("ClientSideWeightedRoundRobin"))
            .findFirst()
            .orElseThrow();
    message.addField(
        FieldDescriptorProto.newBuilder()
            .setName("slow_start_config")
            .setJsonName("slowStartConfig")
            .setNumber(8)
            .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
            .setType(FieldDescriptorProto.Type.TYPE_MESSAGE)
            .setTypeName("." + SlowStartConfig.getDescriptor().getFullName()));
    java.util.List<Descriptors.FileDescriptor> deps =
        new java.util.ArrayList<>(generated.getDependencies());
    deps.add(common);
    try {
      Descriptors.FileDescriptor fd =
          Descriptors.FileDescriptor.buildFrom(
              file.build(), deps.toArray(new Descriptors.FileDescriptor[0]));
      EXTENDED = fd.findMessageTypeByName("ClientSideWeightedRoundRobin");
      SLOW_START = EXTENDED.findFieldByName("slow_start_config");
    } catch (Descriptors.DescriptorValidationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private ClientSideWrrXds() {}

  /** The policy packed under its own type, with a slow start when {@code slowStart} is not null. */
  static Any pack(ClientSideWeightedRoundRobin policy, SlowStartConfig slowStart) {
    try {
      DynamicMessage.Builder m =
          DynamicMessage.newBuilder(EXTENDED).mergeFrom(policy.toByteString());
      if (slowStart != null) {
        m.setField(
            SLOW_START,
            DynamicMessage.parseFrom(SLOW_START.getMessageType(), slowStart.toByteString()));
      }
      return Protos.any(m.build());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot re-read a client-side weighted round robin", e);
    }
  }
}
