package io.eg4j.translator.core.policy.extension;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.extension.ExtensionIr.WasmIr;
import io.eg4j.model.wasm.OciImagePuller;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.eg4j.translator.core.policy.UriClusters;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * EnvoyExtensionPolicy {@code wasm}: one Wasm filter per extension, run in Envoy's V8 runtime.
 *
 * <p>An HTTP code source is fetched by Envoy itself from the module's URL (the API says the server
 * must be reachable from the proxy), through a cluster for the URL's host, and checked against the
 * policy's {@code sha256}; without one, the control plane downloads the module once and uses its
 * checksum ({@link WasmCodeSource}). An OCI image code source is pulled by the control plane
 * (registry API v2, with the policy's {@code kubernetes.io/dockerconfigjson} pull secret), its
 * manifest digest checked against the policy's {@code sha256} (or the URL's digest), and the
 * module's own checksum put in the IR with the image pinned to that digest and the pull secret's
 * entry for the registry; the xds-server's Wasm cache pulls it again and serves it to Envoy. A pull
 * that fails refuses the extension with the reason (or skips it, with {@code failOpen}).
 *
 * <p>With the test setting {@code x-eg4j-test.wasmCache: mock} (the status corpus), modules are
 * never fetched: every code source is served from Envoy Gateway's cache address with a checksum
 * derived from its URL, and a policy {@code sha256} that differs fails the fetch, as Envoy
 * Gateway's translator tests have it.
 */
final class WasmTranslator {
  static final List<String> SUPPORTED =
      List.of(
          "wasm[].name",
          "wasm[].rootID",
          "wasm[].config.**",
          "wasm[].failOpen",
          "wasm[].env.hostKeys[]",
          "wasm[].code.type",
          "wasm[].code.pullPolicy",
          "wasm[].code.http.url",
          "wasm[].code.http.sha256",
          "wasm[].code.http.tls.caCertificateRef.group",
          "wasm[].code.http.tls.caCertificateRef.kind",
          "wasm[].code.http.tls.caCertificateRef.name",
          "wasm[].code.http.tls.caCertificateRef.namespace",
          "wasm[].code.image.tls.caCertificateRef.group",
          "wasm[].code.image.tls.caCertificateRef.kind",
          "wasm[].code.image.tls.caCertificateRef.name",
          "wasm[].code.image.tls.caCertificateRef.namespace",
          "wasm[].code.image.url",
          "wasm[].code.image.sha256",
          "wasm[].code.image.pullSecretRef.group",
          "wasm[].code.image.pullSecretRef.kind",
          "wasm[].code.image.pullSecretRef.name",
          "wasm[].code.image.pullSecretRef.namespace");

  /** The cluster of Envoy Gateway's Wasm cache, as the mock serves from it. */
  static final String MOCK_CLUSTER = "wasm_cluster";

  static final int MOCK_PORT = 18002;

  private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");

  private WasmTranslator() {}

