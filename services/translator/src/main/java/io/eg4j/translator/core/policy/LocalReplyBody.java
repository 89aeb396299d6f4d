package io.eg4j.translator.core.policy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The body of a response Envoy answers itself (an HTTPRouteFilter direct response, a
 * BackendTrafficPolicy response override) taken from a ConfigMap, as the CRDs define it: the value
 * of its {@code response.body} key, else its first value in key order (the order in which the API
 * server lists them); at most 4 KiB, Envoy's default bound that Envoy Gateway checks.
 */
public final class LocalReplyBody {
  /** The key that holds the body. */
  public static final String KEY = "response.body";

  /** The largest body, in bytes. */
  public static final int MAX = 4096;

  private LocalReplyBody() {}

  /** The body the ConfigMap's {@code data} holds, or null when it has no key at all. */
  public static String fromConfigMap(Map<String, String> data) {
    String body = data.get(KEY);
    if (body != null) {
      return body;
    }
    return new TreeMap<>(data).values().stream().findFirst().orElse(null);
  }

  /** Envoy Gateway's message when {@code body} is over {@link #MAX} bytes, or null when it fits. */
  public static String tooLarge(String body) {
    int size = body.getBytes(StandardCharsets.UTF_8).length;
    return size > MAX ? "response.body size " + size + " greater than the max size " + MAX : null;
  }
}
