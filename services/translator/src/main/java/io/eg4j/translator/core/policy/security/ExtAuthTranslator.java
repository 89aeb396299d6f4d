package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.security.ExtAuthIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.ExtAuth;
import java.util.ArrayList;
import java.util.List;

/**
 * SecurityPolicy {@code extAuth}: an HTTP or gRPC authorization service checked by Envoy's
 * ext_authz filter before the route's backends. The service is a backendRef (Service, ServiceImport
 * or Backend) resolved like a route's, with its BackendTLSPolicy.
 */
final class ExtAuthTranslator {
  static final List<String> SUPPORTED = supported();

  private static List<String> supported() {
    List<String> s = new ArrayList<>();
    for (String proto : List.of("grpc", "http")) {
      for (String f : List.of("group", "kind", "name", "namespace", "port")) {
        s.add("extAuth." + proto + ".backendRef." + f);
        s.add("extAuth." + proto + ".backendRefs[]." + f);
      }
    }
    s.addAll(BackendSettingsTranslator.supported("extAuth.grpc"));
    s.addAll(
        List.of(
            "extAuth.http.path",
            "extAuth.http.headersToBackend[]",
            "extAuth.headersToExtAuth[]",
            "extAuth.bodyToExtAuth.maxRequestBytes",
            "extAuth.failOpen",
            "extAuth.timeout",
            "extAuth.recomputeRoute"));
    return List.copyOf(s);
  }

  private ExtAuthTranslator() {}

  static ExtAuthIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    ExtAuth a = spec.getExtAuth();
    if (a == null) {
      return null;
    }
    boolean grpc = a.getGrpc() != null;
    if (grpc == (a.getHttp() != null)) {
      throw new PolicyException("spec.extAuth needs exactly one of grpc and http");
    }
    JsonNode service = Json.MAPPER.valueToTree(grpc ? a.getGrpc() : a.getHttp());
    List<JsonNode> refs = new ArrayList<>();
    if (service.path("backendRef").isObject()) {
      refs.add(service.path("backendRef"));
    }
    service.path("backendRefs").forEach(refs::add);
    if (refs.isEmpty()) {
      throw new PolicyException("spec.extAuth." + (grpc ? "grpc" : "http") + " needs a backendRef");
    }
    JsonNode r = refs.get(0);
    String policyNs = policy.path("metadata").path("namespace").asText("");
    String ns = r.path("namespace").asText(policyNs);
    Integer port = r.hasNonNull("port") ? r.get("port").asInt() : null;
    ObjectRef ref =
        new ObjectRef(
            r.path("group").asText(""),
            r.path("kind").asText("Service"),
            r.path("name").asText(""),
            r.hasNonNull("namespace") ? ns : null,
            port);
    String id =
        "securitypolicy/" + policyNs + "/" + policy.path("metadata").path("name").asText("");
    RouteDestinationIr dest = env.backend(policy, id + "/extauth/0", ref, grpc ? "GRPC" : "HTTP");
    String authority = authority(ref, ns, dest);
    DurationIr timeout = DurationIr.parse("10s");
    if (a.getTimeout() != null) {
      try {
        timeout = DurationIr.parse(a.getTimeout());
      } catch (IllegalArgumentException e) {
        throw new PolicyException("spec.extAuth.timeout: invalid duration " + a.getTimeout());
      }
    }
    return new ExtAuthIr(
        grpc,
        dest,
        authority,
        grpc ? null : BasicAuthTranslator.emptyToNull(a.getHttp().getPath()),
        a.getHeadersToExtAuth(),
        grpc ? List.of() : a.getHttp().getHeadersToBackend(),
        a.getBodyToExtAuth() == null || a.getBodyToExtAuth().getMaxRequestBytes() == null
            ? 0
            : a.getBodyToExtAuth().getMaxRequestBytes(),
        Boolean.TRUE.equals(a.getFailOpen()),
        timeout,
        Boolean.TRUE.equals(a.getRecomputeRoute()),
        0,
        grpc
            ? BackendSettingsTranslator.retry(
                service.get("backendSettings"), "spec.extAuth.grpc.backendSettings")
            : null);
  }

  /**
   * The service's authority as Envoy Gateway writes it: a Backend's own endpoint address, else
   * {@code <name>.<namespace>:<port>}.
   */
  private static String authority(ObjectRef ref, String ns, RouteDestinationIr dest) {
    if ("Backend".equals(ref.kind())
        && !dest.settings().isEmpty()
        && !dest.settings().get(0).endpoints().isEmpty()) {
      var ep = dest.settings().get(0).endpoints().get(0);
      return ep.host() + ":" + ep.port();
    }
    return ref.name() + "." + ns + ":" + (ref.port() == null ? 80 : ref.port());
  }
}
