package io.eg4j.xds.app;

import io.eg4j.model.k8s.ControllerSecrets;
import io.eg4j.xds.core.CertGen;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Helm chart's certgen Job: creates the Kubernetes Secrets for mTLS between Envoy and the
 * xds-server (a CA certificate, the xds-server certificate, the Envoy client certificate), once,
 * and the OIDC cookie key ({@link #ensureOidcHmac}) when it is absent.
 *
 * <p>Idempotent and never destructive: when all three Secrets exist it does nothing; when none
 * exists it creates them from one freshly generated CA; when only some exist it fails without
 * writing, because certificates signed by a new CA would not match the ones already there (delete
 * all three to regenerate). The CA's private key is not kept: nothing can mint more certificates
 * from a leaked Secret, and renewal is regeneration.
 *
 * <p>Run in the xds-server image with {@code java -cp @/app/jib-classpath-file
 * io.eg4j.xds.app.KubernetesCertgen --eg4j.certgen.kubernetes.namespace=NS ...}; it talks to the
 * API server with the pod's service account, which needs {@code get} and {@code create} on Secrets
 * in that namespace.
 */
public final class KubernetesCertgen {

  /** The label the created Secrets carry, so operators can tell who made them. */
  public static final String MANAGED_BY = "eg4j-certgen";

  /**
   * What to create.
   *
   * @param namespace where the Secrets go
   * @param caSecret the CA certificate Secret ({@code ca.crt})
   * @param serverSecret the xds-server Secret ({@code tls.crt}, {@code tls.key}, {@code ca.crt})
   * @param envoySecret the Envoy client Secret ({@code tls.crt}, {@code tls.key}, {@code ca.crt})
   * @param serverNames extra DNS names or IPs for the server certificate
   * @param validity how long the certificates are valid
   */
  public record Settings(
      String namespace,
      String caSecret,
      String serverSecret,
      String envoySecret,
      List<String> serverNames,
      Duration validity) {
    public Settings {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(caSecret, "caSecret");
      Objects.requireNonNull(serverSecret, "serverSecret");
      Objects.requireNonNull(envoySecret, "envoySecret");
      serverNames = serverNames == null ? List.of() : List.copyOf(serverNames);
      validity = validity == null ? Duration.ofDays(3650) : validity;
    }
  }

  /** What a run did. */
  public enum Outcome {
    /** All three Secrets were created. */
    CREATED,
    /** All three Secrets were already there; nothing was written. */
    EXISTED
  }

  private KubernetesCertgen() {}

  /**
   * Creates the Secrets unless they exist.
   *
   * @throws IllegalStateException when only some of them exist
   */
  public static Outcome run(KubernetesClient client, Settings s, PrintStream out) {
    List<String> names = List.of(s.caSecret(), s.serverSecret(), s.envoySecret());
    List<String> present = new ArrayList<>();
    for (String name : names) {
      if (client.secrets().inNamespace(s.namespace()).withName(name).get() != null) {
        present.add(name);
      }
    }
    if (present.size() == names.size()) {
      out.println(
          "certgen: Secrets " + names + " exist in " + s.namespace() + "; kept as they are");
      ensureOidcHmac(client, s.namespace(), out);
      return Outcome.EXISTED;
    }
    if (!present.isEmpty()) {
      throw new IllegalStateException(
          "only "
              + present
              + " of "
              + names
              + " exist in "
              + s.namespace()
              + ": new certificates would not match them. Delete all three to regenerate.");
    }
    CertGen.Bundle b = CertGen.generate(s.serverNames(), s.validity());
    String ca = b.get(CertGen.CA_CERT);
    create(client, s.namespace(), s.caSecret(), "Opaque", Map.of("ca.crt", ca), out);
    create(
        client,
        s.namespace(),
        s.serverSecret(),
        "kubernetes.io/tls",
        tls(b.get(CertGen.SERVER_CERT), b.get(CertGen.SERVER_KEY), ca),
        out);
    create(
        client,
        s.namespace(),
        s.envoySecret(),
        "kubernetes.io/tls",
        tls(b.get(CertGen.CLIENT_CERT), b.get(CertGen.CLIENT_KEY), ca),
        out);
    ensureOidcHmac(client, s.namespace(), out);
    return Outcome.CREATED;
  }

  /**
   * The key OIDC signs its cookies with ({@link ControllerSecrets#OIDC_HMAC}, key {@code
   * hmac-secret}, 32 random bytes), as Envoy Gateway's certgen makes it: created when absent, never
   * replaced (a new key would sign every user out).
   */
  static void ensureOidcHmac(KubernetesClient client, String ns, PrintStream out) {
    String name = ControllerSecrets.OIDC_HMAC;
    if (client.secrets().inNamespace(ns).withName(name).get() != null) {
      out.println("certgen: Secret " + ns + "/" + name + " exists; kept as it is");
      return;
    }
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .addToLabels("app.kubernetes.io/managed-by", MANAGED_BY)
            .endMetadata()
            .withType("Opaque")
            .withData(Map.of("hmac-secret", Base64.getEncoder().encodeToString(key)))
            .build();
    try {
      client.secrets().inNamespace(ns).resource(secret).create();
      out.println("certgen: created Secret " + ns + "/" + name);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      // Created by another run meanwhile: keep that one.
      out.println("certgen: Secret " + ns + "/" + name + " exists; kept as it is");
    }
  }

  private static Map<String, String> tls(String cert, String key, String ca) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("tls.crt", cert);
    m.put("tls.key", key);
    m.put("ca.crt", ca);
    return m;
  }

  private static void create(
      KubernetesClient client,
      String ns,
      String name,
      String type,
      Map<String, String> files,
      PrintStream out) {
    Map<String, String> data = new LinkedHashMap<>();
    files.forEach(
        (k, v) ->
            data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .addToLabels("app.kubernetes.io/managed-by", MANAGED_BY)
            .endMetadata()
            .withType(type)
            .withData(data)
            .build();
    try {
      client.secrets().inNamespace(ns).resource(secret).create();
      out.println("certgen: created Secret " + ns + "/" + name);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      // Another run created it between our check and now: never overwrite.
      throw new IllegalStateException(
          "Secret " + ns + "/" + name + " appeared while certgen ran; run it again", e);
    }
  }

  /**
   * Parses {@code --eg4j.certgen.*} arguments: {@code kubernetes.namespace} (required), {@code
   * kubernetes.ca-secret}, {@code kubernetes.server-secret}, {@code kubernetes.envoy-secret},
   * {@code san} (repeatable, or comma-separated) and {@code validity-days}.
   */
  static Settings parse(List<String> args) {
    String prefix = "--eg4j.certgen.";
    Map<String, String> one = new LinkedHashMap<>();
    List<String> sans = new ArrayList<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (!a.startsWith(prefix) || eq < 0) {
        throw new IllegalArgumentException("unknown argument " + a);
      }
      String key = a.substring(prefix.length(), eq);
      String value = a.substring(eq + 1).trim();
      switch (key) {
        case "san" -> {
          for (String v : value.split(",")) {
            if (!v.isBlank()) {
              sans.add(v.trim());
            }
          }
        }
        case "kubernetes.namespace",
            "kubernetes.ca-secret",
            "kubernetes.server-secret",
            "kubernetes.envoy-secret",
            "validity-days" ->
            one.put(key, value);
        default -> throw new IllegalArgumentException("unknown argument " + a);
      }
    }
    String ns = one.get("kubernetes.namespace");
    if (ns == null || ns.isBlank()) {
      throw new IllegalArgumentException("--eg4j.certgen.kubernetes.namespace is required");
    }
    long days;
    try {
      days = Long.parseLong(one.getOrDefault("validity-days", "3650"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--eg4j.certgen.validity-days is not a number");
    }
    if (days < 1) {
      throw new IllegalArgumentException("--eg4j.certgen.validity-days must be at least 1");
    }
    return new Settings(
        ns,
        one.getOrDefault("kubernetes.ca-secret", "eg4j-xds-ca"),
        one.getOrDefault("kubernetes.server-secret", "eg4j-xds-server"),
        one.getOrDefault("kubernetes.envoy-secret", "envoy"),
        sans,
        Duration.ofDays(days));
  }

  /** Exit codes: 0 created or kept, 1 failure, 2 bad arguments. */
  public static void main(String[] args) {
    Settings settings;
    try {
      settings = parse(List.of(args));
    } catch (IllegalArgumentException e) {
      System.err.println("certgen: " + e.getMessage());
      System.exit(2);
      return;
    }
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      run(client, settings, System.out);
    } catch (RuntimeException e) {
      System.err.println("certgen: " + e.getMessage());
      System.exit(1);
    }
  }
}
