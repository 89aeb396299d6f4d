package io.eg4j.translator.core.policy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code spec.rateLimit.global}: valid rules, invalid ones, and the service it needs. */
class GlobalRateLimitTranslatorTest {
  static JsonNode yaml(String s) throws Exception {
    return Json.YAML.readTree(s);
  }

  static EnvoyGatewayConfig config(String extra) throws Exception {
    return EnvoyGatewayConfig.from(
        yaml(
            """
            provider: {type: Kubernetes}
            rateLimit:
              failClosed: true
              timeout: 1s500ms
              backend: {type: Redis, redis: {url: redis:6379}}
            """
                + extra));
  }

  static final String RULES =
      """
      rateLimit:
        type: Global
        global:
          rules:
          - clientSelectors:
            - headers:
              - {name: x-user, value: one}
              - {name: x-org, type: Distinct}
              - {name: x-org, value: admin, invert: true}
              path: {type: PathPrefix, value: /user}
              methods: [{value: GET}, {value: POST}]
            - sourceCIDR: {type: Distinct, value: 10.0.0.0/8}
            limit: {requests: 4294967295, unit: Hour}
            shadowMode: true
          - limit: {requests: 5, unit: Minute}
            shared: true
            cost:
              request: {from: Number, number: 2}
              response: {from: Metadata, metadata: {namespace: a.io, key: cost}}
      """;

  @Test
  void rulesAndTheService() throws Exception {
    GlobalRateLimitIr g =
        GlobalRateLimitTranslator.translate(yaml(RULES), "default", "p", config(""));
    assertThat(g.rules()).hasSize(2);
    var r0 = g.rules().get(0);
    assertThat(r0.headers())
        .extracting(h -> h.name() + ":" + h.type() + ":" + h.invert())
        .containsExactly("x-user:Exact:false", "x-org:Distinct:false", "x-org:Exact:true");
    assertThat(r0.methods()).containsExactly("GET", "POST");
    assertThat(r0.path().value()).isEqualTo("/user");
    assertThat(r0.cidr().cidr()).isEqualTo("10.0.0.0/8");
    assertThat(r0.cidr().distinct()).isTrue();
    assertThat(r0.requests()).isEqualTo(4294967295L);
    assertThat(r0.shadowMode()).isTrue();
    var r1 = g.rules().get(1);
    assertThat(r1.hasMatch()).isFalse();
    assertThat(r1.shared()).isTrue();
    assertThat(r1.requestCost().number()).isEqualTo(2);
    assertThat(r1.responseCost().metadataKey()).isEqualTo("cost");
    assertThat(g.service().host())
        .isEqualTo("envoy-ratelimit.envoy-gateway-system.svc.cluster.local");
    assertThat(g.service().port()).isEqualTo(8081);
    assertThat(g.service().failClosed()).isTrue();
    assertThat(g.service().timeoutMillis()).isEqualTo(1500L);
    assertThat(g.sharedDomain()).isEqualTo("default/p");
  }

  @Test
  void queryParameterSelectorsAndInvertedRanges() throws Exception {
    String spec =
        """
        rateLimit:
          global:
            rules:
            - clientSelectors:
              - queryParams:
                - {name: tier, value: free}
                - {name: key, type: Distinct}
                - {name: debug, type: RegularExpression, value: '1|true', invert: true}
              - sourceCIDR: {value: 10.0.0.0/8, invert: true}
              limit: {requests: 2, unit: Minute}
            - clientSelectors: [{sourceCIDR: {type: Distinct, value: 192.168.0.0/16}}]
              limit: {requests: 2, unit: Minute}
        """;
    GlobalRateLimitIr g = GlobalRateLimitTranslator.translate(yaml(spec), "d", "p", config(""));
    var r0 = g.rules().get(0);
    assertThat(r0.queryParams())
        .extracting(q -> q.name() + ":" + q.type() + ":" + q.value() + ":" + q.invert())
        .containsExactly(
            "tier:Exact:free:false",
            "key:Distinct:null:false",
            "debug:RegularExpression:1|true:true");
    assertThat(r0.headers()).isEmpty();
    assertThat(r0.hasMatch()).isTrue();
    assertThat(r0.cidr().invert()).isTrue();
    assertThat(r0.cidr().distinct()).isFalse();
    assertThat(g.rules().get(1).cidr().invert()).isFalse();
    assertThat(FieldSupport.unsupported(yaml(spec), GlobalRateLimitTranslator.SUPPORTED)).isEmpty();
  }

