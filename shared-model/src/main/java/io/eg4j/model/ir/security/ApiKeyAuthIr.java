package io.eg4j.model.ir.security;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * API key authentication (Envoy's api_key_auth filter).
 *
 * @param credentials client ID to API key, from the referenced Secrets; secret material
 * @param extractFrom where keys are looked for, in order
 * @param forwardClientIdHeader a request header that carries the client ID to the backend, or null
 * @param sanitize true to remove the key from the request before it is forwarded
 */
public record ApiKeyAuthIr(
    @io.eg4j.model.bus.SecretMaterial.Values Map<String, String> credentials,
    List<ExtractFromIr> extractFrom,
    String forwardClientIdHeader,
    boolean sanitize) {
  public ApiKeyAuthIr {
    credentials = credentials == null ? Map.of() : new TreeMap<>(credentials);
    credentials = java.util.Collections.unmodifiableMap(credentials);
    extractFrom = extractFrom == null ? List.of() : List.copyOf(extractFrom);
  }

  /**
   * One place to extract a key from.
   *
   * @param headers header names
   * @param params query parameter names
   * @param cookies cookie names
   */
  public record ExtractFromIr(List<String> headers, List<String> params, List<String> cookies) {
    public ExtractFromIr {
      headers = headers == null ? List.of() : List.copyOf(headers);
      params = params == null ? List.of() : List.copyOf(params);
      cookies = cookies == null ? List.of() : List.copyOf(cookies);
    }
  }

  @Override
  public String toString() {
    return "ApiKeyAuthIr[clients=" + credentials.keySet() + "]";
  }
}
