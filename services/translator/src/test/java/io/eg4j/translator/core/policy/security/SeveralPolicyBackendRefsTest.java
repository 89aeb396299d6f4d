package io.eg4j.translator.core.policy.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.RouteDestinationIr.UpstreamTlsIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Several backendRefs of a service a SecurityPolicy calls (authorization service, JWKS, OIDC
 * provider) are one destination with a backend group per backendRef, in order, with its weight and
 * its own TLS: none of them is dropped. IP and FQDN backendRefs together are refused.
 */
class SeveralPolicyBackendRefsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Backends {@code plain} (127.0.0.1:9001), {@code tls} (:9443, TLS) and {@code dns}. */
  private static final PolicyEnv ENV =
      new PolicyEnv() {
        @Override
        public Map<String, String> secret(ObjectNode policy, ObjectRef ref) {
          return Map.of("client-secret", "s3cret");
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
          DestinationSettingIr s =
              switch (ref.name()) {
                case "plain" ->
                    new DestinationSettingIr(
                        destinationName,
                        1,
                        protocol,
                        "IP",
                        List.of(new EndpointIr("127.0.0.1", 9001)),
                        null);
                case "tls" ->
                    new DestinationSettingIr(
                        destinationName,
                        1,
                        protocol,
                        "IP",
                        List.of(new EndpointIr("127.0.0.1", 9443)),
                        UpstreamTlsIr.verified("tls.test", null, List.of()));
                case "dns" ->
                    new DestinationSettingIr(
                        destinationName,
                        1,
                        protocol,
                        "FQDN",
                        List.of(new EndpointIr("auth.example", 443)),
                        null);
                default -> throw new PolicyException("backend " + ref.name() + " does not exist");
              };
          return new RouteDestinationIr(destinationName, List.of(s));
        }

        @Override
        public String controllerNamespace() {
          return "envoy-gateway-system";
        }

        @Override
        public Map<String, String> controllerSecret(String name) {
          return Map.of("hmac-secret", "aG1hYw==");
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

  private static void assertTwoGroups(RouteDestinationIr d, String name) {
    assertThat(d.name()).isEqualTo(name);
    assertThat(d.settings()).hasSize(2);
    assertThat(d.settings())
        .extracting(DestinationSettingIr::name)
        .containsExactly(name + "/backend/0", name + "/backend/1");
    assertThat(d.settings().get(0).tls()).isNull();
    assertThat(d.settings().get(1).tls().sni()).isEqualTo("tls.test");
    assertThat(d.settings().get(1).endpoints().get(0).port()).isEqualTo(9443);
  }

  @Test
  void anAuthorizationServiceKeepsEveryBackendRefWithItsWeight() throws Exception {
    var r =
        translate(
            """
            extAuth:
              grpc:
                backendRefs:
                - {name: plain, port: 9001, weight: 1}
                - {name: tls, port: 9443, weight: 3}
            """);
    assertThat(r.error()).isNull();
    RouteDestinationIr d = r.ir().extAuth().destination();
    assertTwoGroups(d, "securitypolicy/default/p/extauth/0");
    assertThat(d.settings()).extracting(DestinationSettingIr::weight).containsExactly(1, 3);
  }

  @Test
  void aRemoteJwksKeepsEveryBackendRef() throws Exception {
    var r =
        translate(
            """
            jwt:
              providers:
              - name: one
                remoteJWKS:
                  uri: https://idp.example/jwks.json
                  backendRefs:
                  - {name: plain, port: 9001}
                  - {name: tls, port: 9443}
            """);
    assertThat(r.error()).isNull();
    RouteDestinationIr d = r.ir().jwt().providers().get(0).jwksCluster();
    assertTwoGroups(d, d.name());
  }

  @Test
  void anOidcProviderKeepsEveryBackendRef() throws Exception {
    var r =
        translate(
            """
            oidc:
              provider:
                issuer: https://idp.example
                authorizationEndpoint: https://idp.example/authorize
                tokenEndpoint: https://idp.example/token
                backendRefs:
                - {name: plain, port: 9001}
                - {name: tls, port: 9443}
              clientID: client
              clientSecret: {name: oidc-secret}
            """);
    assertThat(r.error()).isNull();
    RouteDestinationIr d = r.ir().oidc().tokenCluster();
    assertTwoGroups(d, d.name());
  }

  @Test
  void ipAndFqdnBackendRefsTogetherAreRefused() throws Exception {
    var r =
        translate(
            """
            extAuth:
              http:
                backendRefs:
                - {name: plain, port: 9001}
                - {name: dns, port: 443}
            """);
    assertThat(r.error()).contains("spec.extAuth.http: backendRefs mix IP and FQDN addresses");
  }
}