  @Test
  void localRequestCostsAndDistinctQueryParameters() throws Exception {
    String spec =
        """
        rateLimit:
          local:
            rules:
            - clientSelectors: [{queryParams: [{name: key, type: Distinct}]}]
              limit: {requests: 6, unit: Minute}
              cost: {request: {from: Number, number: 3}}
            - clientSelectors: [{headers: [{name: x, value: y}]}]
              limit: {requests: 6, unit: Minute}
              cost: {request: {from: Metadata, metadata: {namespace: a.io, key: cost}}}
            - limit: {requests: 7, unit: Second}
              shared: true
        """;
    var l = LocalRateLimitTranslator.translate(yaml(spec));
    // A shared rule without selectors is a bucket of the policy's, not the route's default.
    assertThat(l.defaultBucket()).isNull();
    assertThat(l.rules().get(2).shared()).isTrue();
    assertThat(l.rules().get(2).matches()).isEmpty();
    assertThat(l.hasShared()).isTrue();
    assertThat(l.rules().get(0).matches().get(0).type()).isEqualTo("Distinct");
    assertThat(l.rules().get(0).requestCost().number()).isEqualTo(3);
    assertThat(l.rules().get(1).requestCost().metadataKey()).isEqualTo("cost");
    assertThat(l.hasDistinct()).isTrue();
    assertThat(FieldSupport.unsupported(yaml(spec), LocalRateLimitTranslator.SUPPORTED)).isEmpty();
    // The default bucket (no selectors) always takes one token: a cost there is not applied.
    assertThatThrownBy(
            () ->
                LocalRateLimitTranslator.translate(
                    yaml(
                        "rateLimit: {local: {rules: [{limit: {requests: 6, unit: Minute}, cost:"
                            + " {request: {from: Number, number: 3}}}]}}")))
        .hasMessageContaining("cost.request on the rule without clientSelectors");
    assertThatThrownBy(
            () ->
                LocalRateLimitTranslator.translate(
                    yaml(
                        "rateLimit: {local: {rules: [{clientSelectors: [{headers: [{name: x,"
                            + " value: y}]}], limit: {requests: 6, unit: Minute}, cost: {response:"
                            + " {from: Number, number: 3}}}]}}")))
        .hasMessageContaining("cost.response: not supported for local rate limits");
  }

  @Test
  void aConfiguredServiceAddressAndTheHostProvider() throws Exception {
    var g =
        GlobalRateLimitTranslator.translate(
            yaml(RULES), "default", "p", config("x-eg4j: {rateLimitService: '127.0.0.1:9999'}\n"));
    assertThat(g.service().host()).isEqualTo("127.0.0.1");
    assertThat(g.service().port()).isEqualTo(9999);
    var host =
        EnvoyGatewayConfig.from(
            yaml("provider: {type: Custom}\nrateLimit: {backend: {type: Redis}}\n"));
    assertThat(host.rateLimitService()).isEqualTo("127.0.0.1:8081");
  }

  /**
   * x-eg4j.rateLimitTls: plaintext without it; {@code true} takes the proxies' xDS client
   * certificate files (/certs, as Envoy Gateway); given files are kept.
   */
  /**
   * A policy environment of controller namespace {@code eg} with no controller Secrets, for the
   * proxy certificate tests: each overrides what it is about; nothing else may be asked for.
   */
  private abstract static class StubEnv implements io.eg4j.translator.core.policy.PolicyEnv {
    @Override
    public java.util.Map<String, String> controllerSecret(String name) {
      return null;
    }

