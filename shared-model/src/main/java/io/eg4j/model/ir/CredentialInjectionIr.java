package io.eg4j.model.ir;

/**
 * An HTTPRouteFilter's {@code credentialInjection}: Envoy puts a credential from a Secret into a
 * request header before the request goes to the backend.
 *
 * @param filter the HTTPRouteFilter's id, {@code httproutefilter/<namespace>/<name>}: routes that
 *     use the same filter share one Envoy filter and one SDS secret
 * @param header the header that carries the credential ({@code Authorization} when null)
 * @param overwrite true to replace a value the client sent; by default the client's stays
 * @param credential the Secret's {@code credential} value, base64 (as Kubernetes stores it)
 */
public record CredentialInjectionIr(
    String filter,
    String header,
    boolean overwrite,
    @io.eg4j.model.bus.SecretMaterial String credential) {
  public CredentialInjectionIr {
    IrValidation.requireName(filter, "credential injection filter");
    IrValidation.requireName(credential, "credential of " + filter);
  }

  /** Hides the credential in logs and printed IR. */
  @Override
  public String toString() {
    return "CredentialInjectionIr[filter=" + filter + ", header=" + header + "]";
  }
}
