package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.XdsIr;
import org.junit.jupiter.api.Test;

/**
 * The certificate a Gateway presents to TLS backends ({@code
 * spec.tls.backend.clientCertificateRef}, GEP-3155; conformance
 * GatewayTLSBackendClientCertificate): on every backend of its routes that a BackendTLSPolicy makes
 * TLS, ahead of the EnvoyProxy's {@code backendTLS.clientCertificateRef}; a reference that cannot
 * be used presents none (the Gateway's ResolvedRefs says why) rather than falling back to another
 * certificate.
 */
class GatewayBackendClientCertificateTest {
  private static final String CRT =
      "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJpakNDQVMrZ0F3SUJBZ0lVYWtuck41a1VXZzE0SXljNUV4WVhjN2F1VDRBd0NnWUlLb1pJemowRUF3SXcKR1RFWE1CVUdBMVVFQXd3T1oyRjBaWGRoZVMxamJHbGxiblF3SUJjTk1qWXhNakEyTURjek5UQTJXaGdQTWpFeQpOakV4TVRJd056TTFNRFphTUJreEZ6QVZCZ05WQkFNTURtZGhkR1YzWVhrdFkyeHBaVzUwTUZrd0V3WUhLb1pJCnpqMENBUVlJS29aSXpqMERBUWNEUWdBRXVkMU9wNzhUMjU2R2JFNmhMY2N4c2NrU2FobkJkYm5BNVR6b0pUNGYKR29jWDNlUklXVnJzNytmMktDdDhpcDZLYUVzcGFQTHVEcXFoNytrc2poUXZ5cU5UTUZFd0hRWURWUjBPQkJZRQpGQ1B4TUhUM0hlMzFycXBZRzE4dGlmZHprSnQxTUI4R0ExVWRJd1FZTUJhQUZDUHhNSFQzSGUzMXJxcFlHMTh0CmlmZHprSnQxTUE4R0ExVWRFd0VCL3dRRk1BTUJBZjh3Q2dZSUtvWkl6ajBFQXdJRFNRQXdSZ0loQUlqMkpBZkgKc0VFTEJjS2FWMmgwSVVQT3ZKRytxSXpRNERIeGVQVWhQc3JFQWlFQWtISEN1ams2eURaN05zSm9jZUpSK003NQp1NUZpQzBHRHZlK3R5Um43eFBZPQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";
  private static final String KEY =
      "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJHMHdhd0lCQVFRZ1NwZWRtWnVmOG5jdVZtU2gKVmpGeU1ySm1JQmF1NEN0WXB3aWxidURRTGM2aFJBTkNBQVM1M1U2bnZ4UGJub1pzVHFFdHh6R3h5UkpxR2NGMQp1Y0RsUE9nbFBoOGFoeGZkNUVoWld1enY1L1lvSzN5S25vcG9TeWxvOHU0T3FxSHY2U3lPRkMvSwotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==";

  private static String manifests(String gatewayTls, String extra) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: eg}
        spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {namespace: default, name: eg}
        spec:
          gatewayClassName: eg
          listeners: [{name: http, protocol: HTTP, port: 80}]
        %s
        ---
        apiVersion: v1
        kind: Secret
        metadata: {namespace: default, name: gateway-client}
        type: kubernetes.io/tls
        data: {tls.crt: %s, tls.key: %s}
        ---
        apiVersion: v1
        kind: Service
        metadata: {namespace: default, name: secure}
        spec: {ports: [{name: https, port: 443, protocol: TCP}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          namespace: default
          name: secure-1
          labels: {kubernetes.io/service-name: secure}
        addressType: IPv4
        ports: [{name: https, port: 8443, protocol: TCP}]
        endpoints: [{addresses: [10.0.0.7], conditions: {ready: true}}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {namespace: default, name: ca}
        data:
          ca.crt: |
        %s
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: BackendTLSPolicy
        metadata: {namespace: default, name: tls}
        spec:
          targetRefs: [{group: "", kind: Service, name: secure}]
          validation:
            hostname: secure.example.com
            caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: r}
        spec:
          parentRefs: [{name: eg}]
          rules: [{backendRefs: [{name: secure, port: 443}]}]
        ---
        """
            .formatted(
                gatewayTls.indent(2),
                CRT,
                KEY,
                new String(java.util.Base64.getDecoder().decode(CRT)).indent(4))
        + extra;
  }

  private static RouteDestinationIr.UpstreamTlsIr upstreamTls(TranslateResult r) {
    for (XdsIr ir : r.xdsIr().values()) {
      for (HttpListenerIr l : ir.http()) {
        return l.routes().get(0).destination().settings().get(0).tls();
      }
    }
    throw new AssertionError("no route: " + r.statuses());
  }

  @Test
  void theGatewaysCertificateIsPresentedToTlsBackends() throws Exception {
    TranslateResult r =
        Translations.translate(
            manifests(
                "tls: {backend: {clientCertificateRef: {group: \"\", kind: Secret, name: gateway-client}}}",
                ""));
    RouteDestinationIr.UpstreamTlsIr tls = upstreamTls(r);
    assertThat(tls).isNotNull();
    assertThat(tls.clientCertificate()).isNotNull();
    assertThat(tls.clientCertificate().name()).isEqualTo("default/gateway-client");
    assertThat(tls.clientCertificate().certificateChain()).contains("BEGIN CERTIFICATE");
  }

  @Test
  void withoutOneNoCertificateIsPresented() throws Exception {
    TranslateResult r = Translations.translate(manifests("", ""));
    assertThat(upstreamTls(r).clientCertificate()).isNull();
  }

  @Test
  void aMissingSecretPresentsNoneAndTheGatewaySaysWhy() throws Exception {
    TranslateResult r =
        Translations.translate(
            manifests(
                "tls: {backend: {clientCertificateRef: {group: \"\", kind: Secret, name: absent}}}",
                ""));
    assertThat(upstreamTls(r).clientCertificate()).isNull();
    assertThat(Translations.status(r, "Gateway"))
        .contains("InvalidClientCertificateRef")
        .contains("default/absent");
  }
}
