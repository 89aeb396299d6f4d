package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Processes HTTPRoute and GRPCRoute filters into what the IR route needs: redirect, direct
 * response, URL rewrite, header modifiers, mirrors, CORS, and the Envoy Gateway HTTPRouteFilter
 * extension. Invalid filters become typed route errors; the rule then answers 500.
 */
final class HttpFilterProcessor {
  private static final Pattern DNS1123 =
      Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  private static final Pattern HEADER_NAME = Pattern.compile("^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$");

  /** What the filters of one rule (or one backendRef) produce. */
  static final class Filters {
    HttpRouteIr.RedirectIr redirect;
    HttpRouteIr.DirectResponseIr directResponse;
    String rewriteHost;
    HttpRouteIr.UrlRewriteIr.PathRewriteIr rewritePath;
    boolean hostRewriteSet;
    HttpRouteIr.UrlRewriteIr.HostRewriteIr rewriteHostFrom;
    boolean appendXForwardedHost = true;
    final Map<String, String> addRequest = new LinkedHashMap<>();
    final Map<String, String> setRequest = new LinkedHashMap<>();
    final List<String> removeRequest = new ArrayList<>();
    final Map<String, String> addResponse = new LinkedHashMap<>();
    final Map<String, String> setResponse = new LinkedHashMap<>();
    final List<String> removeResponse = new ArrayList<>();
    final List<HttpRouteIr.MirrorIr> mirrors = new ArrayList<>();
    HttpRouteIr.CorsIr cors;
    io.eg4j.model.ir.CredentialInjectionIr credentialInjection;
    final List<RouteErrors.RouteError> errors = new ArrayList<>();

    /** Filters seen, by kind, for backend filter validation. */
    final Set<String> kinds = new HashSet<>();

    HttpRouteIr.UrlRewriteIr rewrite() {
      return rewriteHost == null && rewritePath == null && rewriteHostFrom == null
          ? null
          : new HttpRouteIr.UrlRewriteIr(
              rewriteHost, rewritePath, rewriteHostFrom, appendXForwardedHost);
    }

    HttpRouteIr.HeaderModsIr requestHeaders() {
      return addRequest.isEmpty() && setRequest.isEmpty() && removeRequest.isEmpty()
          ? null
          : new HttpRouteIr.HeaderModsIr(addRequest, setRequest, removeRequest);
    }

    HttpRouteIr.HeaderModsIr responseHeaders() {
      return addResponse.isEmpty() && setResponse.isEmpty() && removeResponse.isEmpty()
          ? null
          : new HttpRouteIr.HeaderModsIr(addResponse, setResponse, removeResponse);
    }

    boolean hasAcceptedError() {
      return errors.stream().anyMatch(e -> e.type().equals("Accepted"));
    }
  }

  private final TranslationContext ctx;
  private final BackendRefProcessor backends;

  HttpFilterProcessor(TranslationContext ctx, BackendRefProcessor backends) {
    this.ctx = ctx;
    this.backends = backends;
  }

  private static RouteErrors.RouteError invalid(String message) {
    return RouteErrors.RouteError.accepted("UnsupportedValue", message);
  }

