package io.eg4j.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.eg4j.model.bus.Json;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Envoy Gateway's own configuration file ({@code gateway.envoyproxy.io/v1alpha1}, kind {@code
 * EnvoyGateway}). eg4j reads the same file, so an existing Envoy Gateway installation's config
 * works unchanged.
 *
 * @param controllerName {@code gateway.controllerName}
 * @param raw the whole document, for fields not yet modelled here
 */
public record EnvoyGatewayConfig(String controllerName, JsonNode raw) {

  /** Envoy Gateway's default controller name. */
  public static final String DEFAULT_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

  /** The configuration Envoy Gateway uses when no file is given. */
  public static EnvoyGatewayConfig defaults() {
    return new EnvoyGatewayConfig(DEFAULT_CONTROLLER, MissingNode.getInstance());
  }

  /** Parses a document. */
  public static EnvoyGatewayConfig from(JsonNode doc) {
    String controller = doc.path("gateway").path("controllerName").asText(DEFAULT_CONTROLLER);
    if (controller.isEmpty()) {
      controller = DEFAULT_CONTROLLER;
    }
    return new EnvoyGatewayConfig(controller, doc);
  }

  /** Loads a file. */
  public static EnvoyGatewayConfig load(Path file) throws IOException {
    return from(Json.YAML.readTree(file.toFile()));
  }
}
