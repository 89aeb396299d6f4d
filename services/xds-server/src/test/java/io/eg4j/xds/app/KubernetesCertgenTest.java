package io.eg4j.xds.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The certgen Job's Secret writer, on fabric8's mock API server (CRUD mode). */
@EnableKubernetesMockClient(crud = true)
class KubernetesCertgenTest {
  static KubernetesClient client;

  private static final KubernetesCertgen.Settings SETTINGS =
      new KubernetesCertgen.Settings(
          "eg4j-system",
          "eg4j-xds-ca",
          "eg4j-xds-server",
          "eg4j-envoy",
          List.of("eg4j-xds-server.eg4j-system.svc.cluster.local", "my-xds.example"),
          Duration.ofDays(30));

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

  @BeforeEach
  void clean() {
    client.secrets().inNamespace("eg4j-system").delete();
  }

  private Secret secret(String name) {
    return client.secrets().inNamespace("eg4j-system").withName(name).get();
  }

  private static X509Certificate cert(Secret s, String key) throws Exception {
    byte[] pem = Base64.getDecoder().decode(s.getData().get(key));
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem));
  }

  @Test
  void createsTheThreeSecretsFromOneCa() throws Exception {
    assertThat(KubernetesCertgen.run(client, SETTINGS, out))
        .isEqualTo(KubernetesCertgen.Outcome.CREATED);

    Secret ca = secret("eg4j-xds-ca");
    Secret server = secret("eg4j-xds-server");
    Secret envoy = secret("eg4j-envoy");
    assertThat(ca.getData()).containsOnlyKeys("ca.crt");
    assertThat(server.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(server.getData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt");
    assertThat(envoy.getData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt");
    assertThat(server.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", KubernetesCertgen.MANAGED_BY);

    X509Certificate caCert = cert(ca, "ca.crt");
    X509Certificate serverCert = cert(server, "tls.crt");
    X509Certificate clientCert = cert(envoy, "tls.crt");
    serverCert.verify(caCert.getPublicKey());
    clientCert.verify(caCert.getPublicKey());
    assertThat(cert(server, "ca.crt")).isEqualTo(caCert);
    assertThat(cert(envoy, "ca.crt")).isEqualTo(caCert);
    List<String> sans =
        serverCert.getSubjectAlternativeNames().stream()
            .map(l -> String.valueOf(l.get(1)))
            .toList();
    assertThat(sans).contains("eg4j-xds-server.eg4j-system.svc.cluster.local", "my-xds.example");
    assertThat(serverCert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1"); // serverAuth
    assertThat(clientCert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.2"); // clientAuth
    assertThat(new String(Base64.getDecoder().decode(envoy.getData().get("tls.key"))))
        .contains("PRIVATE KEY");
  }

  @Test
  void aSecondRunKeepsWhatIsThere() {
    KubernetesCertgen.run(client, SETTINGS, out);
    Map<String, String> before = secret("eg4j-xds-server").getData();
    Map<String, String> hmac = secret("envoy-oidc-hmac").getData();

    assertThat(KubernetesCertgen.run(client, SETTINGS, out))
        .isEqualTo(KubernetesCertgen.Outcome.EXISTED);
    assertThat(secret("eg4j-xds-server").getData()).isEqualTo(before);
    assertThat(secret("envoy-oidc-hmac").getData()).isEqualTo(hmac);
    assertThat(log.toString()).contains("kept as they are");
  }

  @Test
  void theOidcCookieKeyIsCreatedOnceAsEnvoyGatewayNamesIt() {
    KubernetesCertgen.run(client, SETTINGS, out);
    Secret hmac = secret("envoy-oidc-hmac");
    assertThat(hmac.getData()).containsOnlyKeys("hmac-secret");
    assertThat(Base64.getDecoder().decode(hmac.getData().get("hmac-secret"))).hasSize(32);

    // Missing on its own (the TLS Secrets are there): created, the others untouched.
    client.secrets().inNamespace("eg4j-system").withName("envoy-oidc-hmac").delete();
    assertThat(secret("envoy-oidc-hmac")).isNull();
    assertThat(KubernetesCertgen.run(client, SETTINGS, out))
        .isEqualTo(KubernetesCertgen.Outcome.EXISTED);
    Secret again = secret("envoy-oidc-hmac");
    assertThat(again).isNotNull();
    assertThat(again.getData().get("hmac-secret")).isNotEqualTo(hmac.getData().get("hmac-secret"));
  }

  @Test
  void someButNotAllSecretsPresentFailsWithoutWriting() {
    client
        .secrets()
        .inNamespace("eg4j-system")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("eg4j-xds-server")
                .withNamespace("eg4j-system")
                .endMetadata()
                .addToStringData("tls.crt", "mine")
                .build())
        .create();

    assertThatThrownBy(() -> KubernetesCertgen.run(client, SETTINGS, out))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Delete all three");
    assertThat(secret("eg4j-xds-ca")).isNull();
    assertThat(secret("eg4j-envoy")).isNull();
    assertThat(secret("envoy-oidc-hmac")).isNull();
  }

  @Test
  void argumentsAreTheCertgenProperties() {
    KubernetesCertgen.Settings s =
        KubernetesCertgen.parse(
            List.of(
                "--eg4j.certgen.kubernetes.namespace=team-a",
                "--eg4j.certgen.kubernetes.server-secret=srv",
                "--eg4j.certgen.kubernetes.envoy-secret=env",
                "--eg4j.certgen.kubernetes.ca-secret=ca",
                "--eg4j.certgen.san=a.example,b.example",
                "--eg4j.certgen.san=c.example",
                "--eg4j.certgen.validity-days=7"));
    assertThat(s)
        .isEqualTo(
            new KubernetesCertgen.Settings(
                "team-a",
                "ca",
                "srv",
                "env",
                List.of("a.example", "b.example", "c.example"),
                Duration.ofDays(7)));
    assertThatThrownBy(() -> KubernetesCertgen.parse(List.of("--eg4j.certgen.san=x")))
        .hasMessageContaining("namespace is required");
    assertThatThrownBy(
            () ->
                KubernetesCertgen.parse(
                    List.of("--eg4j.certgen.kubernetes.namespace=a", "--eg4j.certgen.days=1")))
        .hasMessageContaining("unknown argument");
  }
}
