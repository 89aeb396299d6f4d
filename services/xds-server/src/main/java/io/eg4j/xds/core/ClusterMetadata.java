package io.eg4j.xds.core;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import java.util.Map;
import java.util.Optional;

/**
 * The metadata Envoy Gateway puts on a cluster: the Kubernetes object it was made for, under the
 * filter metadata key {@code envoy-gateway}, so access logs, stats and extensions can name the
 * route behind an upstream. The translator names clusters {@code <kind>/<namespace>/<name>/...}
 * (for example {@code httproute/default/web/rule/0}); the kind comes back in its API spelling.
 */
final class ClusterMetadata {
  static final String KEY = "envoy-gateway";

  private static final Map<String, String> KINDS =
      Map.of(
          "httproute", "HTTPRoute",
          "grpcroute", "GRPCRoute",
          "tlsroute", "TLSRoute",
          "tcproute", "TCPRoute",
          "udproute", "UDPRoute",
          "securitypolicy", "SecurityPolicy",
          "envoyextensionpolicy", "EnvoyExtensionPolicy",
          "backendtrafficpolicy", "BackendTrafficPolicy");

  private ClusterMetadata() {}

  /** The metadata for a cluster name, or empty when the name does not follow the scheme. */
  static Optional<Metadata> of(String clusterName) {
    String[] parts = clusterName.split("/", 4);
    if (parts.length < 3 || !KINDS.containsKey(parts[0])) {
      return Optional.empty();
    }
    Map<String, String> fields = new java.util.LinkedHashMap<>();
    fields.put("kind", KINDS.get(parts[0]));
    fields.put("namespace", parts[1]);
    fields.put("name", parts[2]);
    return Optional.of(resource(fields));
  }

  /** Envoy Gateway's metadata naming one Kubernetes object: {@code resources: [fields]}. */
  static Metadata resource(Map<String, String> fields) {
    Struct.Builder resource = Struct.newBuilder();
    fields.forEach((k, v) -> resource.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct meta =
        Struct.newBuilder()
            .putFields(
                "resources",
                Value.newBuilder()
                    .setListValue(
                        ListValue.newBuilder()
                            .addValues(Value.newBuilder().setStructValue(resource)))
                    .build())
            .build();
    return Metadata.newBuilder().putFilterMetadata(KEY, meta).build();
  }
}
