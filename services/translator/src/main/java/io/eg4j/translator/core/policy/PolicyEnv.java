package io.eg4j.translator.core.policy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.RouteDestinationIr;
import java.util.Map;

/**
 * What policy translation may look up in the resource snapshot. Every lookup checks that the
 * reference is allowed (a ReferenceGrant for another namespace) and throws {@link PolicyException}
 * with a message that names the object when it is not, or when the object is missing.
 */
public interface PolicyEnv {
  /**
   * The data of a Secret the policy references, base64-decoded, as UTF-8 strings by key.
   *
   * @param policy the policy object (its kind and namespace decide the ReferenceGrant check)
   * @param ref the reference; kind must be Secret and group core
   */
  Map<String, String> secret(ObjectNode policy, ObjectRef ref) throws PolicyException;

  /** The data of a ConfigMap the policy references. */
  Map<String, String> configMap(ObjectNode policy, ObjectRef ref) throws PolicyException;

  /**
   * The PEM {@code spec.trustBundle} of a ClusterTrustBundle (certificates.k8s.io, cluster-scoped:
   * no ReferenceGrant applies).
   *
   * @throws PolicyException when it does not exist
   */
  default String clusterTrustBundle(String name) throws PolicyException {
    throw new PolicyException("ClusterTrustBundle " + name + " does not exist");
  }

  /**
   * A backend the policy calls (Service, ServiceImport or Backend), resolved to endpoints, with the
   * BackendTLSPolicy that targets it (the policy becomes that BackendTLSPolicy's ancestor).
   *
   * @param policy the policy object
   * @param destinationName the unique cluster name to give it
   * @param ref the backendRef
   * @param protocol HTTP, HTTP2 or GRPC
   */
  RouteDestinationIr backend(
      ObjectNode policy, String destinationName, ObjectRef ref, String protocol)
      throws PolicyException;

  /** The namespace the control plane runs in (where Envoy Gateway keeps its own Secrets). */
  String controllerNamespace();

  /**
   * A Secret of the control plane's own, in the controller namespace (for example the OIDC HMAC
   * secret), decoded; null when it does not exist.
   */
  Map<String, String> controllerSecret(String name);

  /**
   * A certificate of the control plane's own (a {@code kubernetes.io/tls} Secret in the controller
   * namespace), named {@code namespace/name}, or null when the Secret is missing or its key does
   * not match its certificate (Envoy would refuse it).
   */
  default io.eg4j.model.ir.TlsIr.CertificateIr controllerCertificate(String name) {
    return null;
  }

  /**
   * The client certificate the proxies present to the control plane's own services (the global rate
   * limit service, the Wasm module cache), named {@code <controller-namespace>/envoy}: the {@code
   * tls.crt} and {@code tls.key} of the controller namespace's {@code envoy} Secret as Envoy
   * Gateway takes them (the same pair the proxies authenticate to the xds-server with), else the
   * control plane's own certificate; null when there is neither (then those services are called in
   * plaintext).
   */
  default io.eg4j.model.ir.TlsIr.CertificateIr proxyClientCertificate() {
    return null;
  }

  /**
   * Why the controller namespace's {@code envoy} Secret cannot be the proxies' client certificate
   * (it exists but is not a certificate with its matching key), or null when it can or does not
   * exist. The proxies then still call the control plane's services over TLS, without a client
   * certificate: a broken certificate never turns a connection into plaintext.
   */
  default String proxyCertificateProblem() {
    return null;
  }

  /** The CA file on the proxies that the control plane's services' certificates chain to. */
  default String proxyCaFile() {
    return "/certs/ca.crt";
  }

  /**
   * The EnvoyGateway configuration the translation runs under (global rate limiting, provider), or
   * null when unknown (then nothing that needs it is enforced).
   */
  default io.eg4j.model.config.EnvoyGatewayConfig gatewayConfig() {
    return null;
  }
}
