package io.eg4j.model.ir.security;

/**
 * HTTP basic authentication (Envoy's basic_auth filter).
 *
 * @param users the htpasswd file content ({@code user:{SHA}hash} lines) from the referenced
 *     Secret's {@code .htpasswd} key; secret material, sealed on the bus with the rest of the IR
 * @param forwardUsernameHeader a request header that carries the authenticated user name to the
 *     backend, or null
 */
public record BasicAuthIr(
    @io.eg4j.model.bus.SecretMaterial String users, String forwardUsernameHeader) {
  public BasicAuthIr {
    if (users == null) {
      throw new IllegalArgumentException("basic auth needs users");
    }
  }

  @Override
  public String toString() {
    return "BasicAuthIr[forwardUsernameHeader=" + forwardUsernameHeader + "]";
  }
}
