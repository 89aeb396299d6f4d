package io.eg4j.standalone.launcher;

import java.nio.file.Path;
import java.util.Map;

/**
 * Kubernetes mode of the launcher ({@code eg4j run --kubeconfig}): the five services in this JVM
 * against a cluster instead of a directory of files. The watcher watches the cluster, the
 * status-writer writes statuses to it, the provisioner creates the proxy fleets in it, and the
 * xds-server serves xDS on this machine.
 *
 * @param kubeconfig the kubeconfig file, or null for fabric8's (and kubectl's) default: the files
 *     of {@code KUBECONFIG}, else {@code ~/.kube/config}
 * @param controllerNamespace the control plane's namespace: fleets, Leases (default {@code
 *     envoy-gateway-system}); created when missing
 * @param serviceKubeconfigs per service name, a kubeconfig that replaces {@code kubeconfig} for
 *     that service (tests run each service with its own ServiceAccount's token)
 * @param xdsAddress the address the xds-server listens on and the proxies' bootstraps name, or null
 *     for 127.0.0.1 (then the proxies cannot reach it from another host or network namespace); with
 *     any other address the proxies also get the xDS client certificate, as a Secret
 */
public record KubernetesTarget(
    Path kubeconfig,
    String controllerNamespace,
    Map<String, Path> serviceKubeconfigs,
    String xdsAddress) {

  /** The loopback address the xds-server listens on unless told otherwise. */
  public static final String LOOPBACK = "127.0.0.1";

  /** Envoy Gateway's controller namespace. */
  public static final String DEFAULT_NAMESPACE = "envoy-gateway-system";

  public KubernetesTarget {
    kubeconfig = kubeconfig == null ? null : kubeconfig.toAbsolutePath().normalize();
    controllerNamespace =
        controllerNamespace == null || controllerNamespace.isBlank()
            ? DEFAULT_NAMESPACE
            : controllerNamespace;
    serviceKubeconfigs = serviceKubeconfigs == null ? Map.of() : Map.copyOf(serviceKubeconfigs);
    xdsAddress = xdsAddress == null || xdsAddress.isBlank() ? LOOPBACK : xdsAddress.trim();
  }

  /** A target whose xds-server listens on loopback. */
  public KubernetesTarget(
      Path kubeconfig, String controllerNamespace, Map<String, Path> serviceKubeconfigs) {
    this(kubeconfig, controllerNamespace, serviceKubeconfigs, null);
  }

  /** The kubeconfig {@code service} runs with (null: the default resolution). */
  public Path kubeconfigOf(String service) {
    return serviceKubeconfigs.getOrDefault(service, kubeconfig);
  }
}