  /** Processes a filter list. {@code matches} are the rule's matches (for prefix rewrites). */
  Filters process(
      List<JsonNode> filters,
      List<JsonNode> matches,
      RouteContext route,
      RouteContext.Parent parent,
      String mirrorPrefix) {
    Filters f = new Filters();
    boolean grpc = route.kind.equals("GRPCRoute");
    int mirrorIdx = 0;
    for (JsonNode filter : filters) {
      if (f.directResponse != null) {
        break;
      }
      String type = Nodes.text(filter, "type", "");
      f.kinds.add(type);
      switch (type) {
        case "RequestHeaderModifier" ->
            headers(
                Nodes.obj(filter, "requestHeaderModifier"),
                f.addRequest,
                f.setRequest,
                f.removeRequest,
                f);
        case "ResponseHeaderModifier" ->
            headers(
                Nodes.obj(filter, "responseHeaderModifier"),
                f.addResponse,
                f.setResponse,
                f.removeResponse,
                f);
        case "RequestRedirect" -> {
          if (grpc) {
            f.errors.add(invalid("RequestRedirect is not supported on GRPCRoute"));
          } else {
            redirect(Nodes.obj(filter, "requestRedirect"), matches, f);
          }
        }
        case "URLRewrite" -> {
          if (grpc) {
            f.errors.add(invalid("URLRewrite is not supported on GRPCRoute"));
          } else {
            urlRewrite(Nodes.obj(filter, "urlRewrite"), matches, f);
          }
        }
        case "RequestMirror" ->
            mirror(
                Nodes.obj(filter, "requestMirror"),
                route,
                parent,
                mirrorPrefix + "/" + mirrorIdx++,
                f);
        case "CORS" -> {
          if (grpc) {
            f.errors.add(invalid("CORS is not supported on GRPCRoute"));
          } else {
            cors(Nodes.obj(filter, "cors"), f);
          }
        }
        case "ExtensionRef" -> extensionRef(Nodes.obj(filter, "extensionRef"), route, matches, f);
        default -> {
          f.errors.add(invalid("Unknown custom filter type: " + type));
          f.directResponse = new HttpRouteIr.DirectResponseIr(500, null);
        }
      }
    }
    if (!f.mirrors.isEmpty() && (f.redirect != null || f.directResponse != null)) {
      f.errors.add(
          RouteRouteErrorFactory.incompatible(
              "RequestMirror cannot be combined with RequestRedirect or a direct response"));
    }
    return f;
  }

  /** Holds the IncompatibleFilters error constructor apart so the reason is spelled once. */
  static final class RouteRouteErrorFactory {
    private RouteRouteErrorFactory() {}

    static RouteErrors.RouteError incompatible(String message) {
      return RouteErrors.RouteError.accepted("IncompatibleFilters", message);
    }
  }

  /** A header value as Envoy Gateway accepts it in header modifiers (RFC 7230 field-content). */
  static final Pattern HEADER_VALUE = Pattern.compile("[!-~]+([\t ]?[!-~]+)*");

  private void headers(
      JsonNode mod,
      Map<String, String> add,
      Map<String, String> set,
      List<String> remove,
      Filters f) {
    if (mod.isMissingNode()) {
      f.errors.add(invalid("header modifier filter is missing its configuration"));
      return;
    }
    Set<String> seen = new HashSet<>();
    for (String k : add.keySet()) {
      seen.add(k.toLowerCase(Locale.ROOT));
    }
    for (String k : set.keySet()) {
      seen.add(k.toLowerCase(Locale.ROOT));
    }
    for (String op : List.of("set", "add")) {
      for (JsonNode h : Nodes.list(mod, op)) {
        String name = Nodes.text(h, "name", "");
        String value = Nodes.text(h, "value", "");
        String err = headerNameError(name);
        if (err == null && value.isEmpty()) {
          err = "header " + name + " has an empty value";
        }
        if (err == null && value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
          // HTTP field values never hold CR, LF or NUL (RFC 9110 5.5); Envoy refuses the
          // route configuration that carries one.
          err = "header " + name + " value contains a line break or NUL character";
        }
        if (err == null && !HEADER_VALUE.matcher(value).matches()) {
          // Envoy Gateway's rule for values it adds (RFC 7230 field-content): visible ASCII,
          // single spaces or tabs between words, none leading or trailing.
          err = "header " + name + " has an invalid value";
        }
        if (err != null) {
          // The rule answers 500 (the error); the other headers are still read, as Envoy Gateway
          // reads them.
          f.errors.add(invalid(err));
          continue;
        }
        if (!seen.add(name.toLowerCase(Locale.ROOT))) {
          continue;
        }
        (op.equals("set") ? set : add).put(name, value);
      }
    }
    for (String name : Nodes.texts(mod, "remove")) {
      String err = headerNameError(name);
      if (err != null) {
        f.errors.add(invalid(err));
        continue;
      }
      if (!remove.contains(name)) {
        remove.add(name);
      }
    }
  }

