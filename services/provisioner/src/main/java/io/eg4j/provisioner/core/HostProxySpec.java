package io.eg4j.provisioner.core;

import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.ir.InfraIr;
import java.util.List;
import java.util.Objects;

/**
 * One desired local Envoy process: everything host mode needs to start it, computed without I/O.
 *
 * @param fleet the fleet name (the infra IR key and the node cluster)
 * @param fileStem a file-name-safe form of the fleet name, used for the bootstrap, log and base-id
 *     files in the work directory
 * @param bootstrap what the bootstrap is rendered from
 * @param bootstrapYaml the rendered bootstrap
 * @param listeners the ports the fleet's Envoy binds, from the infra IR; Envoy itself receives them
 *     over xDS, these are only for reporting
 */
public record HostProxySpec(
    String fleet,
    String fileStem,
    EnvoyBootstrapSpec bootstrap,
    String bootstrapYaml,
    List<InfraIr.ProxyListenerIr> listeners) {

  public HostProxySpec {
    Objects.requireNonNull(fleet, "fleet");
    Objects.requireNonNull(fileStem, "fileStem");
    Objects.requireNonNull(bootstrap, "bootstrap");
    Objects.requireNonNull(bootstrapYaml, "bootstrapYaml");
    listeners = listeners == null ? List.of() : List.copyOf(listeners);
  }

  /**
   * True when running {@code other} needs a new process: only the bootstrap matters, because
   * listeners, routes and clusters reach a running Envoy over xDS.
   */
  public boolean needsRestartFor(HostProxySpec other) {
    return !bootstrapYaml.equals(other.bootstrapYaml);
  }

  /** The URL scheme for a bound port: https for HTTPS and TLS listeners, else http. */
  public String schemeFor(int port) {
    for (InfraIr.ProxyListenerIr l : listeners) {
      if (l.containerPort() == port && l.protocol() != null) {
        String p = l.protocol().toUpperCase(java.util.Locale.ROOT);
        if (p.equals("HTTPS") || p.equals("TLS")) {
          return "https";
        }
        if (p.equals("TCP") || p.equals("UDP")) {
          return p.toLowerCase(java.util.Locale.ROOT);
        }
      }
    }
    return "http";
  }
}
