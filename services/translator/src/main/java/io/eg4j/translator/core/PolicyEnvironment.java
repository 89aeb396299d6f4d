package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The {@link PolicyEnv} of one translation: lookups in its resource snapshot. */
final class PolicyEnvironment implements PolicyEnv {
  private final TranslationContext ctx;
  private final BackendRefProcessor backends;

  PolicyEnvironment(TranslationContext ctx) {
    this.ctx = ctx;
    this.backends = new BackendRefProcessor(ctx, new BackendTlsPolicyProcessor(ctx));
  }

  @Override
  public Map<String, String> secret(ObjectNode policy, ObjectRef ref) throws PolicyException {
    return data(policy, ref, "Secret", ctx.secrets);
  }

  @Override
  public Map<String, String> configMap(ObjectNode policy, ObjectRef ref) throws PolicyException {
    return data(policy, ref, "ConfigMap", ctx.configMaps);
  }

  @Override
  public String clusterTrustBundle(String name) throws PolicyException {
    ObjectNode o = ctx.clusterTrustBundles.get(name);
    if (o == null) {
      throw new PolicyException("ClusterTrustBundle " + name + " does not exist");
    }
    return Nodes.text(Nodes.spec(o), "trustBundle", "");
  }

  private static final java.util.Set<String> CORE_GROUP_SPELLINGS =
      java.util.Set.of("", "core", "v1");

  private Map<String, String> data(
      ObjectNode policy, ObjectRef ref, String expectedKind, Map<String, ObjectNode> objects)
      throws PolicyException {
    String kind = ref.kind() == null ? expectedKind : ref.kind();
    // The core group is "" by the API; "core" and "v1" (its apiVersion) are accepted too, as
    // Envoy Gateway does, since no other group has a Secret or ConfigMap kind.
    if (!kind.equals(expectedKind) || !CORE_GROUP_SPELLINGS.contains(ref.group())) {
      throw new PolicyException(
          "reference to "
              + ref.name()
              + ": unsupported kind "
              + ref.group()
              + "/"
              + kind
              + ", expected "
              + expectedKind);
    }
    String fromNs = Nodes.namespace(policy);
    String ns = ref.namespace() == null ? fromNs : ref.namespace();
    if (!ns.equals(fromNs)
        && !ctx.referenceAllowed(
            TranslationContext.EG_GROUP,
            Nodes.text(policy, "kind", ""),
            fromNs,
            "",
            expectedKind,
            ns,
            ref.name())) {
      throw new PolicyException(
          expectedKind + " " + ns + "/" + ref.name() + " is not allowed by any ReferenceGrant");
    }
    ObjectNode o = objects.get(ns + "/" + ref.name());
    if (o == null) {
      throw new PolicyException(expectedKind + " " + ns + "/" + ref.name() + " does not exist");
    }
    return decode(o, expectedKind.equals("Secret"));
  }

  private static Map<String, String> decode(ObjectNode o, boolean base64) {
    Map<String, String> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = Nodes.obj(o, "data").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String v = e.getValue().asText("");
      if (base64) {
        try {
          v = new String(Base64.getMimeDecoder().decode(v), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException bad) {
          continue;
        }
      }
      out.put(e.getKey(), v);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = Nodes.obj(o, "stringData").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().asText(""));
    }
    return out;
  }

  @Override
  public RouteDestinationIr backend(
      ObjectNode policy, String destinationName, ObjectRef ref, String protocol)
      throws PolicyException {
    ObjectNode raw = Nodes.object();
    raw.put("group", ref.group());
    raw.put("kind", ref.kind() == null ? "Service" : ref.kind());
    raw.put("name", ref.name());
    if (ref.namespace() != null) {
      raw.put("namespace", ref.namespace());
    }
    if (ref.port() != null) {
      raw.put("port", ref.port());
    }
    BackendRefProcessor.Result r =
        backends.resolveForPolicy(destinationName + "/backend/0", raw, policy, protocol);
    if (r.setting() == null && r.error() != null && r.error().type().equals("BackendsAvailable")) {
      // No ready endpoints is not a configuration error: the cluster exists, calls to it fail
      // until endpoints appear (the filter then fails closed, or open when the policy says so).
      return new RouteDestinationIr(
          destinationName,
          List.of(
              new RouteDestinationIr.DestinationSettingIr(
                  destinationName + "/backend/0", 1, protocol, "IP", List.of(), null)));
    }
    if (r.setting() == null) {
      throw new PolicyException(
          r.error() == null ? "backend " + ref.name() + " has no weight" : r.error().message());
    }
    return new RouteDestinationIr(destinationName, List.of(r.setting()));
  }

  @Override
  public String controllerNamespace() {
    return ctx.config.controllerNamespace();
  }

  @Override
  public io.eg4j.model.config.EnvoyGatewayConfig gatewayConfig() {
    return ctx.config;
  }

  @Override
  public io.eg4j.model.ir.TlsIr.CertificateIr controllerCertificate(String name) {
    return CertificateValidator.certificate(ctx.secret(controllerNamespace(), name));
  }

  @Override
  public io.eg4j.model.ir.TlsIr.CertificateIr proxyClientCertificate() {
    String name = controllerNamespace() + "/" + ProxyClientTls.SECRET_NAME;
    ObjectNode secret = ctx.secret(controllerNamespace(), ProxyClientTls.SECRET_NAME);
    if (secret != null) {
      // Checked like every certificate eg4j serves (a pair whose key does not match would make
      // Envoy refuse the secret, and with it the clusters that present it): a Secret that is not a
      // valid pair counts as missing.
      io.eg4j.model.ir.TlsIr.CertificateIr valid = CertificateValidator.certificate(secret);
      if (valid != null) {
        return new io.eg4j.model.ir.TlsIr.CertificateIr(
            name, valid.certificateChain(), valid.privateKey(), java.util.List.of());
      }
    }
    ProxyClientTls own = ctx.proxyClientTls;
    return own.hasCertificate()
        ? new io.eg4j.model.ir.TlsIr.CertificateIr(
            name, own.certificatePem(), own.privateKeyPem(), java.util.List.of())
        : null;
  }

  @Override
  public String proxyCertificateProblem() {
    ObjectNode secret = ctx.secret(controllerNamespace(), ProxyClientTls.SECRET_NAME);
    if (secret == null || CertificateValidator.certificate(secret) != null) {
      return null;
    }
    return "Secret "
        + controllerNamespace()
        + "/"
        + ProxyClientTls.SECRET_NAME
        + " is not a certificate with its matching private key (tls.crt, tls.key)";
  }

  @Override
  public String proxyCaFile() {
    return ctx.proxyClientTls.caFile();
  }

  @Override
  public Map<String, String> controllerSecret(String name) {
    ObjectNode o = ctx.secret(controllerNamespace(), name);
    return o == null ? null : decode(o, true);
  }
}