    @Override
    public java.util.Map<String, String> secret(
        com.fasterxml.jackson.databind.node.ObjectNode policy,
        io.eg4j.translator.core.policy.ObjectRef ref) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Map<String, String> configMap(
        com.fasterxml.jackson.databind.node.ObjectNode policy,
        io.eg4j.translator.core.policy.ObjectRef ref) {
      throw new UnsupportedOperationException();
    }

    @Override
    public io.eg4j.model.ir.RouteDestinationIr backend(
        com.fasterxml.jackson.databind.node.ObjectNode policy,
        String destinationName,
        io.eg4j.translator.core.policy.ObjectRef ref,
        String protocol) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String controllerNamespace() {
      return "eg";
    }
  }

  /**
   * The control plane's client certificate ({@code <controller-namespace>/envoy}) wins over the
   * files of x-eg4j.rateLimitTls: it travels over SDS, the CA is where the proxies hold it.
   */
  @Test
  void theControlPlanesCertificateIsPresentedWhenThereIsOne() throws Exception {
    var cert =
        new io.eg4j.model.ir.TlsIr.CertificateIr("eg/envoy", "CERT", "KEY", java.util.List.of());
    io.eg4j.translator.core.policy.PolicyEnv env =
        new StubEnv() {
          @Override
          public io.eg4j.model.ir.TlsIr.CertificateIr proxyClientCertificate() {
            return cert;
          }

          @Override
          public String proxyCaFile() {
            return "/data/certs/ca.crt";
          }
        };
    for (String x : new String[] {"", "x-eg4j: {rateLimitTls: true}\n"}) {
      assertThat(GlobalRateLimitTranslator.translate(yaml(RULES), "d", "p", config(x), env))
          .extracting(g -> g.service().tls())
          .isEqualTo(
              new io.eg4j.model.ir.traffic.GlobalRateLimitIr.TlsFilesIr(
                  "/data/certs/ca.crt", null, null, cert));
    }
  }

  /**
   * The controller's envoy Secret exists but is not a valid pair: the service is still called over
   * TLS (no client certificate), never in plaintext; configured files still win.
   */
  @Test
  void aBrokenControllerCertificateNeverMeansPlaintext() throws Exception {
    io.eg4j.translator.core.policy.PolicyEnv env =
        new StubEnv() {
          @Override
          public String proxyCertificateProblem() {
            return "Secret eg/envoy is not a certificate with its matching private key";
          }
        };
    assertThat(GlobalRateLimitTranslator.translate(yaml(RULES), "d", "p", config(""), env))
        .extracting(g -> g.service().tls())
        .isEqualTo(
            new io.eg4j.model.ir.traffic.GlobalRateLimitIr.TlsFilesIr("/certs/ca.crt", null, null));
    assertThat(
            GlobalRateLimitTranslator.translate(
                yaml(RULES), "d", "p", config("x-eg4j: {rateLimitTls: true}\n"), env))
        .extracting(g -> g.service().tls().certFile())
        .isNotNull();
  }

  @Test
  void tlsToTheService() throws Exception {
    assertThat(
            GlobalRateLimitTranslator.translate(yaml(RULES), "d", "p", config("")).service().tls())
        .isNull();
    assertThat(
            GlobalRateLimitTranslator.translate(
                    yaml(RULES), "d", "p", config("x-eg4j: {rateLimitTls: true}\n"))
                .service()
                .tls())
        .isEqualTo(
            new io.eg4j.model.ir.traffic.GlobalRateLimitIr.TlsFilesIr(
                "/certs/ca.crt", "/certs/tls.crt", "/certs/tls.key"));
    assertThat(
            GlobalRateLimitTranslator.translate(
                    yaml(RULES),
                    "d",
                    "p",
                    config("x-eg4j: {rateLimitTls: {caFile: /a/ca.pem, certFile: /a/c.pem}}\n"))
                .service()
                .tls())
        .isEqualTo(
            new io.eg4j.model.ir.traffic.GlobalRateLimitIr.TlsFilesIr(
                "/a/ca.pem", "/a/c.pem", "/certs/tls.key"));
    assertThat(
            GlobalRateLimitTranslator.translate(
                    yaml(RULES), "d", "p", config("x-eg4j: {rateLimitTls: false}\n"))
                .service()
                .tls())
        .isNull();
  }

