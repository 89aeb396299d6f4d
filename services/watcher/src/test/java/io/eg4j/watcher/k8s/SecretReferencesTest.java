package io.eg4j.watcher.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which Secrets and ConfigMaps an object refers to. */
class SecretReferencesTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            "gateway certificateRefs default to Secret, cross-namespace kept",
            """
            {"metadata":{"namespace":"default"},"spec":{"listeners":[{"tls":{"certificateRefs":[
              {"name":"a"},{"kind":"Secret","name":"b","namespace":"certs"}]}}]}}
            """,
            Set.of(
                new ResourceKey("", "Secret", "default", "a"),
                new ResourceKey("", "Secret", "certs", "b"))),
        Arguments.of(
            "BackendTLSPolicy caCertificateRefs to a ConfigMap",
            """
            {"metadata":{"namespace":"ns"},"spec":{"validation":{"caCertificateRefs":[
              {"group":"","kind":"ConfigMap","name":"ca"}],"hostname":"x"}}}
            """,
            Set.of(new ResourceKey("", "ConfigMap", "ns", "ca"))),
        Arguments.of(
            "SecurityPolicy oidc clientSecret and clientIDRef, and basicAuth users",
            """
            {"metadata":{"namespace":"ns"},"spec":{"oidc":{"clientSecret":{"name":"oidc"},
              "clientIDRef":{"name":"oidc-id"}},"basicAuth":{"users":{"name":"htpasswd"}}}}
            """,
            Set.of(
                new ResourceKey("", "Secret", "ns", "oidc"),
                new ResourceKey("", "Secret", "ns", "oidc-id"),
                new ResourceKey("", "Secret", "ns", "htpasswd"))),
        Arguments.of(
            "a backendRef to a Service is not a Secret",
            """
            {"metadata":{"namespace":"ns"},"spec":{"rules":[{"backendRefs":[
              {"name":"web","port":80}]}],"parentRefs":[{"name":"eg"}]}}
            """,
            Set.of()),
        Arguments.of(
            "a ConfigMap value ref in a JWT provider",
            """
            {"metadata":{"namespace":"ns"},"spec":{"jwt":{"providers":[{"name":"p",
              "localJWKS":{"type":"ValueRef","valueRef":{"group":"","kind":"ConfigMap",
              "name":"jwks"}}}]}}}
            """,
            Set.of(new ResourceKey("", "ConfigMap", "ns", "jwks"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void findsReferences(String name, String json, Set<ResourceKey> expected) throws Exception {
    assertThat(SecretReferences.of(Json.MAPPER.readTree(json))).isEqualTo(expected);
  }
}
