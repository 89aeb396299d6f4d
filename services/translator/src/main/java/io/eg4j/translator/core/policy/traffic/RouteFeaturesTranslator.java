package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.traffic.TrafficIr.FaultIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;

/**
 * BackendTrafficPolicy features enforced on the route itself: HTTP upgrades, response compression,
 * fault injection and request buffering.
 */
final class RouteFeaturesTranslator {
  private RouteFeaturesTranslator() {}

  static final List<String> SUPPORTED =
      List.of(
          "httpUpgrade[].type",
          "httpUpgrade[].connect",
          "httpUpgrade[].connect.terminate",
          "compression[].type",
          "compression[].gzip",
          "compression[].brotli",
          "compression[].zstd",
          "compression[].minContentLength",
          "compressor[].type",
          "compressor[].gzip",
          "compressor[].brotli",
          "compressor[].zstd",
          "compressor[].minContentLength",
          "faultInjection.abort.httpStatus",
          "faultInjection.abort.grpcStatus",
          "faultInjection.abort.percentage",
          "faultInjection.delay.fixedDelay",
          "faultInjection.delay.percentage",
          "requestBuffer.limit",
          "useClientProtocol",
          "timeout.http.streamIdleTimeout",
          "timeout.http.maxStreamDuration",
          "bandwidthLimit.request.limit.value",
          "bandwidthLimit.request.limit.unit",
          "bandwidthLimit.response.limit.value",
          "bandwidthLimit.response.limit.unit",
          "bandwidthLimit.response.responseTrailers.prefix");

  /**
   * {@code spec.bandwidthLimit.<direction>.limit} in KiB per second (Envoy's unit), or null. The
   * limit must come to at least 1 KiB/s.
   */
  static Long bandwidth(JsonNode spec, String direction) throws PolicyException {
    JsonNode limit = spec.path("bandwidthLimit").path(direction).path("limit");
    if (!limit.isObject()) {
      return null;
    }
    String where = "spec.bandwidthLimit." + direction + ".limit";
    long perUnit =
        ClusterSettingsTranslator.quantity(limit.path("value").asText(""), where + ".value");
    long seconds =
        switch (limit.path("unit").asText("")) {
          case "Second" -> 1;
          case "Minute" -> 60;
          case "Hour" -> 3600;
          default -> throw new PolicyException(where + ".unit: must be Second, Minute or Hour");
        };
    long kbps = perUnit / seconds / 1024;
    if (kbps < 1) {
      throw new PolicyException(
          where
              + ": "
              + limit.path("value").asText()
              + " per "
              + limit.path("unit").asText()
              + " is under 1 KiB per second, the least Envoy limits to");
    }
    return kbps;
  }

  /**
   * {@code spec.httpUpgrade}: the upgrade types, or null when not set. A route upgraded to CONNECT
   * matches CONNECT requests (on any path) instead of its path match.
   */
  static List<String> httpUpgrade(JsonNode spec) throws PolicyException {
    JsonNode list = spec.get("httpUpgrade");
    if (list == null || list.isNull()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (JsonNode u : list) {
      String type = u.path("type").asText("");
      if (type.isEmpty()) {
        throw new PolicyException("spec.httpUpgrade: an upgrade needs a type");
      }
      if (type.equalsIgnoreCase("CONNECT")) {
        type = "CONNECT";
      } else if (u.has("connect")) {
        throw new PolicyException("spec.httpUpgrade: connect is only for the CONNECT type");
      }
      if (!out.contains(type)) {
        out.add(type);
      }
    }
    return out;
  }

  /**
   * True when {@code spec.httpUpgrade} terminates CONNECT requests ({@code connect.terminate}):
   * Envoy answers the CONNECT itself and sends the tunnelled bytes to the backend as a TCP stream,
   * instead of forwarding the CONNECT request.
   */
  static boolean connectTerminate(JsonNode spec) {
    for (JsonNode u : spec.path("httpUpgrade")) {
      if (u.path("type").asText("").equalsIgnoreCase("CONNECT")
          && u.path("connect").path("terminate").asBoolean(false)) {
        return true;
      }
    }
    return false;
  }

  /** {@code spec.compression} (or its older name {@code compressor}): the types in order. */
  static List<String> compression(JsonNode spec) throws PolicyException {
    JsonNode list = spec.has("compression") ? spec.get("compression") : spec.get("compressor");
    List<String> out = new ArrayList<>();
    if (list == null) {
      return out;
    }
    for (JsonNode c : list) {
      String type = c.path("type").asText("");
      if (!List.of("Gzip", "Brotli", "Zstd").contains(type)) {
        throw new PolicyException("spec.compression: unknown type " + type);
      }
      if (!out.contains(type)) {
        out.add(type);
      }
    }
    return out;
  }

  /**
   * {@code compression[].minContentLength} per compressor type, in bytes: responses shorter than
   * this are not compressed. Envoy's compressor needs at least 30 bytes, its default; the value
   * must fit Envoy's 32-bit field. A type listed twice keeps its first entry's length.
   */
  static java.util.Map<String, Long> compressionMinContentLength(JsonNode spec)
      throws PolicyException {
    String name = spec.has("compression") ? "compression" : "compressor";
    JsonNode list = spec.path(name);
    java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode c = list.get(i);
      String type = c.path("type").asText("");
      if (!c.hasNonNull("minContentLength") || out.containsKey(type)) {
        continue;
      }
      String where = "spec." + name + "[" + i + "].minContentLength";
      long bytes = ClusterSettingsTranslator.quantity(c.path("minContentLength").asText(), where);
      if (bytes < 30 || bytes > 0xFFFFFFFFL) {
        throw new PolicyException(where + ": must be between 30 bytes and 4Gi");
      }
      out.put(type, bytes);
    }
    return out;
  }