  @Test
  void withoutTheServiceTheLimitIsRefusedSayingSo() throws Exception {
    var none = EnvoyGatewayConfig.from(yaml("provider: {type: Kubernetes}\n"));
    assertThatThrownBy(() -> GlobalRateLimitTranslator.translate(yaml(RULES), "d", "p", none))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("rate limit service, which is not configured");
    assertThatThrownBy(() -> GlobalRateLimitTranslator.translate(yaml(RULES), "d", "p", null))
        .hasMessageContaining("not configured");
  }

  @Test
  void noGlobalLimitAndBothTypes() throws Exception {
    String both =
        """
        rateLimit:
          global: {rules: [{limit: {requests: 1, unit: Second}}]}
          local: {rules: [{limit: {requests: 2, unit: Second}}]}
        """;
    assertThat(GlobalRateLimitTranslator.translate(yaml(both), "d", "p", config(""))).isNotNull();
    assertThat(LocalRateLimitTranslator.translate(yaml(both))).isNotNull();
    String local =
        "rateLimit: {type: Local, local: {rules: [{limit: {requests: 2, unit: Second}}]}}";
    assertThat(GlobalRateLimitTranslator.translate(yaml(local), "d", "p", config(""))).isNull();
    String global =
        "rateLimit: {type: Global, global: {rules: [{limit: {requests: 1, unit: Second}}]}}";
    assertThat(LocalRateLimitTranslator.translate(yaml(global))).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{headers: [{name: x, type: Distinct, invert: true}]}|invert is not allowed",
        "{sourceCIDR: {value: 10.0.0.0/33}}|invalid CIDR",
        "{sourceCIDR: {value: not-a-cidr}}|invalid CIDR",
        "{headers: [{name: x, type: RegularExpression, value: '('}]}|invalid regular expression",
        "{headers: [{name: x}]}|value: must be set",
        "{queryParams: [{name: q, type: Distinct, invert: true}]}|invert is not allowed",
        "{queryParams: [{name: q}]}|queryParams.value: must be set",
        "{queryParams: [{name: q, type: RegularExpression, value: '('}]}|invalid regular",
      })
  void invalidSelectors(String selector, String message) throws Exception {
    String spec =
        "rateLimit: {global: {rules: [{clientSelectors: ["
            + selector
            + "], limit: {requests: 1, unit: Second}}]}}";
    assertThatThrownBy(() -> GlobalRateLimitTranslator.translate(yaml(spec), "d", "p", config("")))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(message);
  }

  @Test
  void invalidLimitAndCost() throws Exception {
    assertThatThrownBy(
            () ->
                GlobalRateLimitTranslator.translate(
                    yaml("rateLimit: {global: {rules: [{limit: {requests: 1, unit: Fortnight}}]}}"),
                    "d",
                    "p",
                    config("")))
        .hasMessageContaining("unknown unit");
    assertThatThrownBy(
            () ->
                GlobalRateLimitTranslator.translate(
                    yaml(
                        "rateLimit: {global: {rules: [{limit: {requests: 1, unit: Second}, cost:"
                            + " {request: {from: Metadata, metadata: {namespace: a}}}}]}}"),
                    "d",
                    "p",
                    config("")))
        .hasMessageContaining("namespace and key must be set");
    // Inverted and plain methods in one rule: not enforced yet (not applied, not invalid).
    try {
      GlobalRateLimitTranslator.translate(
          yaml(
              "rateLimit: {global: {rules: [{clientSelectors: [{methods: [{value: GET}, {value:"
                  + " POST, invert: true}]}], limit: {requests: 1, unit: Second}}]}}"),
          "d",
          "p",
          config(""));
      throw new AssertionError("accepted");
    } catch (PolicyException e) {
      assertThat(FieldSupport.isUnsupported(e.getMessage())).isTrue();
    }
  }
}