  /**
   * The extensions of {@code spec}. One that cannot be translated fails the policy, unless it sets
   * {@code failOpen}: then it is left out and its problem is added to {@code skipped}.
   *
   * @param mock true for the {@code mock} Wasm cache of the test setting
   */
  static List<WasmIr> translate(
      JsonNode spec,
      ObjectNode policy,
      String id,
      PolicyEnv env,
      WasmCodeSource source,
      boolean mock,
      List<String> skipped)
      throws PolicyException {
    JsonNode list = spec.path("wasm");
    if (!list.isArray()) {
      return List.of();
    }
    List<WasmIr> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode w = list.get(i);
      try {
        out.add(one(w, i, policy, id, env, source, mock));
      } catch (PolicyException ex) {
        if (!w.path("failOpen").asBoolean(false)) {
          throw ex;
        }
        skipped.add(ex.getMessage());
      }
    }
    return out;
  }

  private static WasmIr one(
      JsonNode w,
      int i,
      ObjectNode policy,
      String id,
      PolicyEnv env,
      WasmCodeSource source,
      boolean mock)
      throws PolicyException {
    String where = "spec.wasm[" + i + "]";
    String name = id + "/wasm/" + i;
    JsonNode code = w.path("code");
    String type = code.path("type").asText("");
    String url;
    String sha256;
    String codeWhere;
    String dockerConfig = null;
    String pullSecret = null;
    if (type.equals("HTTP")) {
      codeWhere = where + ".code.http";
      url = code.path("http").path("url").asText("");
      sha256 = checksumField(code.path("http").path("sha256"), codeWhere);
      if (url.isEmpty()) {
        throw new PolicyException(codeWhere + ".url is required when code.type is HTTP");
      }
    } else if (type.equals("Image")) {
      codeWhere = where + ".code.image";
      JsonNode image = code.path("image");
      url = image.path("url").asText("");
      sha256 = checksumField(image.path("sha256"), codeWhere);
      if (url.isEmpty()) {
        throw new PolicyException(codeWhere + ".url is required when code.type is Image");
      }
      JsonNode pull = image.path("pullSecretRef");
      if (pull.isObject()) {
        // The pull secret must exist, be allowed (a ReferenceGrant for another namespace) and hold
        // a docker config.
        dockerConfig = pullSecret(env, policy, codeWhere, pull);
      }
    } else {
      throw new PolicyException(where + ".code.type must be HTTP or Image, not '" + type + "'");
    }
    JsonNode tls = code.path(type.equals("HTTP") ? "http" : "image").path("tls");
    String caPem = tls.isObject() ? caBundle(env, policy, codeWhere, tls) : null;
    if (sha256 != null && !SHA256.matcher(sha256).matches()) {
      throw new PolicyException(
          codeWhere + ".sha256 must be 64 lowercase hex digits, not '" + sha256 + "'");
    }
    String uri;
    String checksum;
    RouteDestinationIr cluster;
    if (mock) {
      String cacheUrl = type.equals("Image") ? ociUrl(url) : url;
      String h = WasmCodeSource.sha256Hex(cacheUrl);
      checksum = WasmCodeSource.sha256Hex("salt" + h);
      if (sha256 != null && !sha256.equals(checksum)) {
        throw new PolicyException(
            codeWhere
                + ": failed to fetch the Wasm module "
                + url
                + ": its checksum "
                + checksum
                + " does not match sha256 "
                + sha256);
      }
      String host = "envoy-gateway." + env.controllerNamespace() + ".svc.cluster.local";
      uri = "https://" + host + ":" + MOCK_PORT + "/" + h + ".wasm";
      cluster = mockCluster(host, proxyCertificate(env));
    } else if (type.equals("Image")) {
      String imageUrl = ociUrl(url);
      OciImagePuller.Reference ref;
      try {
        ref = OciImagePuller.Reference.parse(imageUrl);
      } catch (OciImagePuller.PullException e) {
        throw new PolicyException(codeWhere + ".url: " + e.getMessage());
      }
      String expected = sha256 != null ? sha256 : digestOf(ref);
      String policyPull = code.path("pullPolicy").asText("");
      // Envoy Gateway's default: a latest tag without a checksum is pulled again, others once.
      boolean always =
          policyPull.equals("Always")
              || policyPull.isEmpty() && expected == null && "latest".equals(ref.tag());
      WasmCodeSource.ImageModule m =
          source.image(imageUrl, dockerConfig, caPem, expected, codeWhere, always);
      if (dockerConfig != null) {
        try {
          pullSecret = OciImagePuller.narrowed(dockerConfig, ref.registry());
        } catch (OciImagePuller.PullException e) {
          throw new PolicyException(codeWhere + ".pullSecretRef: " + e.getMessage());
        }
      }
      checksum = m.sha256();
      uri = m.pinnedUrl();
      // Only the control plane's Wasm cache serves a module from an image: no cluster of its own.
      cluster = null;
    } else {
      URI parsed;
      try {
        parsed = URI.create(url);
      } catch (IllegalArgumentException e) {
        throw new PolicyException(codeWhere + ".url: invalid URL " + url);
      }
      String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("https") && !scheme.equals("http") || parsed.getHost() == null) {
        throw new PolicyException(codeWhere + ".url must be an http or https URL: " + url);
      }
      checksum =
          sha256 != null
              ? sha256
              : source.checksum(
                  url, caPem, codeWhere, "Always".equals(code.path("pullPolicy").asText("")));
      uri = url;
      cluster = UriClusters.of(parsed, scheme, caPem);
    }
    String configuration = null;
    JsonNode config = w.path("config");
    if (!config.isMissingNode() && !config.isNull()) {
      try {
        configuration = Json.MAPPER.writeValueAsString(config);
      } catch (JsonProcessingException e) {
        throw new PolicyException(where + ".config: " + e.getOriginalMessage());
      }
    }
    List<String> hostKeys = new ArrayList<>();
    for (JsonNode k : w.path("env").path("hostKeys")) {
      hostKeys.add(k.asText());
    }
    String pluginName = text(w.path("name"));
    return new WasmIr(
        name,
        pluginName != null ? pluginName : name,
        text(w.path("rootID")),
        configuration,
        w.path("failOpen").asBoolean(false),
        uri,
        checksum,
        cluster,
        hostKeys,
        pullSecret,
        caPem);
  }

  /**
   * The PEM CA bundle of {@code tls.caCertificateRef}: key {@code ca.crt} of a ConfigMap or Secret
   * (a ReferenceGrant for another namespace), or the {@code spec.trustBundle} of a
   * ClusterTrustBundle (cluster-scoped, so its {@code namespace} plays no part).
   */
  private static String caBundle(PolicyEnv env, ObjectNode policy, String codeWhere, JsonNode tls)
      throws PolicyException {
    String where = codeWhere + ".tls.caCertificateRef";
    JsonNode ref = tls.path("caCertificateRef");
    if (!ref.isObject() || text(ref.path("name")) == null) {
      throw new PolicyException(where + " must name a CA bundle");
    }
    String group = ref.path("group").asText("");
    String kind = ref.path("kind").asText("Secret");
    if (kind.equals("ClusterTrustBundle")
        && (group.isEmpty() || group.equals("certificates.k8s.io"))) {
      String name = ref.path("name").asText();
      String pem;
      try {
        pem = env.clusterTrustBundle(name);
      } catch (PolicyException e) {
        throw new PolicyException(where + ": " + e.getMessage());
      }
      if (pem == null || !pem.contains("-----BEGIN CERTIFICATE-----")) {
        throw new PolicyException(
            where + ": ClusterTrustBundle " + name + " has no PEM certificate in spec.trustBundle");
      }
      return pem.strip() + "\n";
    }
    if (!group.isEmpty() || !kind.equals("Secret") && !kind.equals("ConfigMap")) {
      throw new PolicyException(
          where
              + ": kind "
              + (group.isEmpty() ? "" : group + "/")
              + kind
              + " is not supported (a ConfigMap or Secret with ca.crt, or a ClusterTrustBundle)");
    }
    ObjectRef r =
        new ObjectRef("", kind, ref.path("name").asText(), text(ref.path("namespace")), null);
    java.util.Map<String, String> data;
    try {
      data = kind.equals("Secret") ? env.secret(policy, r) : env.configMap(policy, r);
    } catch (PolicyException e) {
      throw new PolicyException(where + ": " + e.getMessage());
    }
    String pem = data.get("ca.crt");
    if (pem == null || !pem.contains("-----BEGIN CERTIFICATE-----")) {
      throw new PolicyException(where + ": " + kind + " " + r.name() + " has no PEM ca.crt");
    }
    return pem.strip() + "\n";
  }

  /** The {@code .dockerconfigjson} of the pull secret. */
  private static String pullSecret(
      PolicyEnv env, ObjectNode policy, String codeWhere, JsonNode pull) throws PolicyException {
    java.util.Map<String, String> data;
    try {
      data =
          env.secret(
              policy,
              new ObjectRef(
                  pull.path("group").asText(""),
                  pull.path("kind").asText("Secret"),
                  pull.path("name").asText(""),
                  text(pull.path("namespace")),
                  null));
    } catch (PolicyException e) {
      throw new PolicyException(codeWhere + ".pullSecretRef: " + e.getMessage());
    }
    String config = data.get(".dockerconfigjson");
    if (config == null) {
      String ns = text(pull.path("namespace"));
      throw new PolicyException(
          codeWhere
              + ".pullSecretRef: missing .dockerconfigjson key in secret "
              + (ns != null ? ns : policy.path("metadata").path("namespace").asText(""))
              + "/"
              + pull.path("name").asText(""));
    }
    return config;
  }

  /** The digest (hex) an image reference is pinned to, or null. */
  private static String digestOf(OciImagePuller.Reference ref) {
    return ref.digest() == null ? null : ref.digest().substring("sha256:".length());
  }

  /**
   * The URL of an image as Envoy Gateway's cache names it: {@code oci://} in front, and {@code
   * :latest} after it when it has neither a tag nor a digest.
   */
  static String ociUrl(String image) {
    String ref = image.startsWith("oci://") ? image.substring("oci://".length()) : image;
    int slash = ref.lastIndexOf('/');
    String last = ref.substring(slash + 1);
    if (!last.contains(":") && !last.contains("@")) {
      ref = ref + ":latest";
    }
    return "oci://" + ref;
  }

  /**
   * The proxy's own certificate, which Envoy Gateway's Wasm cache asks Envoy to present (the {@code
   * envoy} Secret of the controller namespace, as Envoy Gateway's certgen makes it, else the
   * control plane's own); null when there is none.
   */
  private static io.eg4j.model.ir.TlsIr.CertificateIr proxyCertificate(PolicyEnv env) {
    return env.proxyClientCertificate();
  }

  private static RouteDestinationIr mockCluster(
      String host, io.eg4j.model.ir.TlsIr.CertificateIr clientCertificate) {
    return new RouteDestinationIr(
        MOCK_CLUSTER,
        List.of(
            new DestinationSettingIr(
                MOCK_CLUSTER + "/backend/-1",
                1,
                "HTTP2",
                "FQDN",
                List.of(new EndpointIr(host, MOCK_PORT)),
                RouteDestinationIr.UpstreamTlsIr.verified(host, null, List.of())
                    .withClientCertificate(clientCertificate))));
  }

  /** A sha256 field: absent, or a string (a YAML number such as 000…0 is not one). */
  private static String checksumField(JsonNode n, String where) throws PolicyException {
    if (n.isMissingNode() || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new PolicyException(where + ".sha256 must be a string of 64 hex digits, not " + n);
    }
    return n.asText();
  }

  private static String text(JsonNode n) {
    return n.isTextual() && !n.asText().isEmpty() ? n.asText() : null;
  }
}
