package io.eg4j.translator.core;

import io.eg4j.model.config.EnvoyGatewayConfig;
import java.util.List;
import java.util.Map;

/**
 * The translator's single entry point: a resource snapshot in, statuses and IR out. Pure: no I/O,
 * no clock except for certificate validity, the same input always gives the same output.
 */
public final class Translator {
  private final EnvoyGatewayConfig config;

  /** A translator for one EnvoyGateway configuration. */
  public Translator(EnvoyGatewayConfig config) {
    this.config = config;
  }

  /** Translates a snapshot. */
  public TranslateResult translate(ResourceSnapshot snapshot) {
    return new TranslateResult(List.of(), Map.of(), Map.of());
  }

  /** The configuration in effect. */
  public EnvoyGatewayConfig config() {
    return config;
  }
}
