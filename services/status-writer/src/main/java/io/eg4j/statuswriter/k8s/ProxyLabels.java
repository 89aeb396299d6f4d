package io.eg4j.statuswriter.k8s;

/**
 * The labels Envoy Gateway (and eg4j's provisioner) put on a proxy fleet's objects, by which the
 * status-writer finds the Service and workload of a Gateway.
 */
public final class ProxyLabels {
  private ProxyLabels() {}

  /** The owning Gateway's name. */
  public static final String OWNING_GATEWAY_NAME = "gateway.envoyproxy.io/owning-gateway-name";

  /** The owning Gateway's namespace. */
  public static final String OWNING_GATEWAY_NAMESPACE =
      "gateway.envoyproxy.io/owning-gateway-namespace";

  /** The owning GatewayClass, for merged gateways. */
  public static final String OWNING_GATEWAYCLASS = "gateway.envoyproxy.io/owning-gatewayclass";

  /** Selects every proxy object. */
  public static final String PROXY_SELECTOR =
      "app.kubernetes.io/name=envoy,app.kubernetes.io/component=proxy";
}
