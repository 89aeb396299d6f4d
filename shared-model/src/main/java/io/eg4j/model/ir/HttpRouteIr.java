package io.eg4j.model.ir;

import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.model.ir.security.SecurityIr;
import io.eg4j.model.ir.traffic.TrafficIr;
import java.util.List;
import java.util.Map;

/**
 * One HTTP route: a single match of a single HTTPRoute or GRPCRoute rule, bound to one hostname.
 * Exactly one of {@code destination}, {@code redirect} or {@code directResponse} says what happens
 * to a matching request, with one exception: a route that fails closed answers its direct response
 * and keeps its destination, whose clusters are still served (as Envoy Gateway serves them) but
 * receive none of its requests.
 *
 * @param name unique within the listener: {@code httproute/ns/name/rule/N/match/M/hostname}
 * @param hostname the virtual host this route belongs to ({@code *} for any)
 * @param pathMatch path match, or null for any path
 * @param headerMatches header matches, all must match
 * @param queryMatches query parameter matches, all must match
 * @param method HTTP method to match, or null for any
 * @param destination the weighted backends to forward to
 * @param redirect a redirect response instead of forwarding
 * @param directResponse a fixed response instead of forwarding (for example the spec's 500 when no
 *     backend is valid)
 * @param rewrite URL rewrite applied before forwarding
 * @param requestHeaders request header modifications
 * @param responseHeaders response header modifications
 * @param mirrors request mirrors
 * @param timeout request timeout, null for Envoy's default
 * @param retry retry policy, or null for none
 * @param cors CORS policy, or null
 * @param grpc true when the route came from a GRPCRoute
 * @param metadata free-form labels the xds-server copies into route metadata (resource kind, name)
 * @param sessionPersistence the rule's sessionPersistence (sticky sessions through Envoy's stateful
 *     session filter), or null for none
 * @param security the SecurityPolicy in effect on this route (after precedence and merging), or
 *     null for none. A policy that cannot be enforced never reaches here: its routes get a direct
 *     500 instead (fail closed).
 * @param traffic the BackendTrafficPolicy in effect on this route, or null for none
 * @param extensions the EnvoyExtensionPolicy in effect on this route (Lua, external processing), or
 *     null for none
 * @param credentialInjection a credential the route's HTTPRouteFilter puts into requests, or null
 */
