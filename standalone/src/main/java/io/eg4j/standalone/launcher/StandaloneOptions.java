package io.eg4j.standalone.launcher;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What to run in standalone mode.
 *
 * @param manifests the directory of YAML manifests the watcher reads (null in Kubernetes mode)
 * @param dataDir where the broker, statuses, proxies, certificates and keys live
 * @param clean wipe {@code dataDir} first
 * @param demoEcho start an echo backend for every 127.0.0.1 Backend endpoint in the manifests
 * @param defaultPorts try the documented default ports first (19092, 18000, 19001-19005); false
 *     takes free ports only (tests)
 * @param envoyBinary the envoy executable, or null for {@code envoy} on PATH
 * @param gatewayConfig an EnvoyGateway config file, or null for the standalone default
 * @param extraProperties properties added to every service (tests)
 * @param out where progress lines go
 * @param kubernetes Kubernetes mode (the cluster instead of {@code manifests}), or null for files
 * @param portOffset added to every default port (with {@code defaultPorts}), so that a second
 *     instance can use ports of its own: {@code --port-offset 100} makes them 19192, 18100 and
 *     19101-19105
 */
public record StandaloneOptions(
    Path manifests,
    Path dataDir,
    boolean clean,
    boolean demoEcho,
    boolean defaultPorts,
    String envoyBinary,
    Path gatewayConfig,
    Map<String, String> extraProperties,
    PrintStream out,
    KubernetesTarget kubernetes,
    int portOffset) {

  /** The largest port offset: the highest default port (19105) plus it stays below 65536. */
  public static final int MAX_PORT_OFFSET = 40_000;

  public StandaloneOptions(
      Path manifests,
      Path dataDir,
      boolean clean,
      boolean demoEcho,
      boolean defaultPorts,
      String envoyBinary,
      Path gatewayConfig,
      Map<String, String> extraProperties,
      PrintStream out,
      KubernetesTarget kubernetes) {
    this(
        manifests,
        dataDir,
        clean,
        demoEcho,
        defaultPorts,
        envoyBinary,
        gatewayConfig,
        extraProperties,
        out,
        kubernetes,
        0);
  }

  public StandaloneOptions {
    if (portOffset < 0 || portOffset > MAX_PORT_OFFSET) {
      throw new IllegalArgumentException(
          "the port offset must be between 0 and " + MAX_PORT_OFFSET + ", got " + portOffset);
    }
    if (kubernetes == null) {
      Objects.requireNonNull(manifests, "manifests");
    }
    Objects.requireNonNull(dataDir, "dataDir");
    manifests = manifests == null ? null : manifests.toAbsolutePath().normalize();
    dataDir = dataDir.toAbsolutePath().normalize();
    extraProperties = extraProperties == null ? Map.of() : Map.copyOf(extraProperties);
    out = out == null ? System.out : out;
  }

  /** Options for a test: free ports, no echo, progress to {@code out}. */
  public static StandaloneOptions forTest(Path manifests, Path dataDir, PrintStream out) {
    return new StandaloneOptions(
        manifests, dataDir, false, false, false, null, null, null, out, null);
  }

  /** Options for a test in Kubernetes mode: free ports, progress to {@code out}. */
  public static StandaloneOptions forKubernetesTest(
      KubernetesTarget kubernetes, Path dataDir, PrintStream out) {
    return new StandaloneOptions(
        null, dataDir, false, false, false, null, null, null, out, kubernetes);
  }

  /** True in Kubernetes mode. */
  public boolean kubernetesMode() {
    return kubernetes != null;
  }

  /** The same options with more service properties. */
  public StandaloneOptions withProperties(Map<String, String> more) {
    Map<String, String> all = new java.util.HashMap<>(extraProperties);
    all.putAll(more);
    return new StandaloneOptions(
        manifests,
        dataDir,
        clean,
        demoEcho,
        defaultPorts,
        envoyBinary,
        gatewayConfig,
        all,
        out,
        kubernetes,
        portOffset);
  }

  /** The same options with the demo echo backends on or off. */
  public StandaloneOptions withDemoEcho(boolean on) {
    return new StandaloneOptions(
        manifests,
        dataDir,
        clean,
        on,
        defaultPorts,
        envoyBinary,
        gatewayConfig,
        extraProperties,
        out,
        kubernetes,
        portOffset);
  }

  /** The same options with a port offset (and the default ports tried first). */
  public StandaloneOptions withPortOffset(int offset) {
    return new StandaloneOptions(
        manifests,
        dataDir,
        clean,
        demoEcho,
        true,
        envoyBinary,
        gatewayConfig,
        extraProperties,
        out,
        kubernetes,
        offset);
  }
}
