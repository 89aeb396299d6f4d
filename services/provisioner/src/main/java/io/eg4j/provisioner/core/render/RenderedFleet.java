package io.eg4j.provisioner.core.render;

import java.util.List;

/**
 * What {@link ProxyResourceRenderer} computed for one fleet.
 *
 * @param objects the objects to apply in order (dependencies first), then the objects to delete
 * @param warnings what was wrong with the EnvoyProxy settings and was left at its default; empty
 *     when everything was used
 */
public record RenderedFleet(List<DesiredObject> objects, List<String> warnings) {
  public RenderedFleet {
    objects = List.copyOf(objects);
    warnings = List.copyOf(warnings);
  }

  /** The object of a kind, or null. */
  public DesiredObject find(String kind) {
    for (DesiredObject o : objects) {
      if (o.kind().equals(kind)) {
        return o;
      }
    }
    return null;
  }
}
