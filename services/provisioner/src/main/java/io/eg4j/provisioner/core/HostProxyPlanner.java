package io.eg4j.provisioner.core;

import io.eg4j.model.bootstrap.EnvoyBootstrap;
import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.bootstrap.ProxyMetrics;
import io.eg4j.model.ir.InfraIr;
import java.util.Objects;

/**
 * Computes the local Envoy process of a fleet from its infra IR (host mode). Pure: the caller
 * supplies the admin port, so the same inputs always give the same spec.
 *
 * <p>Ports: Envoy binds the listener ports it receives over xDS, which are the infra IR's {@code
 * containerPort}s. Like Envoy Gateway, the translator already shifts privileged Gateway ports
 * (below 1024) by 10000, so a Gateway listener on port 80 is served on 10080 by a non-root Envoy.
 */
public final class HostProxyPlanner {
  private final Settings settings;

  /**
   * Where host-mode proxies find the xds-server.
   *
   * @param xdsHost xds-server address
   * @param xdsPort xds-server gRPC port
   * @param tls client TLS files for mTLS to the xds-server, or null for plaintext
   * @param instance a suffix that makes node ids unique per provisioner (e.g. its pid)
   */
  public record Settings(
      String xdsHost, int xdsPort, EnvoyBootstrapSpec.XdsTls tls, String instance) {
    public Settings {
      Objects.requireNonNull(xdsHost, "xdsHost");
      Objects.requireNonNull(instance, "instance");
    }
  }

  /** A planner for one provisioner. */
  public HostProxyPlanner(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * The process that serves {@code ir}.
   *
   * @param ir the fleet's infra IR
   * @param adminPort the loopback port of the Envoy admin interface
   * @return the desired process
   */
  public HostProxySpec plan(InfraIr ir, int adminPort) {
    return plan(ir, adminPort, 0);
  }

  /**
   * The process that serves {@code ir}, with the EnvoyProxy's bootstrap metrics: the stats listener
   * that serves {@code /stats/prometheus} binds {@code statsPort} on loopback (host-mode proxies
   * share one machine, so each gets a port of its own instead of Envoy Gateway's 19001), and the
   * stats matcher and OpenTelemetry sinks are rendered as in a pod.
   *
   * @param ir the fleet's infra IR
   * @param adminPort the loopback port of the Envoy admin interface
   * @param statsPort the loopback port of the stats listener, or 0 for no bootstrap metrics
   * @return the desired process
   */
  public HostProxySpec plan(InfraIr ir, int adminPort, int statsPort) {
    // common.md "Node naming": cluster = the xDS IR key (= fleet name), id = <key>/<instance>.
    EnvoyBootstrapSpec spec =
        EnvoyBootstrapSpec.of(
                ir.name() + "/" + settings.instance(),
                ir.name(),
                settings.xdsHost(),
                settings.xdsPort(),
                adminPort)
            // Delta ADS, as Envoy Gateway's proxies: a change sends only what changed.
            .withDelta(true);
    if (settings.tls() != null) {
      spec = spec.withTls(settings.tls());
    }
    if (statsPort > 0) {
      spec =
          spec.withMetrics(
              ProxyMetrics.fromSpec(metricsSpec(ir), ir.namespace(), "127.0.0.1", statsPort));
    }
    return new HostProxySpec(
        ir.name(), fileStem(ir.name()), spec, EnvoyBootstrap.render(spec), ir.listeners());
  }

  /** The {@code telemetry.metrics} of the fleet's EnvoyProxy (object or spec), or null. */
  private static com.fasterxml.jackson.databind.JsonNode metricsSpec(InfraIr ir) {
    if (ir.envoyProxy() == null || ir.envoyProxy().isBlank()) {
      return null;
    }
    try {
      var node = io.eg4j.model.bus.Json.MAPPER.readTree(ir.envoyProxy());
      if (node.has("spec") && "EnvoyProxy".equals(node.path("kind").asText())) {
        node = node.get("spec");
      }
      return node.path("telemetry").path("metrics");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      // The renderer reports an unreadable spec; Envoy Gateway's defaults apply.
      return null;
    }
  }

  /**
   * A file-name-safe, collision-free form of a fleet name: characters other than letters, digits,
   * dot and dash are written as {@code _xx} hex escapes, so {@code default/eg} becomes {@code
   * default_2feg}.
   */
  public static String fileStem(String fleet) {
    StringBuilder sb = new StringBuilder(fleet.length() + 8);
    for (char c : fleet.toCharArray()) {
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.') {
        sb.append(c);
      } else {
        sb.append('_').append(String.format("%02x", (int) c & 0xff));
      }
    }
    return sb.toString();
  }
}
