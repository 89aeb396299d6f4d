package io.eg4j.translator.core.policy.extension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.extension.ExtensionIr.WasmIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WasmTranslatorTest {
  private static final String POLICY_ID = "envoyextensionpolicy/default/p";

  /** Lookups: one Secret, default/pull, exists. */
  private static final PolicyEnv ENV =
      new PolicyEnv() {
        @Override
        public Map<String, String> secret(ObjectNode policy, ObjectRef ref) throws PolicyException {
          if (ref.name().equals("nokey")) {
            return Map.of("token", "x");
          }
          if (ref.name().equals("creds")) {
            return Map.of(
                ".dockerconfigjson",
                "{\"auths\":{\"r.example\":{\"auth\":\"dTpw\"},"
                    + "\"other.example\":{\"auth\":\"bzpx\"}}}");
          }
          if (!ref.name().equals("pull")) {
            throw new PolicyException("Secret default/" + ref.name() + " does not exist");
          }
          return Map.of(".dockerconfigjson", "{}");
        }

        @Override
        public Map<String, String> configMap(ObjectNode policy, ObjectRef ref) {
          return ref.name().equals("wasm-ca") ? Map.of("ca.crt", CA) : Map.of();
        }

        @Override
        public String clusterTrustBundle(String name) throws PolicyException {
          if (name.equals("wasm-bundle")) {
            return BUNDLE;
          }
          if (name.equals("empty-bundle")) {
            return "";
          }
          return PolicyEnv.super.clusterTrustBundle(name);
        }

        @Override
        public RouteDestinationIr backend(
            ObjectNode policy, String destinationName, ObjectRef ref, String protocol) {
          throw new UnsupportedOperationException();
        }

        @Override
        public String controllerNamespace() {
          return "eg-system";
        }

        @Override
        public Map<String, String> controllerSecret(String name) {
          return null;
        }
      };

  private static final String SHA_A = "a".repeat(64);

  private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  /** A ClusterTrustBundle's trustBundle: two CAs. */
  private static final String BUNDLE = CA + CA.replace("MIIB", "MIIC");

  private static JsonNode spec(String yaml) throws Exception {
    return Json.YAML.readTree(yaml);
  }

  private static ObjectNode policy() throws Exception {
    return (ObjectNode)
        Json.MAPPER.readTree("{\"metadata\":{\"namespace\":\"default\",\"name\":\"p\"}}");
  }

  private static List<WasmIr> translate(
      String yaml, WasmCodeSource source, boolean mock, List<String> skipped) throws Exception {
    return WasmTranslator.translate(spec(yaml), policy(), POLICY_ID, ENV, source, mock, skipped);
  }

  private static final WasmCodeSource NO_FETCH =
      (url, where, refetch) -> {
        throw new AssertionError("no download expected for " + url);
      };

  @Test
  void httpSourceWithChecksumIsFetchedByEnvoyFromItsUrl() throws Exception {
    List<WasmIr> out =
        translate(
            """
            wasm:
            - name: w1
              rootID: root
              code: {type: HTTP, http: {url: "https://modules.example.com:8443/a/w.wasm", sha256: %s}}
              config: {b: 1, a: [x, y]}
              env: {hostKeys: [K1, K2]}
            """
                .formatted(SHA_A),
            NO_FETCH,
            false,
            new ArrayList<>());
    assertThat(out).hasSize(1);
    WasmIr w = out.get(0);
    assertThat(w.name()).isEqualTo(POLICY_ID + "/wasm/0");
    assertThat(w.pluginName()).isEqualTo("w1");
    assertThat(w.rootId()).isEqualTo("root");
    assertThat(w.uri()).isEqualTo("https://modules.example.com:8443/a/w.wasm");
    assertThat(w.sha256()).isEqualTo(SHA_A);
    assertThat(w.configuration()).isEqualTo("{\"b\":1,\"a\":[\"x\",\"y\"]}");
    assertThat(w.hostKeys()).containsExactly("K1", "K2");
    assertThat(w.cluster().name()).isEqualTo("modules_example_com_8443");
    assertThat(w.cluster().settings().get(0).tls().sni()).isEqualTo("modules.example.com");
    assertThat(w.failOpen()).isFalse();
  }

  @Test
  void withoutChecksumTheControlPlaneDownloadsOnceAndUsesTheModulesChecksum() throws Exception {
    AtomicInteger downloads = new AtomicInteger();
    WasmCodeSource counting =
        (url, where, refetch) -> {
          downloads.incrementAndGet();
          return "b".repeat(64);
        };
    List<WasmIr> out =
        translate(
            """
            wasm:
            - code: {type: HTTP, http: {url: "http://127.0.0.1:9/w.wasm"}}
            """,
            counting,
            false,
            new ArrayList<>());
    assertThat(downloads).hasValue(1);
    assertThat(out.get(0).sha256()).isEqualTo("b".repeat(64));
    // No name: the plugin is named after the filter; no config: no configuration.
    assertThat(out.get(0).pluginName()).isEqualTo(POLICY_ID + "/wasm/0");
    assertThat(out.get(0).configuration()).isNull();
    assertThat(out.get(0).cluster().name()).isEqualTo("127_0_0_1_9");
    assertThat(out.get(0).cluster().settings().get(0).tls()).isNull();
  }

  @Test
  void aClusterTrustBundleIsTheCaOfTheFetchThePullAndEnvoysOwnCluster() throws Exception {
    CaRecordingSource source = new CaRecordingSource();
    List<WasmIr> out =
        translate(
            """
            wasm:
            - code:
                type: HTTP
                http:
                  url: "https://modules.example/w.wasm"
                  tls:
                    caCertificateRef:
                      {group: certificates.k8s.io, kind: ClusterTrustBundle, name: wasm-bundle}
            - code:
                type: Image
                image:
                  url: "r.example/w:v1"
                  tls:
                    caCertificateRef:
                      group: certificates.k8s.io
                      kind: ClusterTrustBundle
                      name: wasm-bundle
                      namespace: elsewhere
            """,
            source,
            false,
            new ArrayList<>());
    // Cluster-scoped: the namespace plays no part and no ReferenceGrant is asked for.
    assertThat(source.asked)
        .containsExactly(
            "https://modules.example/w.wasm ca=" + BUNDLE, "oci://r.example/w:v1 ca=" + BUNDLE);
    assertThat(out.get(0).caCertificate()).isEqualTo(BUNDLE);
    assertThat(out.get(1).caCertificate()).isEqualTo(BUNDLE);
    assertThat(out.get(0).cluster().settings().get(0).tls().caCertificates()).isEqualTo(BUNDLE);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{type: HTTP, http: {url: 'ftp://x/w.wasm', sha256: " + "a" + "}}|sha256 must be 64",
        "{type: HTTP, http: {url: 'ftp://x/w.wasm'}}|must be an http or https URL",
        "{type: HTTP, http: {url: 'https://x/w.wasm', sha256: 0000}}|sha256 must be a string",
        "{type: HTTP, http: {}}|url is required",
        "{type: Image, image: {url: 'registry.example/w:1'}}|does not pull OCI images",
        "{type: Image, image: {url: 'r.example/w:1', pullSecretRef: {name: nokey}}}|"
            + "pullSecretRef: missing .dockerconfigjson key in secret default/nokey",
        "{type: Image, image: {url: 'r.example/W:1'}}|code.image.url: could not parse url",
        "{type: Git}|code.type must be HTTP or Image",
        "{type: Image, image: {url: 'r/w', pullSecretRef: {name: nope}}}|does not exist",
      })
  void invalidCodeSourcesFailThePolicyNamingTheField(String code, String message) {
    String yaml = "wasm:\n- name: w\n  code: " + code + "\n";
    assertThatThrownBy(() -> translate(yaml, NO_FETCH, false, new ArrayList<>()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.wasm[0]")
        .hasMessageContaining(message);
  }

  @Test
  void aFailingExtensionWithFailOpenIsSkippedAndTheOthersKept() throws Exception {
    List<String> skipped = new ArrayList<>();
    List<WasmIr> out =
        translate(
            """
            wasm:
            - name: broken
              failOpen: true
              code: {type: Image, image: {url: "r.example/w:1"}}
            - name: good
              code: {type: HTTP, http: {url: "https://m.example/w.wasm", sha256: %s}}
            """
                .formatted(SHA_A),
            NO_FETCH,
            false,
            skipped);
    assertThat(out).extracting(WasmIr::pluginName).containsExactly("good");
    assertThat(out.get(0).name()).endsWith("/wasm/1");
    assertThat(skipped).singleElement().asString().contains("spec.wasm[0].code.image");
  }

  /** An image source that records what it was asked, and answers with a fixed module. */
  private static final class FakeImages implements WasmCodeSource {
    final List<String> asked = new ArrayList<>();

    @Override
    public String checksum(String url, String where, boolean refetch) {
      throw new AssertionError("no download expected for " + url);
    }

    @Override
    public ImageModule image(
        String url, String dockerConfig, String imageSha256, String where, boolean refetch)
        throws PolicyException {
      asked.add(url + " config=" + (dockerConfig != null) + " sha=" + imageSha256 + " " + refetch);
      if (imageSha256 != null && !imageSha256.equals(SHA_A)) {
        throw new PolicyException(where + ": module downloaded from " + url + " does not match");
      }
      return new ImageModule("oci://r.example/w@sha256:" + SHA_A, "b".repeat(64));
    }
  }

  @Test
  void imageModulesArePulledByTheControlPlaneAndServedOnlyFromItsCache() throws Exception {
    FakeImages images = new FakeImages();
    List<WasmIr> out =
        translate(
            """
            wasm:
            - name: private
              code:
                type: Image
                image: {url: "r.example/w:v1", pullSecretRef: {name: creds}}
            - name: pinned
              code: {type: Image, image: {url: "oci://r.example/w@sha256:%1$s"}}
            - name: latest
              code: {type: Image, image: {url: "r.example/w"}}
            - name: once
              code: {type: Image, pullPolicy: IfNotPresent, image: {url: "r.example/w"}}
            """
                .formatted(SHA_A),
            images,
            false,
            new ArrayList<>());
    WasmIr w = out.get(0);
    assertThat(w.uri()).isEqualTo("oci://r.example/w@sha256:" + SHA_A);
    assertThat(w.isImage()).isTrue();
    assertThat(w.sha256()).isEqualTo("b".repeat(64));
    assertThat(w.cluster()).isNull();
    // Only the image's registry's credentials travel on, in the (sealed) IR.
    assertThat(w.pullSecret()).contains("r.example").doesNotContain("other.example");
    assertThat(out.get(1).pullSecret()).isNull();
    // On the bus they are sealed on their own before the IR is compressed (SecretMaterial).
    io.eg4j.model.bus.SecretBox box = new io.eg4j.model.bus.SecretBox("k1", new byte[32]);
    String sealed =
        new String(
            io.eg4j.model.bus.ContentHash.canonicalJson(w, io.eg4j.model.bus.SecretBox.class, box),
            java.nio.charset.StandardCharsets.UTF_8);
    assertThat(sealed).contains("\"pluginName\":\"private\"", "\"pullSecret\":\"\\u0000k1:");
    assertThat(
            io.eg4j.model.bus.Json.MAPPER
                .readerFor(WasmIr.class)
                .withAttribute(io.eg4j.model.bus.SecretBox.class, box)
                .<WasmIr>readValue(sealed))
        .isEqualTo(w);
    assertThat(io.eg4j.model.bus.Json.MAPPER.writeValueAsString(w))
        .contains(io.eg4j.model.bus.Json.MAPPER.writeValueAsString(w.pullSecret()));
    assertThat(sealed)
        .doesNotContain(io.eg4j.model.bus.Json.MAPPER.writeValueAsString(w.pullSecret()));
    assertThat(images.asked)
        .containsExactly(
            "oci://r.example/w:v1 config=true sha=null false",
            // The URL's digest is checked when the policy gives no sha256.
            "oci://r.example/w@sha256:" + SHA_A + " config=false sha=" + SHA_A + " false",
            // A latest tag without a checksum is pulled again, unless IfNotPresent says not to.
            "oci://r.example/w:latest config=false sha=null true",
            "oci://r.example/w:latest config=false sha=null false");

    String mismatched =
        """
        wasm:
        - code: {type: Image, image: {url: "r.example/w:v1", sha256: %s}}
        """
            .formatted("c".repeat(64));
    assertThatThrownBy(() -> translate(mismatched, images, false, new ArrayList<>()))
        .hasMessageContaining("spec.wasm[0].code.image: module downloaded from");
  }

  @ParameterizedTest
  @CsvSource({
    "registry.example/w,oci://registry.example/w:latest",
    "registry.example:5000/w,oci://registry.example:5000/w:latest",
    "registry.example:5000/w:v1,oci://registry.example:5000/w:v1",
    "oci://registry.example/team/w@sha256:abc,oci://registry.example/team/w@sha256:abc",
    "oci://registry.example/w:v1.0.0,oci://registry.example/w:v1.0.0",
  })
  void imageUrlsAreNamedAsTheCacheNamesThem(String image, String expected) {
    assertThat(WasmTranslator.ociUrl(image)).isEqualTo(expected);
  }

  @Test
  void mockCacheServesEveryModuleFromTheCacheAddressAndChecksTheGivenChecksum() throws Exception {
    String url = "https://www.example.com/w.wasm";
    String h = WasmCodeSource.sha256Hex(url);
    String checksum = WasmCodeSource.sha256Hex("salt" + h);
    List<WasmIr> out =
        translate(
            """
            wasm:
            - name: w
              code: {type: HTTP, http: {url: "%s", sha256: %s}}
            - name: i
              code: {type: Image, image: {url: "r.example:8080/w", pullSecretRef: {name: pull}}}
            """
                .formatted(url, checksum),
            NO_FETCH,
            true,
            new ArrayList<>());
    assertThat(out.get(0).uri())
        .isEqualTo("https://envoy-gateway.eg-system.svc.cluster.local:18002/" + h + ".wasm");
    assertThat(out.get(0).sha256()).isEqualTo(checksum);
    assertThat(out.get(0).cluster().name()).isEqualTo("wasm_cluster");
    String imageH = WasmCodeSource.sha256Hex("oci://r.example:8080/w:latest");
    assertThat(out.get(1).uri()).endsWith("/" + imageH + ".wasm");
    assertThat(out.get(1).sha256()).isEqualTo(WasmCodeSource.sha256Hex("salt" + imageH));

    assertThatThrownBy(
            () ->
                translate(
                    "wasm:\n- name: w\n  code: {type: HTTP, http: {url: \""
                        + url
                        + "\", sha256: "
                        + SHA_A
                        + "}}\n",
                    NO_FETCH,
                    true,
                    new ArrayList<>()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("does not match sha256");
  }

  @Test
  void httpSourceDownloadsOnceChecksumsAndRemembersFailures() throws Exception {
    byte[] module = "\0asm\1\0\0\0 a module".getBytes(StandardCharsets.ISO_8859_1);
    AtomicInteger hits = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          hits.incrementAndGet();
          boolean ok = ex.getRequestURI().getPath().equals("/w.wasm");
          byte[] body = ok ? module : new byte[0];
          ex.sendResponseHeaders(ok ? 200 : 404, ok ? body.length : -1);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      WasmCodeSource.Http source = new WasmCodeSource.Http();
      assertThat(source.checksum(base + "/w.wasm", "f", false))
          .isEqualTo(WasmCodeSource.sha256Hex(module));
      assertThat(source.checksum(base + "/w.wasm", "f", false))
          .isEqualTo(WasmCodeSource.sha256Hex(module));
      assertThat(hits).hasValue(1);
      // pullPolicy Always downloads again.
      source.checksum(base + "/w.wasm", "f", true);
      assertThat(hits).hasValue(2);
      assertThatThrownBy(() -> source.checksum(base + "/missing.wasm", "f.url", false))
          .hasMessageContaining("f.url: cannot download")
          .hasMessageContaining("HTTP 404");
      // A failure is remembered for a while: no second request.
      assertThatThrownBy(() -> source.checksum(base + "/missing.wasm", "f.url", false))
          .hasMessageContaining("HTTP 404");
      assertThat(hits).hasValue(3);
    } finally {
      server.stop(0);
    }
  }

  /** Records the CA bundle each fetch is asked to trust. */
  static final class CaRecordingSource implements WasmCodeSource {
    final List<String> asked = new ArrayList<>();

    @Override
    public String checksum(String url, String where, boolean refetch) {
      return checksum(url, null, where, refetch);
    }

    @Override
    public String checksum(String url, String caPem, String where, boolean refetch) {
      asked.add(url + " ca=" + caPem);
      return "b".repeat(64);
    }

    @Override
    public ImageModule image(
        String url,
        String dockerConfig,
        String caPem,
        String imageSha256,
        String where,
        boolean refetch) {
      asked.add(url + " ca=" + caPem);
      return new ImageModule(url.replace(":v1", "@sha256:" + SHA_A), "c".repeat(64));
    }
  }

  @Test
  void tlsCaBundlesReachTheFetchTheIrAndEnvoysOwnCluster() throws Exception {
    CaRecordingSource source = new CaRecordingSource();
    List<WasmIr> out =
        translate(
            """
            wasm:
            - code:
                type: HTTP
                http:
                  url: "https://modules.example/w.wasm"
                  tls: {caCertificateRef: {kind: ConfigMap, name: wasm-ca}}
            - code:
                type: Image
                image:
                  url: "r.example/w:v1"
                  tls: {caCertificateRef: {kind: ConfigMap, name: wasm-ca}}
            - code: {type: HTTP, http: {url: "https://modules.example/w.wasm"}}
            """,
            source,
            false,
            new ArrayList<>());
    assertThat(source.asked)
        .containsExactly(
            "https://modules.example/w.wasm ca=" + CA,
            "oci://r.example/w:v1 ca=" + CA,
            "https://modules.example/w.wasm ca=null");
    assertThat(out.get(0).caCertificate()).isEqualTo(CA);
    assertThat(out.get(1).caCertificate()).isEqualTo(CA);
    assertThat(out.get(2).caCertificate()).isNull();
    // Envoy's own cluster for the URL verifies with the bundle, and is not shared with the
    // extension that trusts the system's roots.
    assertThat(out.get(0).cluster().settings().get(0).tls().caCertificates()).isEqualTo(CA);
    assertThat(out.get(0).cluster().name()).startsWith("modules_example_443_ca_");
    assertThat(out.get(2).cluster().name()).isEqualTo("modules_example_443");
    assertThat(out.get(2).cluster().settings().get(0).tls().caCertificates()).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{kind: ConfigMap, name: empty}|tls.caCertificateRef: ConfigMap empty has no PEM ca.crt",
        "{group: certificates.k8s.io, kind: ClusterTrustBundle, name: b}|"
            + "ClusterTrustBundle b does not exist",
        "{group: certificates.k8s.io, kind: ClusterTrustBundle, name: empty-bundle}|"
            + "ClusterTrustBundle empty-bundle has no PEM certificate in spec.trustBundle",
        "{group: example.com, kind: ClusterTrustBundle, name: wasm-bundle}|"
            + "kind example.com/ClusterTrustBundle is not supported",
        "{name: nope}|tls.caCertificateRef: Secret default/nope does not exist",
      })
  void tlsCaBundlesThatCannotBeReadFailTheExtension(String ref, String message) {
    String yaml =
        """
        wasm:
        - code:
            type: HTTP
            http: {url: "https://modules.example/w.wasm", tls: {caCertificateRef: %s}}
        """
            .formatted(ref);
    assertThatThrownBy(() -> translate(yaml, new CaRecordingSource(), false, new ArrayList<>()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.wasm[0].code.http.tls.caCertificateRef")
        .hasMessageContaining(message);
  }
}