  private static String headerNameError(String name) {
    if (name.isEmpty()) {
      return "header name is empty";
    }
    if (!HEADER_NAME.matcher(name).matches() || name.length() > 256) {
      // The Gateway API's HTTPHeaderName: at most 256 token characters.
      return "header name " + name + " is invalid";
    }
    if (name.equalsIgnoreCase("host")) {
      return "header " + name + " cannot be modified";
    }
    return null;
  }

  private static boolean validHostname(String h) {
    return h.length() <= 253 && DNS1123.matcher(h).matches() && !h.matches("^[0-9.]+$");
  }

  private HttpRouteIr.UrlRewriteIr.PathRewriteIr pathModifier(
      JsonNode path, List<JsonNode> matches, Filters f, String what) {
    String type = Nodes.text(path, "type", "");
    switch (type) {
      case "ReplaceFullPath" -> {
        String v = Nodes.text(path, "replaceFullPath");
        if (v == null) {
          f.errors.add(invalid(what + " path ReplaceFullPath needs replaceFullPath"));
          return null;
        }
        return new HttpRouteIr.UrlRewriteIr.PathRewriteIr("ReplaceFullPath", v, null);
      }
      case "ReplacePrefixMatch" -> {
        String v = Nodes.text(path, "replacePrefixMatch");
        if (v == null) {
          f.errors.add(invalid(what + " path ReplacePrefixMatch needs replacePrefixMatch"));
          return null;
        }
        String prefix = null;
        for (JsonNode m : matches) {
          JsonNode p = Nodes.obj(m, "path");
          if (!Nodes.text(p, "type", "PathPrefix").equals("PathPrefix")) {
            f.errors.add(
                invalid(
                    "ReplacePrefixMatch must be used in conjunction with a PathPrefix path match"));
            return null;
          }
          prefix = Nodes.text(p, "value", "/");
        }
        return new HttpRouteIr.UrlRewriteIr.PathRewriteIr("ReplacePrefixMatch", v, prefix);
      }
      default -> {
        f.errors.add(invalid(what + " path type " + type + " is invalid"));
        return null;
      }
    }
  }

