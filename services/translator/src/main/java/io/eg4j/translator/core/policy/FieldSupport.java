package io.eg4j.translator.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The fail-closed check (DESIGN.md invariant 9): a policy may be Accepted only if every field it
 * sets reaches the configuration Envoy receives. Each policy kind lists the spec paths it enforces;
 * this class walks the spec as written (raw JSON, so defaulted fields do not count as set) and
 * returns every set field that is not on the list.
 *
 * <p>Paths are dotted field names with {@code []} for list items: {@code jwt.providers[].issuer}. A
 * pattern ending in {@code .**} covers a whole subtree: {@code cors.**}.
 */
public final class FieldSupport {
  /** Fields that only say where a policy attaches; the policy processor handles them. */
  public static final List<String> ATTACHMENT =
      List.of("targetRef.**", "targetRefs.**", "targetSelectors.**", "mergeType");

  private FieldSupport() {}

  /**
   * The set fields of {@code spec} not covered by {@code supported}, as concrete paths ({@code
   * spec.jwt.providers[1].foo}), in document order.
   */
  public static List<String> unsupported(JsonNode spec, Collection<String> supported) {
    List<String> out = new ArrayList<>();
    List<String> lower = new ArrayList<>();
    for (String s : supported) {
      lower.add(s.toLowerCase(java.util.Locale.ROOT));
    }
    walk(spec, "", "", lower, out);
    return out;
  }

  /** The Warning reason for fields that are accepted but cannot reach Envoy. */
  public static final String NOT_APPLIED_REASON = "FieldNotApplied";

  /**
   * Settings Envoy Gateway accepts on the services a SecurityPolicy or EnvoyExtensionPolicy calls
   * (authorization, processing, JWKS, token endpoints) that no Envoy setting can carry, each with
   * the reason. They are accepted, as in Envoy Gateway, and reported in a Warning ({@link
   * #declined}), never dropped silently:
   *
   * <ul>
   *   <li>a per-try timeout: the retry policy of those calls ({@code config.core.v3.RetryPolicy})
   *       has none; the filter's own timeout bounds every try;
   *   <li>the key of a consistent hash (client address, header, cookie, query parameter): those
   *       calls are Envoy's own requests, made without a client connection or the client's request
   *       to hash, so the consistent-hash balancer the cluster gets spreads them without affinity.
   * </ul>
   */
  static final Map<String, String> DECLINED =
      Map.of(
          "backendSettings.retry.perRetry.timeout",
          "Envoy's retry policy for the calls of this filter has no per-try timeout (the filter's"
              + " timeout bounds all tries)",
          "backendSettings.loadBalancer.consistentHash",
          "the calls of this filter are Envoy's own requests, with no client connection or client"
              + " request to hash, so its consistent-hash balancer spreads them without affinity");

  /**
   * The Warning message for the declined settings {@code spec} sets (see {@link #DECLINED}), or
   * null when it sets none.
   */
  public static String declined(JsonNode spec) {
    Map<String, List<String>> found = new java.util.LinkedHashMap<>();
    findDeclined(spec, "", found);
    if (found.isEmpty()) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    found.forEach(
        (suffix, paths) ->
            parts.add(
                String.join(", ", paths)
                    + (paths.size() == 1 ? " is" : " are")
                    + " not applied: "
                    + DECLINED.get(suffix)));
    return String.join("; ", parts);
  }

  private static void findDeclined(JsonNode node, String path, Map<String, List<String>> out) {
    if (node == null) {
      return;
    }
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        String suffix =
            DECLINED.keySet().stream()
                .filter(d -> p.endsWith(d) && !e.getValue().isNull())
                .findFirst()
                .orElse(null);
        if (suffix != null) {
          out.computeIfAbsent(suffix, k -> new ArrayList<>()).add("spec." + p);
        } else {
          findDeclined(e.getValue(), p, out);
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        findDeclined(node.get(i), path + "[" + i + "]", out);
      }
    }
  }

  /** True when an Accepted=False message is the one {@link #message} writes. */
  public static boolean isUnsupported(String message) {
    return message != null && message.startsWith(UNSUPPORTED_PREFIX);
  }

  private static final String UNSUPPORTED_PREFIX = "not supported by eg4j yet";

  /**
   * The Accepted=False message for unsupported fields, or null when there are none: it names the
   * fields (at most five) and says the policy is not applied.
   */
  public static String message(List<String> unsupported) {
    if (unsupported.isEmpty()) {
      return null;
    }
    List<String> shown = unsupported.size() > 5 ? unsupported.subList(0, 5) : unsupported;
    String more = unsupported.size() > 5 ? " and " + (unsupported.size() - 5) + " more" : "";
    return UNSUPPORTED_PREFIX
        + ", so the policy is not applied: "
        + String.join(", ", shown)
        + more;
  }

  private static void walk(
      JsonNode node,
      String pattern,
      String concrete,
      Collection<String> supported,
      List<String> out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return;
    }
    if (!pattern.isEmpty() && covered(pattern, supported, node.size() > 0)) {
      return;
    }
    if (!pattern.isEmpty()
        && node.isObject()
        && node.isEmpty()
        && anySupportedBelow(pattern, supported)) {
      // An empty object whose members are enforced asks for the feature with its defaults
      // (retry: {} retries twice, healthCheck.passive: {} ejects with Envoy's defaults,
      // tcpKeepalive: {} turns keepalive on) or sets nothing (timeout: {}); the translator that
      // enforces the members handles both, and refuses an empty object that cannot work.
      return;
    }
    if (!pattern.isEmpty() && node.size() > 0 && !anySupportedBelow(pattern, supported)) {
      // Nothing under this field is enforced: name the field itself, not each of its leaves.
      out.add("spec." + concrete);
      return;
    }
    if (node.isObject() && node.size() > 0) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = e.getKey().toLowerCase(java.util.Locale.ROOT);
        String p = pattern.isEmpty() ? key : pattern + "." + key;
        String c = concrete.isEmpty() ? e.getKey() : concrete + "." + e.getKey();
        walk(e.getValue(), p, c, supported, out);
      }
    } else if (node.isArray() && node.size() > 0) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), pattern + "[]", concrete + "[" + i + "]", supported, out);
      }
    } else if (!pattern.isEmpty()) {
      out.add("spec." + concrete);
    }
  }

  private static boolean anySupportedBelow(String path, Collection<String> supported) {
    for (String s : supported) {
      if (s.startsWith(path + ".") || s.startsWith(path + "[")) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when a pattern covers a path: the exact path, for a leaf or an empty container, or a
   * {@code .**} pattern on the path or one of its ancestors.
   *
   * @param nonEmpty true for an object or list with members (an exact pattern does not cover it:
   *     each member is checked on its own)
   */
  private static boolean covered(String path, Collection<String> supported, boolean nonEmpty) {
    for (String s : supported) {
      if (s.endsWith(".**")) {
        String root = s.substring(0, s.length() - 3);
        if (path.equals(root) || path.startsWith(root + ".") || path.startsWith(root + "[")) {
          return true;
        }
      } else if (s.equals(path) && !nonEmpty) {
        return true;
      }
    }
    return false;
  }
}
