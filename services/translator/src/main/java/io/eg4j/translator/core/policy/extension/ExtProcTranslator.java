package io.eg4j.translator.core.policy.extension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.extension.ExtensionIr.ExtProcIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.eg4j.translator.core.policy.security.BackendSettingsTranslator;
import io.eg4j.translator.core.policy.security.PolicyBackendGroups;
import java.util.ArrayList;
import java.util.List;

/**
 * EnvoyExtensionPolicy {@code extProc}: gRPC external processors, one ext_proc filter each, called
 * on the policy's routes. The processor's backendRefs (Services, ServiceImports, Backends, with
 * their BackendTLSPolicy) become one cluster, named after the policy and the processor's index;
 * {@code processingMode} says which parts of the request and response are sent, {@code
 * messageTimeout}, {@code failOpen} and {@code metadata} map to the filter's own fields.
 */
final class ExtProcTranslator {
  static final List<String> SUPPORTED = supported();

  private static List<String> supported() {
    List<String> s = new ArrayList<>();
    for (String f : List.of("group", "kind", "name", "namespace", "port", "weight")) {
      s.add("extProc[].backendRef." + f);
      s.add("extProc[].backendRefs[]." + f);
    }
    s.addAll(BackendSettingsTranslator.supported("extProc[]"));
    s.addAll(
        List.of(
            "extProc[].failOpen",
            "extProc[].statusOnError",
            "extProc[].shadowMode",
            "extProc[].messageTimeout",
            "extProc[].processingMode.allowModeOverride",
            "extProc[].processingMode.request",
            "extProc[].processingMode.response",
            "extProc[].processingMode.request.body",
            "extProc[].processingMode.request.attributes[]",
            "extProc[].processingMode.response.body",
            "extProc[].processingMode.response.attributes[]",
            "extProc[].metadata.accessibleNamespaces[]",
            "extProc[].metadata.writableNamespaces[]"));
    return List.copyOf(s);
  }

  private ExtProcTranslator() {}

  /**
   * The processors of {@code spec}. One that cannot be translated fails the policy, unless it sets
   * {@code failOpen}: then it is left out and its problem is added to {@code skipped}.
   */
  static List<ExtProcIr> translate(
      JsonNode spec, ObjectNode policy, String id, PolicyEnv env, List<String> skipped)
      throws PolicyException {
    JsonNode list = spec.path("extProc");
    if (!list.isArray()) {
      return List.of();
    }
    String policyNs = policy.path("metadata").path("namespace").asText("");
    List<ExtProcIr> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      try {
        out.add(one(list.get(i), i, policy, policyNs, id, env));
      } catch (PolicyException ex) {
        if (!list.get(i).path("failOpen").asBoolean(false)) {
          throw ex;
        }
        skipped.add(ex.getMessage());
      }
    }
    return out;
  }

  private static ExtProcIr one(
      JsonNode e, int i, ObjectNode policy, String policyNs, String id, PolicyEnv env)
      throws PolicyException {
    {
      String where = "spec.extProc[" + i + "]";
      String name = id + "/extproc/" + i;
      List<JsonNode> refs = new ArrayList<>();
      if (e.path("backendRef").isObject()) {
        refs.add(lowerCaseKeys(e.path("backendRef")));
      }
      e.path("backendRefs").forEach(r -> refs.add(lowerCaseKeys(r)));
      if (refs.isEmpty()) {
        throw new PolicyException(where + " needs a backendRef");
      }
      PolicyBackendGroups.Grouped grouped =
          PolicyBackendGroups.grouped(env, policy, name, refs, "GRPC", where);
      JsonNode r0 = refs.get(0);
      String authority =
          authority(
              PolicyBackendGroups.ref(r0), r0.path("namespace").asText(policyNs), grouped.first());
      ClusterSettingsIr cluster =
          BackendSettingsTranslator.cluster(e.get("backendSettings"), where + ".backendSettings");
      RouteDestinationIr dest = grouped.destination().withCluster(cluster);
      DurationIr timeout =
          cluster != null && cluster.requestTimeout() != null
              ? cluster.requestTimeout()
              : DurationIr.parse("10s");
      DurationIr messageTimeout = null;
      if (e.hasNonNull("messageTimeout")) {
        try {
          messageTimeout = DurationIr.parse(e.get("messageTimeout").asText());
        } catch (IllegalArgumentException ex) {
          throw new PolicyException(
              where + ".messageTimeout: invalid duration " + e.get("messageTimeout").asText());
        }
      }
      JsonNode mode = e.path("processingMode");
      JsonNode req = mode.path("request");
      JsonNode resp = mode.path("response");
      return new ExtProcIr(
          name,
          dest,
          authority,
          timeout,
          messageTimeout,
          e.path("failOpen").asBoolean(false),
          req.isObject(),
          req.path("body").asText(null),
          strings(req.path("attributes")),
          resp.isObject(),
          resp.path("body").asText(null),
          strings(resp.path("attributes")),
          mode.path("allowModeOverride").asBoolean(false),
          strings(e.path("metadata").path("accessibleNamespaces")),
          strings(e.path("metadata").path("writableNamespaces")),
          BackendSettingsTranslator.retry(e.get("backendSettings"), where + ".backendSettings"),
          e.path("shadowMode").asBoolean(false),
          statusOnError(e, where));
    }
  }

  /**
   * {@code statusOnError}: a 4xx or 5xx status (the CRD lists them), 0 when unset. Like any
   * immediate response of the filter it is not sent when {@code failOpen} lets the request through.
   */
  private static int statusOnError(JsonNode e, String where) throws PolicyException {
    JsonNode s = e.get("statusOnError");
    if (s == null || s.isNull()) {
      return 0;
    }
    int code = s.asInt(-1);
    if (!s.canConvertToInt() || code < 400 || code > 599) {
      throw new PolicyException(where + ".statusOnError: not a 4xx or 5xx status: " + s.asText());
    }
    return code;
  }

  /**
   * A backendRef with its keys lower-cased: Envoy Gateway reads policies with Go's JSON decoder,
   * which matches field names case-insensitively ({@code Name:} works like {@code name:}).
   */
  private static JsonNode lowerCaseKeys(JsonNode ref) {
    ObjectNode out = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    ref.fields()
        .forEachRemaining(
            f -> out.putIfAbsent(f.getKey().toLowerCase(java.util.Locale.ROOT), f.getValue()));
    return out;
  }

  private static List<String> strings(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.asText()));
    return out;
  }

  /**
   * The processor's gRPC authority as Envoy Gateway writes it: a Backend's own endpoint address,
   * else {@code <name>.<namespace>:<port>}.
   */
  private static String authority(ObjectRef ref, String ns, RouteDestinationIr dest) {
    if ("Backend".equals(ref.kind()) && !dest.settings().isEmpty()) {
      var ep = dest.settings().get(0).endpoints().stream().filter(e -> !e.unix()).findFirst();
      if (ep.isPresent()) {
        return ep.get().host() + ":" + ep.get().port();
      }
      // A Unix socket has no host name to send.
      return ref.name() + "." + ns;
    }
    return ref.name() + "." + ns + ":" + (ref.port() == null ? 80 : ref.port());
  }
}
