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
    Struct resource =
        Struct.newBuilder()
            .putFields("kind", Value.newBuilder().setStringValue(KINDS.get(parts[0])).build())
            .putFields("namespace", Value.newBuilder().setStringValue(parts[1]).build())
            .putFields("name", Value.newBuilder().setStringValue(parts[2]).build())
            .build();
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
    return Optional.of(Metadata.newBuilder().putFilterMetadata(KEY, meta).build());
  }
}
