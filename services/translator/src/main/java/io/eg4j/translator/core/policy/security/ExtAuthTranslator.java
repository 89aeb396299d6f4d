package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.ClusterSettingsIr;
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
      s.add("extAuth." + proto + ".backendRefs[].weight");
    }
    s.addAll(BackendSettingsTranslator.supported("extAuth.grpc"));
    s.addAll(BackendSettingsTranslator.supported("extAuth.http"));
    s.addAll(
        List.of(
            "extAuth.http.path",
            "extAuth.http.pathOverride",
            "extAuth.contextExtensions[].name",
            "extAuth.contextExtensions[].type",
            "extAuth.contextExtensions[].value",
            "extAuth.contextExtensions[].valueRef.group",
            "extAuth.contextExtensions[].valueRef.kind",
            "extAuth.contextExtensions[].valueRef.name",
            "extAuth.contextExtensions[].valueRef.key",
            "extAuth.http.headersToBackend[]",
            "extAuth.headersToExtAuth[]",
            "extAuth.bodyToExtAuth.maxRequestBytes",
            "extAuth.failOpen",
            "extAuth.timeout",
            "extAuth.recomputeRoute",
            "extAuth.statusOnError"));
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
    ClusterSettingsIr clusterSettings =
        BackendSettingsTranslator.cluster(
            service.get("backendSettings"),
            "spec.extAuth." + (grpc ? "grpc" : "http") + ".backendSettings");
    RouteDestinationIr dest =
        PolicyBackendGroups.of(
                env,
                policy,
                id + "/extauth/0",
                refs,
                grpc ? "GRPC" : "HTTP",
                "spec.extAuth." + (grpc ? "grpc" : "http"))
            .withCluster(clusterSettings);
    String authority = authority(ref, ns, dest);
    // The check's timeout: spec.extAuth.timeout, else the backend's request timeout, else 10s.
    DurationIr timeout =
        clusterSettings != null && clusterSettings.requestTimeout() != null
            ? clusterSettings.requestTimeout()
            : DurationIr.parse("10s");
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
        a.getStatusOnError() == null ? 0 : a.getStatusOnError().getValue(),
        BackendSettingsTranslator.retry(
            service.get("backendSettings"),
            "spec.extAuth." + (grpc ? "grpc" : "http") + ".backendSettings"),
        pathOverride(service, grpc),
        contextExtensions(Json.MAPPER.valueToTree(a), policy, env));
  }

  private static String pathOverride(JsonNode service, boolean grpc) throws PolicyException {
    String o =
        grpc ? null : BasicAuthTranslator.emptyToNull(service.path("pathOverride").asText(null));
    if (o != null && !service.path("path").asText("").isEmpty()) {
      throw new PolicyException("spec.extAuth.http: only one of path or pathOverride can be set");
    }
    if (o != null && !o.startsWith("/")) {
      throw new PolicyException("spec.extAuth.http.pathOverride must start with /: " + o);
    }
    return o;
  }

  /**
   * {@code spec.extAuth.contextExtensions}: each a literal value or a key of a ConfigMap or Secret
   * in the policy's namespace.
   */
  private static java.util.Map<String, String> contextExtensions(
      JsonNode a, ObjectNode policy, PolicyEnv env) throws PolicyException {
    java.util.Map<String, String> out = new java.util.TreeMap<>();
    String ns = policy.path("metadata").path("namespace").asText("");
    JsonNode list = a.path("contextExtensions");
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      String where = "spec.extAuth.contextExtensions[" + i + "]";
      String name = e.path("name").asText("");
      if (name.isEmpty()) {
        throw new PolicyException(where + ".name must be set");
      }
      String value;
      if ("ValueRef".equals(e.path("type").asText("Value"))) {
        JsonNode ref = e.path("valueRef");
        String kind = ref.path("kind").asText("");
        if (!ref.path("group").asText("").isEmpty()
            || (!kind.equals("ConfigMap") && !kind.equals("Secret"))) {
          throw new PolicyException(where + ".valueRef must name a ConfigMap or a Secret");
        }
        ObjectRef r = ObjectRef.core(kind, ref.path("name").asText(""), ns);
        java.util.Map<String, String> data =
            kind.equals("Secret") ? env.secret(policy, r) : env.configMap(policy, r);
        value = data.get(ref.path("key").asText(""));
        if (value == null) {
          throw new PolicyException(
              where
                  + ".valueRef: "
                  + kind
                  + " "
                  + ns
                  + "/"
                  + r.name()
                  + " has no key "
                  + ref.path("key").asText(""));
        }
      } else {
        if (!e.has("value")) {
          throw new PolicyException(where + ".value must be set");
        }
        value = e.path("value").asText("");
      }
      out.put(name, value);
    }
    return out;
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