  /** {@code spec.faultInjection}, or null. */
  static FaultIr fault(JsonNode spec) throws PolicyException {
    JsonNode f = spec.path("faultInjection");
    if (!f.isObject()) {
      return null;
    }
    JsonNode abort = f.path("abort");
    JsonNode delay = f.path("delay");
    Integer http = null;
    Integer grpc = null;
    Double abortPercent = null;
    if (abort.isObject()) {
      if (abort.has("httpStatus") == abort.has("grpcStatus")) {
        throw new PolicyException(
            "spec.faultInjection.abort: exactly one of httpStatus and grpcStatus");
      }
      if (abort.has("httpStatus")) {
        http = abort.path("httpStatus").asInt();
        if (http < 200 || http >= 600) {
          throw new PolicyException(
              "spec.faultInjection.abort.httpStatus: " + http + " is outside 200 to 599");
        }
      } else {
        grpc = abort.path("grpcStatus").asInt();
        if (grpc < 0 || grpc > 16) {
          throw new PolicyException(
              "spec.faultInjection.abort.grpcStatus: " + grpc + " is not a gRPC status");
        }
      }
      abortPercent = percent(abort, "spec.faultInjection.abort.percentage");
    }
    io.eg4j.model.ir.DurationIr fixed = null;
    double delayPercent = 100;
    if (delay.isObject()) {
      fixed =
          ClusterSettingsTranslator.duration(
              delay.get("fixedDelay"), "spec.faultInjection.delay.fixedDelay");
      if (fixed == null) {
        throw new PolicyException("spec.faultInjection.delay: fixedDelay is required");
      }
      delayPercent = percent(delay, "spec.faultInjection.delay.percentage");
    }
    if (http == null && grpc == null && fixed == null) {
      throw new PolicyException("spec.faultInjection: set an abort or a delay");
    }
    return new FaultIr(http, grpc, abortPercent, fixed, delayPercent);
  }

  private static double percent(JsonNode n, String where) throws PolicyException {
    double p = n.path("percentage").asDouble(100);
    if (p < 0 || p > 100) {
      throw new PolicyException(where + ": " + p + " is outside 0 to 100");
    }
    return p;
  }

  /** {@code spec.requestBuffer.limit} in bytes, or null. */
  static Long requestBuffer(JsonNode spec) throws PolicyException {
    JsonNode buffer = spec.get("requestBuffer");
    if (buffer == null || buffer.isNull()) {
      return null;
    }
    JsonNode limit = buffer.get("limit");
    if (limit == null || limit.isNull()) {
      // Envoy's buffer filter needs a size above zero; Envoy Gateway would hand it zero.
      throw new PolicyException("spec.requestBuffer.limit: must be set, between 1 and 4Gi");
    }
    long bytes = ClusterSettingsTranslator.quantity(limit.asText(), "spec.requestBuffer.limit");
    if (bytes < 1 || bytes > 0xFFFFFFFFL) {
      throw new PolicyException("spec.requestBuffer.limit: must be between 1 and 4Gi");
    }
    return bytes;
  }
}
