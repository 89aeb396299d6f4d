package io.eg4j.translator.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OpenID Connect discovery: the authorization and token endpoints of an issuer, read from its
 * {@code <issuer>/.well-known/openid-configuration} document, as Envoy Gateway does when a
 * SecurityPolicy names only the issuer. Results are cached per issuer for an hour; a failure is
 * cached for 30 seconds, so a provider that is down is asked again at the next translation after
 * that, never in a loop.
 */
public final class OidcDiscovery {
  /**
   * What discovery found.
   *
   * @param authorizationEndpoint the {@code authorization_endpoint}
   * @param tokenEndpoint the {@code token_endpoint}
   */
  public record Endpoints(String authorizationEndpoint, String tokenEndpoint) {}

  private record Entry(Endpoints endpoints, String error, long expiresAtMillis) {}

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final long FOUND_TTL_MILLIS = 3_600_000;
  private static final long FAILED_TTL_MILLIS = 30_000;
  private static final ConcurrentHashMap<String, Entry> CACHE = new ConcurrentHashMap<>();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .connectTimeout(TIMEOUT)
          .followRedirects(HttpClient.Redirect.NORMAL)
          .build();

  private OidcDiscovery() {}

  /** The endpoints of {@code issuer}; throws with the reason when they cannot be discovered. */
  public static Endpoints discover(String issuer) throws PolicyException {
    long now = System.currentTimeMillis();
    Entry e = CACHE.get(issuer);
    if (e == null || e.expiresAtMillis() < now) {
      e = fetch(issuer, now);
      CACHE.put(issuer, e);
    }
    if (e.error() != null) {
      throw new PolicyException(e.error());
    }
    return e.endpoints();
  }

  private static Entry fetch(String issuer, long now) {
    String where = "spec.oidc.provider: discovery from issuer " + issuer + " failed: ";
    URI uri;
    try {
      uri = URI.create(issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration");
      if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
        return new Entry(
            null, where + "the issuer must be an http(s) URL", now + FAILED_TTL_MILLIS);
      }
    } catch (IllegalArgumentException ex) {
      return new Entry(null, where + "not a URL", now + FAILED_TTL_MILLIS);
    }
    try {
      HttpResponse<String> r =
          CLIENT.send(
              HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return new Entry(null, where + "HTTP " + r.statusCode(), now + FAILED_TTL_MILLIS);
      }
      JsonNode doc = Json.MAPPER.readTree(r.body());
      String authorization = doc.path("authorization_endpoint").asText("");
      String token = doc.path("token_endpoint").asText("");
      if (authorization.isEmpty() || token.isEmpty()) {
        return new Entry(
            null,
            where + "the document has no authorization_endpoint or token_endpoint",
            now + FAILED_TTL_MILLIS);
      }
      return new Entry(new Endpoints(authorization, token), null, now + FOUND_TTL_MILLIS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return new Entry(null, where + "interrupted", now);
    } catch (Exception ex) {
      String reason = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
      return new Entry(null, where + reason, now + FAILED_TTL_MILLIS);
    }
  }
}
