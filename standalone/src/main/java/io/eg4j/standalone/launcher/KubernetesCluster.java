package io.eg4j.standalone.launcher;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The cluster of Kubernetes mode: which kubeconfig the services read, a check that it can be read
 * and that its API server answers (before anything starts), and the controller namespace.
 *
 * <p>The services build their clients with fabric8's {@code new KubernetesClientBuilder().build()},
 * which reads the kubeconfig named by the {@code kubeconfig} system property (else {@code
 * KUBECONFIG}, else {@code ~/.kube/config}). {@link #withKubeconfig} sets that property, and turns
 * the in-cluster service account off, while one service's context starts; the clients it builds
 * keep their configuration afterwards. So each service may run with its own kubeconfig (tests).
 *
 * <p>fabric8 reads the kubeconfig again when the server answers 401 (an expired token of an {@code
 * exec} or OIDC user, as cloud clusters hand out), and then the system property must still name the
 * same file: {@code eg4j run} sets it for the whole process ({@link #useForThisProcess}).
 */
public final class KubernetesCluster {
  private static final Object PROPERTIES = new Object();
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final int REQUEST_TIMEOUT_MS = 10_000;

  /**
   * What the check found.
   *
   * @param source the kubeconfig file(s) read
   * @param url the API server's URL
   * @param context the kubeconfig context in use
   * @param version the server's Kubernetes version
   */
  public record Target(String source, String url, String context, String version) {}

  /** The kubeconfig cannot be read, or its API server cannot be used; the message says which. */
  public static final class UnavailableException extends IOException {
    UnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private KubernetesCluster() {}

  /**
   * Runs {@code body} (which builds fabric8 clients) with fabric8 reading {@code kubeconfig} (null:
   * its default resolution) and never the pod's service account.
   */
  public static <T> T withKubeconfig(Path kubeconfig, Callable<T> body) throws Exception {
    synchronized (PROPERTIES) {
      Map<String, String> set = new LinkedHashMap<>();
      if (kubeconfig != null) {
        set.put(Config.KUBERNETES_KUBECONFIG_FILE, kubeconfig.toString());
      }
      set.put(Config.KUBERNETES_AUTH_TRYSERVICEACCOUNT_SYSTEM_PROPERTY, "false");
      set.put(Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY, "true");
      Map<String, String> saved = new LinkedHashMap<>();
      set.forEach(
          (k, v) -> {
            saved.put(k, System.getProperty(k));
            System.setProperty(k, v);
          });
      try {
        return body.call();
      } finally {
        saved.forEach(
            (k, v) -> {
              if (v == null) {
                System.clearProperty(k);
              } else {
                System.setProperty(k, v);
              }
            });
      }
    }
  }

  /**
   * Makes {@code kubeconfig} (null: fabric8's default resolution) the one every fabric8 client of
   * this process reads, also when it refreshes credentials later, and never the pod's service
   * account. For {@code eg4j run}, whose JVM is eg4j's alone.
   */
  public static void useForThisProcess(Path kubeconfig) {
    synchronized (PROPERTIES) {
      if (kubeconfig != null) {
        System.setProperty(
            Config.KUBERNETES_KUBECONFIG_FILE, kubeconfig.toAbsolutePath().normalize().toString());
      }
      System.setProperty(Config.KUBERNETES_AUTH_TRYSERVICEACCOUNT_SYSTEM_PROPERTY, "false");
      System.setProperty(Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY, "true");
    }
  }

  /** The kubeconfig files fabric8 reads for {@code kubeconfig} (null: KUBECONFIG or default). */
  static List<Path> files(Path kubeconfig) {
    if (kubeconfig != null) {
      return List.of(kubeconfig);
    }
    String env = System.getenv("KUBECONFIG");
    List<Path> out = new ArrayList<>();
    if (env != null && !env.isBlank()) {
      for (String f : env.split(File.pathSeparator)) {
        if (!f.isBlank()) {
          out.add(Path.of(f));
        }
      }
      return out;
    }
    return List.of(Path.of(System.getProperty("user.home"), ".kube", "config"));
  }

  /** How to name the kubeconfig in messages. */
  static String describe(Path kubeconfig) {
    if (kubeconfig != null) {
      return kubeconfig.toString();
    }
    String env = System.getenv("KUBECONFIG");
    return env != null && !env.isBlank() ? env + " (KUBECONFIG)" : files(null).get(0).toString();
  }

  /**
   * Reads the kubeconfig and asks its API server for its version, within a few seconds.
   *
   * @throws UnavailableException naming the file when it cannot be read, and the URL when the
   *     server cannot be reached or refuses the credentials
   */
  public static Target check(Path kubeconfig) throws UnavailableException {
    String source = describe(kubeconfig);
    List<Path> readable = new ArrayList<>();
    for (Path f : files(kubeconfig)) {
      if (Files.isRegularFile(f) && Files.isReadable(f)) {
        readable.add(f);
      } else if (kubeconfig != null) {
        throw new UnavailableException(
            "cannot read the kubeconfig "
                + f
                + (Files.exists(f) ? " (not a readable file)" : " (no such file)"),
            null);
      }
    }
    if (readable.isEmpty()) {
      throw new UnavailableException(
          "no kubeconfig to read: "
              + source
              + " does not exist (give --kubeconfig FILE or set KUBECONFIG)",
          null);
    }
    for (Path f : readable) {
      try {
        KubeConfigUtils.parseConfig(f.toFile());
      } catch (RuntimeException e) {
        throw new UnavailableException(
            "cannot read the kubeconfig " + f + ": " + rootMessage(e), e);
      }
    }
    Config config;
    try {
      config = withKubeconfig(kubeconfig, () -> Config.autoConfigure(null));
    } catch (Exception e) {
      throw new UnavailableException(
          "cannot read the kubeconfig " + source + ": " + rootMessage(e), e);
    }
    if (config.getCurrentContext() == null) {
      throw new UnavailableException(
          "the kubeconfig " + source + " has no current context (kubectl config use-context)",
          null);
    }
    String context = config.getCurrentContext().getName();
    String url = config.getMasterUrl();
    config.setConnectionTimeout(CONNECT_TIMEOUT_MS);
    config.setRequestTimeout(REQUEST_TIMEOUT_MS);
    config.setRequestRetryBackoffLimit(0);
    try (KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build()) {
      String version = c.getKubernetesVersion().getGitVersion();
      // /version answers anyone; a read of the caller's own namespace list proves the credentials.
      try {
        c.namespaces().withName("default").get();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 401) {
          throw new UnavailableException(
              "the Kubernetes API server at "
                  + url
                  + " refused the credentials of context "
                  + context
                  + " in "
                  + source
                  + " (HTTP 401 Unauthorized)",
              e);
        }
        // 403: these credentials may still do what the services need in their namespaces.
      }
      return new Target(source, url, context, version);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 401) {
        throw new UnavailableException(
            "the Kubernetes API server at "
                + url
                + " refused the credentials of context "
                + context
                + " in "
                + source
                + " (HTTP 401 Unauthorized)",
            e);
      }
      throw new UnavailableException(
          "cannot reach the Kubernetes API server at "
              + url
              + " (context "
              + context
              + " in "
              + source
              + "): "
              + rootMessage(e),
          e);
    }
  }

  /**
   * Creates the controller namespace unless it exists; returns true when it was created. A caller
   * that may not read or create namespaces gets false and a line on {@code out}: the namespace may
   * exist all the same.
   */
  public static boolean ensureNamespace(Path kubeconfig, String namespace, java.io.PrintStream out)
      throws Exception {
    try (KubernetesClient c =
        withKubeconfig(kubeconfig, () -> new KubernetesClientBuilder().build())) {
      if (c.namespaces().withName(namespace).get() != null) {
        return false;
      }
      c.namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
          .create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403 || e.getCode() == 409) {
        if (e.getCode() == 403) {
          out.println(
              "WARNING: may not read or create namespace "
                  + namespace
                  + " ("
                  + e.getStatus().getMessage()
                  + "); it must exist");
        }
        return false;
      }
      throw e;
    }
  }

  /**
   * Writes the proxies' xDS client certificate into the Secret {@code name} of {@code namespace}
   * ({@code tls.crt}, {@code tls.key}, {@code ca.crt}, as the provisioner mounts it), replacing
   * what was there: the pods of the fleets mount it to reach this machine's xds-server over mTLS.
   */
  public static void applyXdsClientSecret(
      Path kubeconfig, String namespace, String name, Path certs) throws Exception {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("tls.crt", base64(certs.resolve("client.crt")));
    data.put("tls.key", base64(certs.resolve("client.key")));
    data.put("ca.crt", base64(certs.resolve("ca.crt")));
    try (KubernetesClient c =
        withKubeconfig(kubeconfig, () -> new KubernetesClientBuilder().build())) {
      c.secrets()
          .inNamespace(namespace)
          .resource(
              new io.fabric8.kubernetes.api.model.SecretBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(namespace)
                  .endMetadata()
                  .withType("kubernetes.io/tls")
                  .withData(data)
                  .build())
          .createOr(r -> r.update());
    }
  }

  private static String base64(Path f) throws IOException {
    return java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(f));
  }

  /**
   * The Gateway API CRDs missing from the cluster (the watcher waits for them; nothing happens
   * until they are installed). Empty when all are there or when CRDs may not be read.
   */
  public static List<String> missingGatewayApiCrds(Path kubeconfig) throws Exception {
    List<String> missing = new ArrayList<>();
    try (KubernetesClient c =
        withKubeconfig(kubeconfig, () -> new KubernetesClientBuilder().build())) {
      for (String crd :
          List.of(
              "gatewayclasses.gateway.networking.k8s.io",
              "gateways.gateway.networking.k8s.io",
              "httproutes.gateway.networking.k8s.io")) {
        if (c.apiextensions().v1().customResourceDefinitions().withName(crd).get() == null) {
          missing.add(crd);
        }
      }
    } catch (KubernetesClientException e) {
      return List.of();
    }
    return missing;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage();
    return c.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }
}
