package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.security.SecurityIr;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates one SecurityPolicy into the {@link SecurityIr} its routes carry. Each feature is its
 * own class beside this one ({@link CorsTranslator}, {@link JwtTranslator} …) that lists the spec
 * fields it enforces and builds its IR record. A policy that sets any field no feature enforces, or
 * whose references do not resolve, yields an error instead: the policy is {@code Accepted=False}
 * and its routes answer 500 (fail closed, DESIGN.md invariant 9).
 */
public final class SecurityPolicyTranslator {
  /** Every spec path a SecurityPolicy may set and still be enforced. */
  public static final List<String> SUPPORTED = supported();

  private static List<String> supported() {
    List<String> all = new ArrayList<>(FieldSupport.ATTACHMENT);
    all.addAll(CorsTranslator.SUPPORTED);
    all.addAll(CsrfTranslator.SUPPORTED);
    all.addAll(BasicAuthTranslator.SUPPORTED);
    all.addAll(ApiKeyAuthTranslator.SUPPORTED);
    all.addAll(JwtTranslator.SUPPORTED);
    all.addAll(OidcTranslator.SUPPORTED);
    all.addAll(ExtAuthTranslator.SUPPORTED);
    all.addAll(AuthorizationTranslator.SUPPORTED);
    return List.copyOf(all);
  }

  /**
   * The outcome: the IR, or the reason the policy cannot be enforced.
   *
   * @param ir the security settings; on error, the features that did translate (null when the spec
   *     could not be read at all)
   * @param error the Accepted=False message, null on success
   */
  public record Result(SecurityIr ir, String error) {}

  /**
   * Reads specs as Envoy Gateway does with Go's JSON decoder: field names match case-insensitively,
   * unknown fields are ignored (FieldSupport has reported them already).
   */
  static final com.fasterxml.jackson.databind.ObjectMapper LENIENT =
      com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(com.fasterxml.jackson.databind.MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES)
          .serializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
          .build();

  private final PolicyEnv env;

  /** A translator that resolves references through {@code env}. */
  public SecurityPolicyTranslator(PolicyEnv env) {
    this.env = env;
  }

  /**
   * Translates a policy whose spec may be the result of merging a route-level policy into a broader
   * one ({@code mergeType}).
   *
   * @param policy the policy object (kind, namespace and name name the filters and check grants)
   * @param spec the spec to translate (the policy's own, or the merged one)
   */
  public Result translate(ObjectNode policy, JsonNode spec) {
    String unsupported = FieldSupport.message(FieldSupport.unsupported(spec, SUPPORTED));
    if (unsupported != null) {
      return new Result(null, unsupported);
    }
    SecurityPolicySpec typed;
    try {
      typed = LENIENT.treeToValue(spec, SecurityPolicySpec.class);
    } catch (Exception e) {
      return new Result(null, "spec could not be read: " + e.getMessage());
    }
    String id =
        "securitypolicy/"
            + policy.path("metadata").path("namespace").asText("")
            + "/"
            + policy.path("metadata").path("name").asText("");
    // Each feature is translated on its own, as Envoy Gateway does: when one cannot be enforced
    // the policy is Accepted=False and its routes answer 500, but the features that did translate
    // stay on those routes. They run before the direct response and can only refuse a request
    // (a request without a JWT still gets 401), never let one through.
    List<String> errors = new ArrayList<>();
    SecurityIr ir =
        new SecurityIr(
            id,
            feature(errors, () -> CorsTranslator.translate(typed)),
            feature(errors, () -> BasicAuthTranslator.translate(typed, policy, env)),
            feature(errors, () -> ApiKeyAuthTranslator.translate(typed, policy, env)),
            feature(errors, () -> JwtTranslator.translate(typed, policy, env)),
            feature(errors, () -> OidcTranslator.translate(typed, policy, env)),
            feature(errors, () -> ExtAuthTranslator.translate(typed, policy, env)),
            feature(errors, () -> AuthorizationTranslator.translate(typed, policy, env)),
            feature(errors, () -> CsrfTranslator.translate(typed)));
    return new Result(ir, errors.isEmpty() ? null : String.join("; ", errors));
  }

  /** One feature's translation. */
  @FunctionalInterface
  private interface Feature<T> {
    T translate() throws PolicyException;
  }

  private static <T> T feature(List<String> errors, Feature<T> f) {
    try {
      return f.translate();
    } catch (PolicyException e) {
      errors.add(e.getMessage());
    } catch (RuntimeException e) {
      // Input no rule anticipated: reported on the policy, never thrown out of the translator.
      errors.add("policy could not be translated: " + e);
    }
    return null;
  }
}
