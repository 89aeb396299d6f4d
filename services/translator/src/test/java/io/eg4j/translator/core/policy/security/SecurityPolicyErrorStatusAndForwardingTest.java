package io.eg4j.translator.core.policy.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code extAuth.statusOnError} and {@code apiKeyAuth.forwardClientIDHeader}/{@code sanitize} are
 * enforced: they reach the IR, the policy is accepted, and a header name Envoy could not use is
 * refused with the field.
 */
class SecurityPolicyErrorStatusAndForwardingTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static final PolicyEnv ENV =
      new PolicyEnv() {
        @Override
        public Map<String, String> secret(ObjectNode policy, ObjectRef ref) throws PolicyException {
          if (ref.name().equals("keys")) {
            return Map.of("client-a", "key-a");
          }
          if (ref.name().equals("oidc-client")) {
            return Map.of("client-secret", "s3cret");
          }
          throw new PolicyException("Secret default/" + ref.name() + " does not exist");
        }

        @Override
        public Map<String, String> configMap(ObjectNode policy, ObjectRef ref)
            throws PolicyException {
          throw new PolicyException("ConfigMap default/" + ref.name() + " does not exist");
        }

        @Override
        public RouteDestinationIr backend(
            ObjectNode policy, String destinationName, ObjectRef ref, String protocol) {
          return new RouteDestinationIr(
              destinationName,
              List.of(
                  new DestinationSettingIr(
                      destinationName + "/backend/0",
                      1,
                      protocol,
                      "IP",
                      List.of(new EndpointIr("10.0.0.1", 9000)),
                      null)));
        }

        @Override
        public String controllerNamespace() {
          return "envoy-gateway-system";
        }

        @Override
        public Map<String, String> controllerSecret(String name) {
          return Map.of("hmac-secret", "0123456789abcdef0123456789abcdef");
        }
      };

  private static SecurityPolicyTranslator.Result translate(String spec) throws Exception {
    ObjectNode policy =
        (ObjectNode)
            YAML.readTree(
                "kind: SecurityPolicy\nmetadata: {namespace: default, name: p}\nspec:\n"
                    + spec.indent(2));
    return new SecurityPolicyTranslator(ENV).translate(policy, policy.get("spec"));
  }

  @Test
  void extAuthStatusOnErrorReachesTheIr() throws Exception {
    SecurityPolicyTranslator.Result r =
        translate(
            """
            extAuth:
              statusOnError: 503
              grpc: {backendRefs: [{name: authz, port: 9000}]}
            """);
    assertThat(r.error()).isNull();
    assertThat(r.ir().extAuth().statusOnError()).isEqualTo(503);
    SecurityPolicyTranslator.Result unset =
        translate("extAuth: {http: {backendRefs: [{name: authz, port: 9000}]}}");
    assertThat(unset.ir().extAuth().statusOnError()).as("Envoy's default, 403").isZero();
  }

  @Test
  void apiKeyForwardingReachesTheIr() throws Exception {
    SecurityPolicyTranslator.Result r =
        translate(
            """
            apiKeyAuth:
              credentialRefs: [{name: keys}]
              extractFrom: [{headers: [x-api-key]}]
              forwardClientIDHeader: x-client-id
              sanitize: true
            """);
    assertThat(r.error()).isNull();
    assertThat(r.ir().apiKeyAuth().forwardClientIdHeader()).isEqualTo("x-client-id");
    assertThat(r.ir().apiKeyAuth().sanitize()).isTrue();
    SecurityPolicyTranslator.Result plain =
        translate(
            """
            apiKeyAuth:
              credentialRefs: [{name: keys}]
              extractFrom: [{headers: [x-api-key]}]
            """);
    assertThat(plain.ir().apiKeyAuth().forwardClientIdHeader()).isNull();
    assertThat(plain.ir().apiKeyAuth().sanitize()).isFalse();
  }

  @Test
  void aClientIdHeaderThatIsNoHeaderNameIsRefused() throws Exception {
    SecurityPolicyTranslator.Result r =
        translate(
            """
            apiKeyAuth:
              credentialRefs: [{name: keys}]
              extractFrom: [{headers: [x-api-key]}]
              forwardClientIDHeader: "x client"
            """);
    assertThat(r.error())
        .contains("spec.apiKeyAuth.forwardClientIDHeader: not a valid header name: x client");
  }

  private static String oidc(String extra) {
    return """
        oidc:
          provider:
            issuer: https://idp.example
            authorizationEndpoint: https://idp.example/authorize
            tokenEndpoint: https://idp.example/token
          clientID: app
          clientSecret: {name: oidc-client}
          redirectURL: https://app.example/oauth2/callback
        """
        + extra.indent(2);
  }

  @Test
  void anIdTokenForwardedInAuthorizationIsEnforced() throws Exception {
    SecurityPolicyTranslator.Result r = translate(oidc("forwardIDToken: {header: Authorization}"));
    assertThat(r.error()).isNull();
    assertThat(r.ir().oidc().forwardIdTokenHeader()).isEqualTo("Authorization");
    assertThat(r.ir().oidc().forwardAccessToken()).isFalse();
  }

  @Test
  void anIdTokenInAuthorizationCannotShareTheHeader() throws Exception {
    assertThat(
            translate(oidc("forwardAccessToken: true\nforwardIDToken: {header: authorization}"))
                .error())
        .contains("forwardAccessToken cannot be true when forwardIDToken.header is Authorization");
    assertThat(
            translate(oidc("passThroughAuthHeader: true\nforwardIDToken: {header: Authorization}"))
                .error())
        .contains("spec.oidc.forwardIDToken.header: the ID token cannot be forwarded in")
        .contains("passThroughAuthHeader");
  }
}
