package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;

/**
 * The backendRefs of a service a policy calls (an authorization service, a JWKS or OIDC provider,
 * an external processor): Envoy's filter names one cluster, so several backendRefs become one
 * destination whose backend groups are the backendRefs, weighted by their weights, each with its
 * own TLS (its BackendTLSPolicy or the Backend's); the xds-server serves it as one cluster with a
 * locality per group.
 */
public final class PolicyBackendGroups {
  private PolicyBackendGroups() {}

  /**
   * A grouped destination and the first backendRef's own destination.
   *
   * @param destination one destination with a backend group per backendRef
   * @param first what the first backendRef resolved to on its own
   */
  public record Grouped(RouteDestinationIr destination, RouteDestinationIr first) {}

  /** A backendRef's reference (kind Service unless set). */
  public static ObjectRef ref(JsonNode r) {
    return new ObjectRef(
        r.path("group").asText(""),
        r.path("kind").asText("Service"),
        r.path("name").asText(""),
        r.hasNonNull("namespace") ? r.get("namespace").asText() : null,
        r.hasNonNull("port") ? r.get("port").asInt() : null);
  }

  /**
   * The destination {@code name} of {@code refs} (at least one): the first backendRef's own when it
   * is the only one, else one destination with a backend group per backendRef ({@link #grouped}).
   */
  static RouteDestinationIr of(
      PolicyEnv env,
      ObjectNode policy,
      String name,
      List<JsonNode> refs,
      String protocol,
      String where)
      throws PolicyException {
    if (refs.size() == 1) {
      return env.backend(policy, name, ref(refs.get(0)), protocol);
    }
    return grouped(env, policy, name, refs, protocol, where).destination();
  }

  /**
   * One destination {@code name} with a backend group {@code name/backend/<i>} per backendRef of
   * {@code refs} (at least one), even a single one.
   *
   * @param where the field, for the message when IP and FQDN backendRefs are mixed
   */
  public static Grouped grouped(
      PolicyEnv env,
      ObjectNode policy,
      String name,
      List<JsonNode> refs,
      String protocol,
      String where)
      throws PolicyException {
    RouteDestinationIr first = null;
    List<DestinationSettingIr> settings = new ArrayList<>();
    for (int j = 0; j < refs.size(); j++) {
      JsonNode r = refs.get(j);
      RouteDestinationIr d = env.backend(policy, name, ref(r), protocol);
      if (first == null) {
        first = d;
      }
      for (DestinationSettingIr s : d.settings()) {
        settings.add(
            new DestinationSettingIr(
                name + "/backend/" + j,
                r.hasNonNull("weight") ? r.get("weight").asInt() : s.weight(),
                s.protocol(),
                s.addressType(),
                s.endpoints(),
                s.tls(),
                s.requestHeaders(),
                s.responseHeaders()));
      }
    }
    if (settings.stream().map(DestinationSettingIr::addressType).distinct().count() > 1) {
      // One cluster is either EDS (IP addresses) or DNS (hostnames), never both.
      throw new PolicyException(
          where + ": backendRefs mix IP and FQDN addresses, which one cluster cannot serve");
    }
    return new Grouped(new RouteDestinationIr(name, settings), first);
  }
}
