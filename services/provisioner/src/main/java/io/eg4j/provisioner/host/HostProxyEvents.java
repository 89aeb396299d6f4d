package io.eg4j.provisioner.host;

import java.util.List;

/**
 * What a host-mode proxy reports, for a launcher to print. Methods are called from supervisor
 * threads and must not block.
 */
public interface HostProxyEvents {

  /**
   * The proxy's set of bound listeners changed (including the first time it binds any).
   *
   * @param fleet the fleet
   * @param urls one URL per bound listener, e.g. {@code http://127.0.0.1:8888}, sorted
   */
  default void listening(String fleet, List<String> urls) {}

  /**
   * The proxy process started.
   *
   * @param fleet the fleet
   * @param pid the envoy process id
   * @param adminPort its admin port
   */
  default void started(String fleet, long pid, int adminPort) {}

  /**
   * The proxy exited on its own and will be restarted.
   *
   * @param fleet the fleet
   * @param exitCode its exit code
   * @param restartInMillis the backoff before the restart
   */
  default void exited(String fleet, int exitCode, long restartInMillis) {}

  /**
   * The proxy was stopped because its fleet is gone or the provisioner stops.
   *
   * @param fleet the fleet
   */
  default void stopped(String fleet) {}

  /** Reports nothing. */
  HostProxyEvents NONE = new HostProxyEvents() {};
}
