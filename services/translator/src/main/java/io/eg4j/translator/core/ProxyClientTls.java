package io.eg4j.translator.core;

/**
 * How the proxies authenticate to the control plane's own services (the global rate limit service,
 * the Wasm module cache): the client certificate they present, which the xds-server serves over SDS
 * as {@code <controller-namespace>/envoy}, and the CA file on the proxies that the services'
 * certificates chain to.
 *
 * <p>With the Kubernetes provider the certificate is the {@code envoy} Secret of the controller
 * namespace, as Envoy Gateway's certgen makes it, and the CA is the {@code ca.crt} of that Secret
 * mounted at {@code /certs} in every proxy. A control plane without that Secret (eg4j on a host)
 * gives its own certificate here instead.
 *
 * @param certificatePem the proxies' client certificate chain (PEM), or null for none
 * @param privateKeyPem its private key (PEM), or null for none
 * @param caFile the CA file on the proxies that the services' certificates chain to
 */
public record ProxyClientTls(String certificatePem, String privateKeyPem, String caFile) {
  /** Where Envoy Gateway's proxies find the control plane's CA. */
  public static final String DEFAULT_CA_FILE = "/certs/ca.crt";

  /** The Secret of the controller namespace with the proxies' client certificate. */
  public static final String SECRET_NAME = io.eg4j.model.k8s.ControllerSecrets.PROXY_CERTIFICATE;

  public ProxyClientTls {
    caFile = caFile == null || caFile.isBlank() ? DEFAULT_CA_FILE : caFile;
  }

  /** No certificate of the control plane's own: only the {@code envoy} Secret, if any, counts. */
  public static ProxyClientTls none() {
    return new ProxyClientTls(null, null, null);
  }

  /** True when a certificate and key are given. */
  public boolean hasCertificate() {
    return certificatePem != null
        && !certificatePem.isBlank()
        && privateKeyPem != null
        && !privateKeyPem.isBlank();
  }
}
