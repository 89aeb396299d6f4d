package io.eg4j.xds.core;

import io.eg4j.model.ir.XdsIr;

/**
 * Turns one xDS IR into Envoy resources, one translator per xDS type. Pure and deterministic: the
 * same IR gives byte-identical resources, so every replica computes the same versions.
 */
public final class XdsTranslator {
  private final ListenerXdsTranslator listeners = new ListenerXdsTranslator();
  private final RouteXdsTranslator routes = new RouteXdsTranslator();
  private final ClusterXdsTranslator clusters = new ClusterXdsTranslator();
  private final EndpointXdsTranslator endpoints = new EndpointXdsTranslator();
  private final SecretXdsTranslator secrets = new SecretXdsTranslator();

  /** Translates an IR into listeners, routes, clusters, endpoints and secrets. */
  public XdsResources translate(XdsIr ir) {
    return new XdsResources(
        listeners.translate(ir),
        routes.translate(ir),
        clusters.translate(ir),
        endpoints.translate(ir),
        secrets.translate(ir));
  }
}