public record HttpRouteIr(
    String name,
    String hostname,
    StringMatchIr pathMatch,
    List<StringMatchIr> headerMatches,
    List<StringMatchIr> queryMatches,
    String method,
    RouteDestinationIr destination,
    RedirectIr redirect,
    DirectResponseIr directResponse,
    UrlRewriteIr rewrite,
    HeaderModsIr requestHeaders,
    HeaderModsIr responseHeaders,
    List<MirrorIr> mirrors,
    DurationIr timeout,
    RetryIr retry,
    CorsIr cors,
    boolean grpc,
    Map<String, String> metadata,
    SessionPersistenceIr sessionPersistence,
    SecurityIr security,
    TrafficIr traffic,
    ExtensionIr extensions,
    CredentialInjectionIr credentialInjection) {

  public HttpRouteIr {
    IrValidation.requireName(name, "route");
    hostname = hostname == null ? "*" : hostname;
    headerMatches = XdsIr.copy(headerMatches);
    queryMatches = XdsIr.copy(queryMatches);
    mirrors = XdsIr.copy(mirrors);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    // A direct response wins over a destination kept for its clusters (failClosed).
    int actions =
        (destination != null && directResponse == null ? 1 : 0)
            + (redirect != null ? 1 : 0)
            + (directResponse != null ? 1 : 0);
    if (actions != 1) {
      throw new IllegalArgumentException(
          "route " + name + " needs exactly one of destination, redirect, directResponse");
    }
  }

  /** This route with another destination, everything else shared. */
  public HttpRouteIr withDestination(RouteDestinationIr newDestination) {
    return new HttpRouteIr(
        name,
        hostname,
        pathMatch,
        headerMatches,
        queryMatches,
        method,
        newDestination,
        redirect,
        directResponse,
        rewrite,
        requestHeaders,
        responseHeaders,
        mirrors,
        timeout,
        retry,
        cors,
        grpc,
        metadata,
        sessionPersistence,
        security,
        traffic,
        extensions,
        credentialInjection);
  }

  /** This route with another request timeout, everything else shared. */
  public HttpRouteIr withTimeout(DurationIr newTimeout) {
    return new HttpRouteIr(
        name,
        hostname,
        pathMatch,
        headerMatches,
        queryMatches,
        method,
        destination,
        redirect,
        directResponse,
        rewrite,
        requestHeaders,
        responseHeaders,
        mirrors,
        newTimeout,
        retry,
        cors,
        grpc,
        metadata,
        sessionPersistence,
        security,
        traffic,
        extensions,
        credentialInjection);
  }

  /** This route with a BackendTrafficPolicy in effect, everything else shared. */
  public HttpRouteIr withTraffic(TrafficIr newTraffic) {
    return new HttpRouteIr(
        name,
        hostname,
        pathMatch,
        headerMatches,
        queryMatches,
        method,
        destination,
        redirect,
        directResponse,
        rewrite,
        requestHeaders,
        responseHeaders,
        mirrors,
        timeout,
        retry,
        cors,
        grpc,
        metadata,
        sessionPersistence,
        security,
        newTraffic,
        extensions,
        credentialInjection);
  }

  /** This route with a SecurityPolicy in effect, everything else shared. */
  public HttpRouteIr withSecurity(SecurityIr newSecurity) {
    return new HttpRouteIr(
        name,
        hostname,
        pathMatch,
        headerMatches,
        queryMatches,
        method,
        destination,
        redirect,
        directResponse,
        rewrite,
        requestHeaders,
        responseHeaders,
        mirrors,
        timeout,
        retry,
        cors,
        grpc,
        metadata,
        sessionPersistence,
        newSecurity,
        traffic,
        extensions,
        credentialInjection);
  }

  /** This route with an EnvoyExtensionPolicy in effect, everything else shared. */
  public HttpRouteIr withExtensions(ExtensionIr newExtensions) {
    return new HttpRouteIr(
        name,
        hostname,
        pathMatch,
        headerMatches,
        queryMatches,
        method,
        destination,
        redirect,
        directResponse,
        rewrite,
        requestHeaders,
        responseHeaders,
        mirrors,
        timeout,
        retry,
        cors,
        grpc,
        metadata,
        sessionPersistence,
        security,
        traffic,
        newExtensions,
        credentialInjection);
  }

  /**
   * This route failing closed: a policy in effect on it cannot be enforced, so every request gets a
   * direct response with {@code status} (Envoy Gateway answers 500) and never reaches a backend.
   * Matches, name and metadata are kept so the route still shadows the routes behind it. The
   * destination is kept too: its clusters stay in Envoy without any route reaching them, as Envoy
   * Gateway keeps them, so fixing the policy only changes the route.
   */
  public HttpRouteIr failClosed(int status) {
    return new HttpRouteIr(
        name,
        hostname,
        pathMatch,
        headerMatches,
        queryMatches,
        method,
        directResponse == null ? destination : null,
        null,
        new DirectResponseIr(status, null),
        null,
        null,
        null,
        List.of(),
        null,
        null,
        null,
        grpc,
        metadata,
        null,
        null,
        null,
        null,
        null);
  }

  /**
   * Session persistence of an HTTPRoute rule (Gateway API {@code sessionPersistence}), as Envoy
   * Gateway translates it: a cookie or a header carries the chosen upstream host.
   *
   * @param type {@code Cookie} (the Gateway API default) or {@code Header}
   * @param sessionName the cookie or header name; when the rule gives none the translator derives
   *     one from the route rule (Envoy needs a name)
   * @param absoluteTimeout the rule's absoluteTimeout, or null
   * @param idleTimeout the rule's idleTimeout, or null (Envoy Gateway rejects rules that set it, so
   *     a translated route carries null here; kept so the IR mirrors the API)
   * @param cookieLifetimeType {@code Session} or {@code Permanent} from cookieConfig.lifetimeType,
   *     or null when unset (Session); only meaningful for type Cookie
   */
  public record SessionPersistenceIr(
      String type,
      String sessionName,
      DurationIr absoluteTimeout,
      DurationIr idleTimeout,
      String cookieLifetimeType) {
    public SessionPersistenceIr {
      if (!"Cookie".equals(type) && !"Header".equals(type)) {
        throw new IllegalArgumentException("session persistence type must be Cookie or Header");
      }
      IrValidation.requireName(sessionName, "session name");
    }

    /**
     * The cookie's max-age as Envoy Gateway sets it: the absoluteTimeout when the type is Cookie
     * and the lifetime is Permanent; null (a session cookie) otherwise.
     */
    public DurationIr cookieTtl() {
      return "Cookie".equals(type) && "Permanent".equals(cookieLifetimeType)
          ? absoluteTimeout
          : null;
    }
  }

  /**
   * A string match on a path, header or query parameter.
   *
   * @param name header or query parameter name; null for a path match
   * @param type Exact, Prefix (path prefix, segment-aware), RegularExpression
   * @param value the value to match
   * @param invert true to match when the value does not match
   */
  public record StringMatchIr(String name, String type, String value, boolean invert) {
    public StringMatchIr {
      if (type == null) {
        throw new IllegalArgumentException("match type is required");
      }
    }
  }

  /**
   * A redirect.
   *
   * @param scheme new scheme, or null to keep
   * @param hostname new host, or null to keep
   * @param port new port, or null to keep
   * @param path path rewrite for the redirect, or null to keep
   * @param statusCode 301, 302, 303, 307 or 308
   */
  public record RedirectIr(
      String scheme,
      String hostname,
      Integer port,
      UrlRewriteIr.PathRewriteIr path,
      int statusCode) {}

  /**
   * A direct response.
   *
   * @param statusCode the HTTP status
   * @param body optional body
   * @param contentType the Content-Type of the body, or null
   */
  public record DirectResponseIr(int statusCode, String body, String contentType) {
    /** A direct response without a content type. */
    public DirectResponseIr(int statusCode, String body) {
      this(statusCode, body, null);
    }
  }

  /**
   * A URL rewrite.
   *
   * @param hostname new Host header, or null to keep
   * @param path path rewrite, or null to keep
   * @param host a Host header computed per request (an HTTPRouteFilter's {@code
   *     urlRewrite.hostname}), or null; never set together with {@code hostname}
   * @param appendXForwardedHost whether the client's Host is appended to X-Forwarded-Host when the
   *     host is rewritten (the HTTPRouteFilter's {@code appendXForwardedHost}); null means true
   */
  public record UrlRewriteIr(
      String hostname, PathRewriteIr path, HostRewriteIr host, Boolean appendXForwardedHost) {
    public UrlRewriteIr {
      // Absent (an IR written before the field existed) means Envoy Gateway's default: append.
      appendXForwardedHost = appendXForwardedHost == null || appendXForwardedHost;
    }

    /** A rewrite of a literal host and/or the path; the client's Host goes to X-Forwarded-Host. */
    public UrlRewriteIr(String hostname, PathRewriteIr path) {
      this(hostname, path, null, true);
    }

    /**
     * A Host header computed per request.
     *
     * @param type {@code Header} (the value of request header {@code header}), {@code Backend} (the
     *     name of the upstream host the request is sent to) or {@code PathRegex} (the request path
     *     with {@code pattern} replaced by {@code substitution})
     * @param header for Header, the request header to take the host from
     * @param pattern for PathRegex, an RE2 regular expression matched against the path
     * @param substitution for PathRegex, the replacement (may use capture groups)
     */
    public record HostRewriteIr(String type, String header, String pattern, String substitution) {
      public HostRewriteIr {
        switch (type) {
          case "Header" -> IrValidation.requireName(header, "host rewrite header");
          case "PathRegex" -> IrValidation.requireName(pattern, "host rewrite path regex");
          case "Backend" -> {}
          default -> throw new IllegalArgumentException("unknown host rewrite type " + type);
        }
      }
    }

    /**
     * A path rewrite.
     *
     * @param type ReplaceFullPath or ReplacePrefixMatch
     * @param value the replacement
     * @param matchedPrefix for ReplacePrefixMatch, the prefix of the route match being replaced
     */
    public record PathRewriteIr(String type, String value, String matchedPrefix) {}
  }

  /**
   * Header modifications.
   *
   * @param add headers appended to existing values
   * @param set headers overwritten
   * @param remove header names removed
   */
  public record HeaderModsIr(
      Map<String, String> add, Map<String, String> set, List<String> remove) {
    public HeaderModsIr {
      add = add == null ? Map.of() : Map.copyOf(add);
      set = set == null ? Map.of() : Map.copyOf(set);
      remove = XdsIr.copy(remove);
    }
  }

  /**
   * A mirror.
   *
   * @param destination where mirrored requests go
   * @param percent the share mirrored, 0 to 100
   */
  public record MirrorIr(RouteDestinationIr destination, double percent) {}

  /**
   * A retry policy.
   *
   * @param attempts number of retries
   * @param retryOn Envoy retry-on conditions
   * @param retriableStatusCodes HTTP statuses that trigger a retry
   * @param perTryTimeout per-try timeout or null
   * @param backoff base interval or null
   */
  public record RetryIr(
      int attempts,
      List<String> retryOn,
      List<Integer> retriableStatusCodes,
      DurationIr perTryTimeout,
      DurationIr backoff) {
    public RetryIr {
      retryOn = XdsIr.copy(retryOn);
      retriableStatusCodes = XdsIr.copy(retriableStatusCodes);
    }
  }

  /**
   * A CORS policy.
   *
   * @param allowOrigins origin matches (exact or wildcard)
   * @param allowMethods methods
   * @param allowHeaders request headers
   * @param exposeHeaders response headers exposed
   * @param maxAgeSeconds max age, or null
   * @param allowCredentials whether credentials are allowed
   */
  public record CorsIr(
      List<String> allowOrigins,
      List<String> allowMethods,
      List<String> allowHeaders,
      List<String> exposeHeaders,
      Long maxAgeSeconds,
      boolean allowCredentials) {
    public CorsIr {
      allowOrigins = XdsIr.copy(allowOrigins);
      allowMethods = XdsIr.copy(allowMethods);
      allowHeaders = XdsIr.copy(allowHeaders);
      exposeHeaders = XdsIr.copy(exposeHeaders);
    }
  }
}
