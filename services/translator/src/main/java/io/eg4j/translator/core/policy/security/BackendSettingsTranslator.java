package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.security.PolicyRetryIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code backendSettings} of a policy's own backend (JWKS, OIDC token endpoint, external
 * authorization service): the retry policy of the filter's calls, and the cluster settings (circuit
 * breaker, connection buffer, DNS, load balancer, TCP keepalive, timeouts, PROXY protocol, active
 * and passive health checks). The per-retry timeout and a consistent hash's key are accepted but
 * cannot reach Envoy (the policy says so in a Warning, see FieldSupport.declined). Settings not in
 * the SUPPORTED lists (HTTP/2 options, zone-aware or utilization-based balancing …) fail closed.
 */
public final class BackendSettingsTranslator {
  private BackendSettingsTranslator() {}

  /** The enforced paths under {@code prefix.backendSettings}. */
  public static List<String> supported(String prefix) {
    String r = prefix + ".backendSettings.retry.";
    String b = prefix + ".backendSettings.";
    List<String> out =
        new ArrayList<>(
            List.of(
                r + "numRetries",
                r + "perRetry.backOff.baseInterval",
                r + "perRetry.backOff.maxInterval",
                // Accepted as Envoy Gateway accepts it, and reported: FieldSupport.declined.
                r + "perRetry.timeout",
                r + "retryOn.triggers[]"));
    for (String f : ClusterSettingsTranslator.FIELDS) {
      out.add(b + f);
    }
    return List.copyOf(out);
  }

  /** A feature's own enforced paths plus those of its backend's {@code prefix.backendSettings}. */
  static List<String> withSupported(String prefix, List<String> own) {
    List<String> out = new ArrayList<>(supported(prefix));
    out.addAll(own);
    return List.copyOf(out);
  }

  /** The cluster settings of {@code backendSettings} (raw JSON), or null when it sets none. */
  public static ClusterSettingsIr cluster(JsonNode bs, String where) throws PolicyException {
    // A consistent hash's key (loadBalancer.consistentHash) cannot apply to the filter's own
    // calls: the cluster gets the balancer, and the policy's Warning says the key is not applied
    // (FieldSupport.declined).
    return ClusterSettingsTranslator.translate(bs, where);
  }

  /** The retry policy of {@code backendSettings} (raw JSON), or null when it sets none. */
  public static PolicyRetryIr retry(JsonNode backendSettings, String where) throws PolicyException {
    JsonNode retry = backendSettings == null ? null : backendSettings.get("retry");
    if (retry == null || !retry.isObject()) {
      return null;
    }
    JsonNode backOff = retry.path("perRetry").path("backOff");
    List<String> on = new ArrayList<>();
    retry.path("retryOn").path("triggers").forEach(t -> on.add(t.asText()));
    return new PolicyRetryIr(
        retry.path("numRetries").asInt(2),
        ClusterSettingsTranslator.duration(
            backOff.get("baseInterval"), where + ".retry.perRetry.backOff.baseInterval"),
        ClusterSettingsTranslator.duration(
            backOff.get("maxInterval"), where + ".retry.perRetry.backOff.maxInterval"),
        on);
  }
}
