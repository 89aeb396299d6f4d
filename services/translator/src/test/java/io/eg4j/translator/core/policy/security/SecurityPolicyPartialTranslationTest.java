package io.eg4j.translator.core.policy.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A SecurityPolicy with one feature that cannot be enforced is Accepted=False (its routes answer
 * 500), and keeps the features that did translate, as Envoy Gateway does: they can only refuse.
 */
class SecurityPolicyPartialTranslationTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** A snapshot with no Secrets, ConfigMaps or backends at all. */
  private static final PolicyEnv EMPTY =
      new PolicyEnv() {
        @Override
        public Map<String, String> secret(ObjectNode policy, ObjectRef ref) throws PolicyException {
          throw new PolicyException("Secret default/" + ref.name() + " does not exist");
        }

        @Override
        public Map<String, String> configMap(ObjectNode policy, ObjectRef ref)
            throws PolicyException {
          throw new PolicyException("ConfigMap default/" + ref.name() + " does not exist");
        }

        @Override
        public RouteDestinationIr backend(
            ObjectNode policy, String destinationName, ObjectRef ref, String protocol)
            throws PolicyException {
          throw new PolicyException("backend " + ref.name() + " does not exist");
        }

        @Override
        public String controllerNamespace() {
          return "envoy-gateway-system";
        }

        @Override
        public Map<String, String> controllerSecret(String name) {
          return null;
        }
      };

  private static SecurityPolicyTranslator.Result translate(String yaml) throws Exception {
    ObjectNode policy = (ObjectNode) YAML.readTree(yaml);
    return new SecurityPolicyTranslator(EMPTY).translate(policy, policy.get("spec"));
  }

  @Test
  void keepsTheFeaturesThatTranslateAndNamesEveryOneThatDoesNot() throws Exception {
    SecurityPolicyTranslator.Result r =
        translate(
            """
            kind: SecurityPolicy
            metadata: {namespace: default, name: p}
            spec:
              cors: {allowOrigins: ["https://a.example"]}
              jwt:
                providers:
                - name: one
                  remoteJWKS: {uri: https://idp.example/jwks.json}
              basicAuth: {users: {name: htpasswd}}
              apiKeyAuth:
                credentialRefs: [{name: keys}]
                extractFrom: [{headers: [x-api-key]}]
            """);
    assertThat(r.error())
        .contains("Secret default/htpasswd does not exist")
        .contains("Secret default/keys does not exist");
    assertThat(r.ir()).isNotNull();
    assertThat(r.ir().jwt()).isNotNull();
    assertThat(r.ir().cors()).isNotNull();
    assertThat(r.ir().basicAuth()).isNull();
    assertThat(r.ir().apiKeyAuth()).isNull();
  }

  @Test
  void anUnsupportedFieldTranslatesNothing() throws Exception {
    SecurityPolicyTranslator.Result r =
        translate(
            """
            kind: SecurityPolicy
            metadata: {namespace: default, name: p}
            spec:
              cors: {allowOrigins: ["https://a.example"]}
              notAField: {x: 1}
            """);
    assertThat(r.error()).contains("notAField");
    assertThat(r.ir()).isNull();
  }

  @Test
  void aValidPolicyHasNoError() throws Exception {
    SecurityPolicyTranslator.Result r =
        translate(
            """
            kind: SecurityPolicy
            metadata: {namespace: default, name: p}
            spec:
              cors: {allowOrigins: ["https://a.example"]}
            """);
    assertThat(r.error()).isNull();
    assertThat(r.ir().cors()).isNotNull();
  }

  @Test
  void aJwtClaimToHeaderNeedsItsClaimAndAHeaderName() throws Exception {
    String policy =
        """
        kind: SecurityPolicy
        metadata: {namespace: default, name: p}
        spec:
          jwt:
            providers:
            - name: one
              remoteJWKS: {uri: https://idp.example/jwks.json}
              claimToHeaders: [%s]
        """;
    assertThat(translate(policy.formatted("{header: x-sub}")).error())
        .contains("spec.jwt.providers[0].claimToHeaders[0].claim is required");
    assertThat(translate(policy.formatted("{claim: sub, header: \"x sub\"}")).error())
        .contains("spec.jwt.providers[0].claimToHeaders[0].header must be an HTTP header name");
    assertThat(translate(policy.formatted("{claim: sub, header: x-sub}")).error()).isNull();
  }

  @Test
  void anAuthorizationRuleNameIsNotEmpty() throws Exception {
    String policy =
        """
        kind: SecurityPolicy
        metadata: {namespace: default, name: p}
        spec:
          authorization:
            rules:
            - {%s action: Allow, principal: {clientCIDRs: [10.0.0.0/8]}}
        """;
    assertThat(translate(policy.formatted("name: '',")).error())
        .contains("spec.authorization.rules[0].name must be 1-253 characters");
    assertThat(translate(policy.formatted("name: allow-internal,")).error()).isNull();
    assertThat(translate(policy.formatted("")).error()).isNull();
  }
}
