package io.eg4j.translator.core.policy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.traffic.ClientTrafficIr.TlsSettingsIr;
import io.eg4j.translator.core.policy.PolicyException;
import org.junit.jupiter.api.Test;

class TlsSettingsTranslatorTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static TlsSettingsIr tls(String yaml) throws Exception {
    JsonNode n = YAML.readTree(yaml);
    return TlsSettingsTranslator.translate(n == null ? YAML.missingNode() : n);
  }

  @Test
  void defaultsAreTls12To13WithoutResumption() throws Exception {
    TlsSettingsIr t = tls("{}");
    assertThat(t.minVersion()).isEqualTo("TLSv1_2");
    assertThat(t.maxVersion()).isEqualTo("TLSv1_3");
    assertThat(t.alpnProtocols()).isNull();
    assertThat(t.statefulResumption()).isFalse();
    assertThat(t.statelessResumption()).isFalse();
  }

  @Test
  void readsEverySetting() throws Exception {
    TlsSettingsIr t =
        tls(
            """
            minVersion: "1.0"
            maxVersion: Auto
            ciphers: ["[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]",
                      TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
            ecdhCurves: [X25519, P-256]
            signatureAlgorithms: [rsa_pss_rsae_sha256, ECDSA+SHA256]
            alpnProtocols: []
            session: {resumption: {stateless: {}}}
            """);
    assertThat(t.minVersion()).isEqualTo("TLSv1_0");
    assertThat(t.maxVersion()).isEqualTo("TLS_AUTO");
    assertThat(t.ciphers()).hasSize(2);
    assertThat(t.ecdhCurves()).containsExactly("X25519", "P-256");
    assertThat(t.signatureAlgorithms()).containsExactly("rsa_pss_rsae_sha256", "ECDSA+SHA256");
    assertThat(t.alpnProtocols()).isEmpty();
    assertThat(t.statelessResumption()).isTrue();
    assertThat(t.statefulResumption()).isFalse();
  }

  @Test
  void refusesWhatEnvoyWouldReject() {
    assertThatThrownBy(() -> tls("ciphers: [INVALID-CIPHER]"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("INVALID-CIPHER");
    assertThatThrownBy(() -> tls("ecdhCurves: [curve1]")).hasMessageContaining("curve1");
    assertThatThrownBy(() -> tls("signatureAlgorithms: [sig1]")).hasMessageContaining("sig1");
    assertThatThrownBy(() -> tls("{minVersion: \"1.3\", maxVersion: \"1.2\"}"))
        .hasMessageContaining("smaller or equal");
  }

  @Test
  void fingerprintsAreJa3AndJa4Only() throws Exception {
    assertThat(tls("{}").fingerprints()).isEmpty();
    assertThat(tls("fingerprints: [JA4, JA3, JA4]").fingerprints()).containsExactly("JA4", "JA3");
    assertThatThrownBy(() -> tls("fingerprints: [JA5]"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.tls.fingerprints: unknown fingerprint JA5");
  }

  @Test
  void namesEnvoyWouldRejectAreRefused() {
    // Envoy refuses a listener whose TLS parameters name an unknown curve or signature algorithm
    // ("Failed to initialize ECDH curves"), so they never reach it.
    assertThatThrownBy(() -> tls("ecdhCurves: [curve1]"))
        .hasMessageContaining("unknown curve curve1");
    assertThatThrownBy(() -> tls("signatureAlgorithms: [sig1]"))
        .hasMessageContaining("unknown algorithm sig1");
  }
}
