package io.eg4j.standalone.launcher;

import java.util.List;

/**
 * One eg4j service as the launcher starts it.
 *
 * @param name the service name, e.g. {@code xds-server}
 * @param applicationClass its {@code *Application} class name
 * @param defaultHttpPort its default actuator port
 */
public record ServiceSpec(String name, String applicationClass, int defaultHttpPort) {

  /** Start order: consumers of a topic come before its producers, so nothing is read twice. */
  public static final List<ServiceSpec> ALL =
      List.of(
          new ServiceSpec("xds-server", "io.eg4j.xds.app.XdsServerApplication", 19003),
          new ServiceSpec(
              "status-writer", "io.eg4j.statuswriter.app.StatusWriterApplication", 19005),
          new ServiceSpec("provisioner", "io.eg4j.provisioner.app.ProvisionerApplication", 19004),
          new ServiceSpec("translator", "io.eg4j.translator.app.TranslatorApplication", 19002),
          new ServiceSpec("watcher", "io.eg4j.watcher.app.WatcherApplication", 19001));

  /** The spec of a service by name. */
  public static ServiceSpec named(String name) {
    return ALL.stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no service " + name));
  }
}
