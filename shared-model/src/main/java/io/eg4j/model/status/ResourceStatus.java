package io.eg4j.model.status;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.ResourceKey;
import java.util.Objects;

/**
 * The status the translator computed for one resource, as published on {@code eg4j.status}.
 *
 * @param key the resource
 * @param apiVersion the resource's apiVersion, so a writer can address it
 * @param observedGeneration the generation the status was computed from
 * @param status the {@code .status} object to write (conditions, listeners, parents, ancestors)
 */
public record ResourceStatus(
    ResourceKey key, String apiVersion, long observedGeneration, JsonNode status) {
  public ResourceStatus {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(status, "status");
  }
}