  private void redirect(JsonNode r, List<JsonNode> matches, Filters f) {
    if (f.redirect != null) {
      f.errors.add(
          invalid("Cannot configure multiple requestRedirect filters for a single HTTPRouteRule"));
      return;
    }
    String scheme = Nodes.text(r, "scheme");
    if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
      f.errors.add(
          invalid("Scheme: " + scheme + " is unsupported, only 'https' and 'http' are supported"));
      return;
    }
    Integer status = Nodes.integer(r, "statusCode");
    int code = status == null ? 302 : status;
    if (!List.of(301, 302, 303, 307, 308).contains(code)) {
      f.errors.add(
          invalid(
              "Status code "
                  + code
                  + " is invalid, only 301, 302, 303, 307 and 308 are supported"));
      return;
    }
    String hostname = Nodes.text(r, "hostname");
    if (hostname != null && !validHostname(hostname)) {
      f.errors.add(invalid("hostname " + hostname + " is invalid"));
      return;
    }
    HttpRouteIr.UrlRewriteIr.PathRewriteIr path = null;
    JsonNode p = Nodes.obj(r, "path");
    if (!p.isMissingNode()) {
      path = pathModifier(p, matches, f, "redirect");
      if (path == null) {
        return;
      }
    }
    Integer port = Nodes.integer(r, "port");
    f.redirect = new HttpRouteIr.RedirectIr(scheme, hostname, port, path, code);
  }

  private void urlRewrite(JsonNode r, List<JsonNode> matches, Filters f) {
    if (r.isMissingNode()) {
      f.errors.add(invalid("URLRewrite filter is missing its configuration"));
      return;
    }
    if (f.kinds.contains("URLRewrite#seen")) {
      f.errors.add(
          invalid("Cannot configure multiple urlRewrite filters for a single HTTPRouteRule"));
      return;
    }
    f.kinds.add("URLRewrite#seen");
    String hostname = Nodes.text(r, "hostname");
    if (hostname != null) {
      if (!validHostname(hostname)) {
        f.errors.add(invalid("hostname " + hostname + " is invalid"));
        return;
      }
      if (f.hostRewriteSet) {
        f.errors.add(invalid("Cannot configure multiple hostname rewrites"));
        return;
      }
      f.hostRewriteSet = true;
      f.rewriteHost = hostname;
    }
    JsonNode p = Nodes.obj(r, "path");
    if (!p.isMissingNode()) {
      if (f.rewritePath != null) {
        f.errors.add(invalid("Cannot configure multiple path rewrites"));
        return;
      }
      HttpRouteIr.UrlRewriteIr.PathRewriteIr path = pathModifier(p, matches, f, "URLRewrite");
      if (path != null) {
        f.rewritePath = path;
      }
    }
  }

  private void mirror(
      JsonNode m, RouteContext route, RouteContext.Parent parent, String name, Filters f) {
    JsonNode ref = Nodes.obj(m, "backendRef");
    if (ref.isMissingNode()) {
      f.errors.add(invalid("RequestMirror filter needs a backendRef"));
      return;
    }
    BackendRefProcessor.Result r = backends.resolve(name + "/backend/0", ref, route, parent);
    if (!r.valid()) {
      f.errors.add(r.error());
      return;
    }
    if (r.setting() == null) {
      return;
    }
    double percent = 100;
    Integer pct = Nodes.integer(m, "percent");
    JsonNode fraction = Nodes.obj(m, "fraction");
    if (pct != null) {
      percent = pct;
    } else if (!fraction.isMissingNode()) {
      Integer num = Nodes.integer(fraction, "numerator");
      Integer den = Nodes.integer(fraction, "denominator");
      if (num != null) {
        percent = 100.0 * num / (den == null || den == 0 ? 100 : den);
      }
    }
    f.mirrors.add(
        new HttpRouteIr.MirrorIr(
            new RouteDestinationIr(name, List.of(r.setting())),
            Math.max(0, Math.min(100, percent))));
  }

  private void cors(JsonNode c, Filters f) {
    Integer maxAge = Nodes.integer(c, "maxAge");
    f.cors =
        new HttpRouteIr.CorsIr(
            Nodes.texts(c, "allowOrigins"),
            Nodes.texts(c, "allowMethods"),
            Nodes.texts(c, "allowHeaders"),
            Nodes.texts(c, "exposeHeaders"),
            maxAge == null ? null : maxAge.longValue(),
            Nodes.bool(c, "allowCredentials", false));
  }

  private void extensionRef(JsonNode ref, RouteContext route, List<JsonNode> matches, Filters f) {
    String group = Nodes.text(ref, "group", "");
    String kind = Nodes.text(ref, "kind", "");
    String name = Nodes.text(ref, "name", "");
    if (!group.equals(TranslationContext.EG_GROUP) || !kind.equals("HTTPRouteFilter")) {
      f.errors.add(invalid("Unknown custom filter " + group + "/" + kind));
      f.directResponse = new HttpRouteIr.DirectResponseIr(500, null);
      return;
    }
    ObjectNode filter = ctx.httpRouteFilters.get(route.namespace + "/" + name);
    if (filter == null) {
      f.errors.add(
          RouteErrors.RouteError.resolvedRefs(
              "UnsupportedValue",
              "Unable to translate HTTPRouteFilter: " + route.namespace + "/" + name));
      return;
    }
    JsonNode spec = Nodes.spec(filter);
    JsonNode rewrite = Nodes.obj(spec, "urlRewrite");
    if (!rewrite.isMissingNode()) {
      JsonNode host = Nodes.obj(rewrite, "hostname");
      if (!host.isMissingNode()) {
        String type = Nodes.text(host, "type", "");
        if (f.hostRewriteSet) {
          f.errors.add(invalid("Cannot configure multiple hostname rewrites"));
          return;
        }
        JsonNode pathRegex = Nodes.obj(host, "pathRegex");
        switch (type) {
          case "Header" -> {
            String header = Nodes.text(host, "header", "");
            if (!HEADER_NAME.matcher(header).matches()) {
              f.errors.add(invalid("hostname rewrite header \"" + header + "\" is invalid"));
              return;
            }
          }
          case "Backend" -> {}
          case "PathRegex" -> {
            if (route.kind.equals("GRPCRoute")) {
              f.errors.add(
                  RouteErrors.RouteError.resolvedRefs(
                      "UnsupportedValue",
                      "PathRegex hostname rewrite is not supported on GRPCRoute"));
              return;
            }
            String err = Re2.validate(Nodes.text(pathRegex, "pattern"));
            if (err != null) {
              f.errors.add(invalid(err));
              return;
            }
            String substitution = Nodes.text(pathRegex, "substitution");
            if (substitution == null || substitution.matches("(?s).*[\\r\\n\\x00].*")) {
              f.errors.add(
                  invalid(
                      "hostname rewrite pathRegex needs a substitution without CR, LF"
                          + " or NUL"));
              return;
            }
          }
          default -> {
            f.errors.add(invalid("hostname rewrite type " + type + " is invalid"));
            return;
          }
        }
        f.hostRewriteSet = true;
        f.rewriteHostFrom =
            new HttpRouteIr.UrlRewriteIr.HostRewriteIr(
                type,
                type.equals("Header") ? Nodes.text(host, "header") : null,
                type.equals("PathRegex") ? Nodes.text(pathRegex, "pattern") : null,
                type.equals("PathRegex") ? Nodes.text(pathRegex, "substitution") : null);
      }
      // The client's Host is kept in X-Forwarded-Host unless the filter says not to.
      f.appendXForwardedHost = Nodes.bool(rewrite, "appendXForwardedHost", true);
      JsonNode path = Nodes.obj(rewrite, "path");
      if (!path.isMissingNode()) {
        if (f.rewritePath != null) {
          f.errors.add(invalid("Cannot configure multiple path rewrites"));
          return;
        }
        JsonNode rr = Nodes.obj(path, "replaceRegexMatch");
        String pattern = Nodes.text(rr, "pattern");
        if (pattern == null || pattern.isEmpty()) {
          f.errors.add(invalid("replaceRegexMatch needs a pattern"));
          return;
        }
        String err = Re2.validate(pattern);
        if (err != null) {
          f.errors.add(invalid(err));
          return;
        }
        f.rewritePath =
            new HttpRouteIr.UrlRewriteIr.PathRewriteIr(
                "ReplaceRegexMatch", Nodes.text(rr, "substitution", ""), pattern);
      }
    }
    JsonNode ci = Nodes.obj(spec, "credentialInjection");
    if (!ci.isMissingNode()) {
      credentialInjection(ci, route.namespace, name, f);
      if (f.directResponse != null) {
        return;
      }
    }
    JsonNode dr = Nodes.obj(spec, "directResponse");
    if (!dr.isMissingNode()) {
      Integer code = Nodes.integer(dr, "statusCode");
      String body;
      try {
        body = directResponseBody(Nodes.obj(dr, "body"), route.namespace);
      } catch (IllegalArgumentException e) {
        // Envoy Gateway: an invalid filter makes the rule answer 500 and the route not Accepted.
        f.errors.add(invalid("invalid filter HTTPRouteFilter: " + e.getMessage()));
        f.directResponse = new HttpRouteIr.DirectResponseIr(500, null);
        return;
      }
      JsonNode header = Nodes.obj(dr, "header");
      if (!header.isMissingNode()) {
        // Response headers of the rule: Envoy adds them to the direct response too.
        headers(header, f.addResponse, f.setResponse, f.removeResponse, f);
      }
      f.directResponse =
          new HttpRouteIr.DirectResponseIr(
              code == null ? 200 : code, body, Nodes.text(dr, "contentType"));
    }
  }

  /**
   * The body of an HTTPRouteFilter direct response: inline, or from a ConfigMap in the filter's
   * namespace ({@link io.eg4j.translator.core.policy.LocalReplyBody}).
   *
   * @throws IllegalArgumentException with the reason when the body cannot be read or is too large
   */
  String directResponseBody(JsonNode body, String namespace) {
    if (body.isMissingNode() || body.isNull()) {
      return null;
    }
    String text;
    if ("ValueRef".equals(Nodes.text(body, "type", "Inline"))) {
      JsonNode ref = Nodes.obj(body, "valueRef");
      String name = Nodes.text(ref, "name", "");
      if (!Nodes.text(ref, "kind", "").equals("ConfigMap")
          || !Nodes.text(ref, "group", "").isEmpty()) {
        throw new IllegalArgumentException("only a ConfigMap may hold the direct response body");
      }
      ObjectNode cm = ctx.configMaps.get(namespace + "/" + name);
      if (cm == null) {
        throw new IllegalArgumentException("can't find the referenced configmap " + name);
      }
      java.util.Map<String, String> data = new java.util.HashMap<>();
      Nodes.obj(cm, "data")
          .properties()
          .forEach(e -> data.put(e.getKey(), e.getValue().asText("")));
      text = io.eg4j.translator.core.policy.LocalReplyBody.fromConfigMap(data);
      if (text == null) {
        throw new IllegalArgumentException(
            "can't find the key response.body in the referenced configmap " + name);
      }
    } else {
      text = Nodes.text(body, "inline");
      if (text == null) {
        return null;
      }
    }
    String tooLarge = io.eg4j.translator.core.policy.LocalReplyBody.tooLarge(text);
    if (tooLarge != null) {
      throw new IllegalArgumentException(tooLarge);
    }
    return text;
  }

  /**
   * An HTTPRouteFilter's credentialInjection: the credential is the {@code credential} key of a
   * Secret in the filter's namespace. A Secret that is missing or has no such key makes the rule
   * answer 500 rather than reach the backend without the credential it needs.
   */
  private void credentialInjection(JsonNode ci, String namespace, String filterName, Filters f) {
    if (f.credentialInjection != null) {
      f.errors.add(invalid("Cannot configure multiple credentialInjection filters"));
      f.directResponse = new HttpRouteIr.DirectResponseIr(500, null);
      return;
    }
    JsonNode ref = Nodes.obj(Nodes.obj(ci, "credential"), "valueRef");
    String kind = Nodes.text(ref, "kind", "Secret");
    String group = Nodes.text(ref, "group", "");
    String ns = Nodes.text(ref, "namespace", namespace);
    String secretName = Nodes.text(ref, "name", "");
    String problem = null;
    if (!kind.equals("Secret") || !group.isEmpty()) {
      problem = "credentialInjection: the credential must be a Secret, not " + group + "/" + kind;
    } else if (!ns.equals(namespace)) {
      // Envoy Gateway allows another namespace under a ReferenceGrant; eg4j does not check
      // grants for this reference yet, so it refuses rather than read another namespace's Secret.
      problem =
          "credentialInjection: a Secret in another namespace ("
              + ns
              + ") is not supported by eg4j yet";
    }
    String value = null;
    if (problem == null) {
      ObjectNode secret = ctx.secret(ns, secretName);
      if (secret == null) {
        problem = "credentialInjection: Secret " + ns + "/" + secretName + " does not exist";
      } else {
        value = Nodes.text(Nodes.obj(secret, "data"), "credential");
        String plain = Nodes.text(Nodes.obj(secret, "stringData"), "credential");
        if ((value == null || value.isEmpty()) && plain != null && !plain.isEmpty()) {
          value =
              java.util.Base64.getEncoder()
                  .encodeToString(plain.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (value == null || value.isEmpty()) {
          problem =
              "credentialInjection: Secret " + ns + "/" + secretName + " has no credential key";
        }
      }
    }
    if (problem != null) {
      f.errors.add(RouteErrors.RouteError.resolvedRefs("InvalidKind", problem));
      f.directResponse = new HttpRouteIr.DirectResponseIr(500, null);
      return;
    }
    String header = Nodes.text(ci, "header");
    if (header != null && !HEADER_NAME.matcher(header).matches()) {
      f.errors.add(invalid("credentialInjection: invalid header name " + header));
      f.directResponse = new HttpRouteIr.DirectResponseIr(500, null);
      return;
    }
    f.credentialInjection =
        new io.eg4j.model.ir.CredentialInjectionIr(
            "httproutefilter/" + namespace + "/" + filterName,
            header,
            Nodes.bool(ci, "overwrite", false),
            value);
  }
}
