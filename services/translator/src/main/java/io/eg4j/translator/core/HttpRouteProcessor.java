package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.HttpRouteIr.StringMatchIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * HTTPRoute and GRPCRoute: attaches each route to the listeners its parentRefs select, turns every
 * rule match into IR routes (one per match and per intersected hostname), resolves backends and
 * filters, and sets the route's parent conditions (Accepted, ResolvedRefs, PartiallyInvalid per
 * GEP-1364, BackendsAvailable).
 */
final class HttpRouteProcessor {
  private final TranslationContext ctx;
  private final RouteParentResolver resolver;
  private final BackendRefProcessor backends;
  private final HttpFilterProcessor filters;
  private final boolean grpc;

  HttpRouteProcessor(
      TranslationContext ctx,
      RouteParentResolver resolver,
      BackendRefProcessor backends,
      HttpFilterProcessor filters,
      boolean grpc) {
    this.ctx = ctx;
    this.resolver = resolver;
    this.backends = backends;
    this.filters = filters;
    this.grpc = grpc;
  }

  /** An IR route before it is bound to a hostname and a listener. */
  private static final class Draft {
    String name;
    StringMatchIr path;
    final List<StringMatchIr> headers = new ArrayList<>();
    final List<StringMatchIr> queries = new ArrayList<>();
    String method;
    RouteDestinationIr destination;
    HttpRouteIr.RedirectIr redirect;
    HttpRouteIr.DirectResponseIr direct;
    HttpFilterProcessor.Filters filters;
    DurationIr timeout;
    HttpRouteIr.RetryIr retry;
    HttpRouteIr.SessionPersistenceIr sessionPersistence;
    Map<String, String> metadata;
  }

  /** A bound IR route, remembered to detect rules of different routes that match the same. */
  private record Bound(
      ListenerContext listener, HttpRouteIr ir, RouteContext route, RouteContext.Parent parent) {}

  private final List<Bound> bound = new ArrayList<>();

  void process(
      List<ObjectNode> routes,
      List<GatewayContext> gateways,
      Map<String, IrBuilders.XdsBuilder> xds) {
    String kind = grpc ? "GRPCRoute" : "HTTPRoute";
    for (ObjectNode r : routes) {
      RouteContext route = new RouteContext(r, kind);
      if (!resolver.resolve(route, gateways)) {
        continue;
      }
      for (RouteContext.Parent parent : route.parents) {
        try {
          processParent(route, parent, xds);
        } catch (RuntimeException e) {
          RouteParentResolver.rejectMalformed(parent, e);
        }
      }
    }
    detectOverlaps();
  }

  /**
   * Rules of different HTTPRoutes on one listener that match exactly the same requests: only the
   * oldest is served, so every route involved gets RouteRulesOverlap.
   */
  private void detectOverlaps() {
    Map<String, List<Bound>> bySignature = new LinkedHashMap<>();
    ConnectUpgrades connect = new ConnectUpgrades(ctx);
    for (Bound b : bound) {
      boolean isConnect = connect.applies(b.route(), b.listener());
      bySignature
          .computeIfAbsent(
              b.listener().irName() + "|" + signature(b.ir(), isConnect), k -> new ArrayList<>())
          .add(b);
    }
    for (List<Bound> group : bySignature.values()) {
      if (group.size() < 2) {
        continue;
      }
      long routes =
          group.stream().map(b -> b.route().namespace + "/" + b.route().name).distinct().count();
      if (routes < 2) {
        continue;
      }
      for (Bound b : group) {
        b.parent()
            .conditions()
            .set(
                Condition.isTrue(
                    "RouteRulesOverlap",
                    "RouteRulesOverlap",
                    "Rules of this route overlap with rules of another route on the same listener"));
      }
    }
  }

  /**
   * What a route matches, canonically (as Envoy Gateway's overlap key): no path match is prefix
   * {@code /}, a prefix loses one trailing slash, header names are case-insensitive, and the order
   * of header and query matches does not matter. A route upgraded to CONNECT by a
   * BackendTrafficPolicy matches CONNECT requests on any path, so its path is {@code CONNECT}.
   */
  static String signature(HttpRouteIr r, boolean connect) {
    String path;
    if (connect) {
      path = "CONNECT";
    } else {
      StringMatchIr p = r.pathMatch();
      if (p == null) {
        path = "Prefix:/";
      } else if (p.type().equals("Prefix") && !p.value().equals("/") && p.value().endsWith("/")) {
        path = "Prefix:" + p.value().substring(0, p.value().length() - 1);
      } else {
        path = p.type() + ":" + p.value();
      }
    }
    List<String> headers = new ArrayList<>();
    for (StringMatchIr h : r.headerMatches()) {
      headers.add(
          h.name().toLowerCase(java.util.Locale.ROOT)
              + "\0"
              + h.type()
              + "\0"
              + h.value()
              + "\0"
              + h.invert());
    }
    java.util.Collections.sort(headers);
    List<String> queries = new ArrayList<>();
    for (StringMatchIr q : r.queryMatches()) {
      queries.add(q.name() + "\0" + q.type() + "\0" + q.value() + "\0" + q.invert());
    }
    java.util.Collections.sort(queries);
    return r.hostname() + "|" + path + "|" + headers + "|" + queries + "|" + r.method();
  }

  private void processParent(
      RouteContext route, RouteContext.Parent parent, Map<String, IrBuilders.XdsBuilder> xds) {
    RouteErrors errors = new RouteErrors();
    TreeSet<Integer> unaccepted = new TreeSet<>();
    List<JsonNode> rules = route.rules();
    List<Draft> drafts = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      drafts.addAll(processRule(route, parent, rules.get(i), i, errors, unaccepted));
    }
    Conditions c = parent.conditions();
    for (String type : errors.types()) {
      String reason = errors.reason(type);
      String message = errors.message(type);
      if (type.equals("Accepted")) {
        if (unaccepted.size() == rules.size()) {
          c.set(Condition.isFalse("Accepted", reason, message));
        } else {
          c.set(
              Condition.isTrue(
                  "PartiallyInvalid", reason, "Dropped Rule(s) " + unaccepted + ": " + message));
          c.set(Condition.isTrue("Accepted", "Accepted", "Route is accepted"));
        }
      } else {
        c.set(Condition.isFalse(type, reason, message));
      }
    }
    if (!c.has("ResolvedRefs", "False")) {
      c.set(
          Condition.isTrue(
              "ResolvedRefs", "ResolvedRefs", "Resolved all the Object references for the Route"));
    }
    if (grpc && c.has("Accepted", "False")) {
      return;
    }
    boolean intersects = parent.listeners.isEmpty();
    for (ListenerContext l : parent.listeners) {
      List<String> hosts = RouteParentResolver.computeHosts(route.hostnames(), l);
      if (hosts.isEmpty()) {
        continue;
      }
      intersects = true;
      l.status.attachedRoutes++;
      if (!l.ready) {
        continue;
      }
      IrBuilders.HttpListener irl = xds.get(l.gateway.irKey).http.get(l.irName());
      if (irl == null) {
        continue;
      }
      for (String host : hosts) {
        for (Draft d : drafts) {
          HttpRouteIr ir = bind(d, host, l);
          irl.routes.add(ir);
          bound.add(new Bound(l, ir, route, parent));
        }
      }
    }
    if (!intersects) {
      c.set(
          Condition.isFalse(
              "Accepted",
              "NoMatchingListenerHostname",
              "There were no hostname intersections between the "
                  + route.kind
                  + " and this parent ref's Listener(s)."));
    }
  }

  private HttpRouteIr bind(Draft d, String host, ListenerContext l) {
    HttpRouteIr.RedirectIr redirect = d.redirect;
    if (redirect != null && redirect.port() == null) {
      int port = l.portOrZero();
      if ("http".equalsIgnoreCase(redirect.scheme())) {
        port = 80;
      } else if ("https".equalsIgnoreCase(redirect.scheme())) {
        port = 443;
      }
      redirect =
          new HttpRouteIr.RedirectIr(
              redirect.scheme(), redirect.hostname(), port, redirect.path(), redirect.statusCode());
    }
    RouteDestinationIr dest = d.destination;
    HttpRouteIr.DirectResponseIr direct = d.direct;
    if (direct != null) {
      redirect = null;
      dest = null;
    } else if (redirect != null) {
      dest = null;
    } else if (dest == null) {
      direct = new HttpRouteIr.DirectResponseIr(500, null);
    }
    HttpFilterProcessor.Filters f = d.filters;
    return new HttpRouteIr(
        d.name + "/" + host.replace('.', '_'),
        host,
        d.path,
        d.headers,
        d.queries,
        d.method,
        dest,
        redirect,
        direct,
        f == null ? null : f.rewrite(),
        f == null ? null : f.requestHeaders(),
        f == null ? null : f.responseHeaders(),
        f == null ? List.of() : f.mirrors,
        d.timeout,
        d.retry,
        f == null ? null : f.cors,
        grpc,
        d.metadata,
        d.sessionPersistence,
        null,
        null,
        null,
        f == null ? null : f.credentialInjection);
  }

  private List<Draft> processRule(
      RouteContext route,
      RouteContext.Parent parent,
      JsonNode rule,
      int ruleIdx,
      RouteErrors errors,
      TreeSet<Integer> unaccepted) {
    String rulePrefix = route.irPrefix() + "/rule/" + ruleIdx;
    List<JsonNode> matches = Nodes.list(rule, "matches");
    HttpFilterProcessor.Filters f =
        filters.process(
            Nodes.list(rule, "filters"), matches, route, parent, rulePrefix + "/mirror");
    boolean filterError = f.errors.stream().anyMatch(e -> !e.type().equals("BackendsAvailable"));
    for (RouteErrors.RouteError e : f.errors) {
      errors.add(e);
      if (e.type().equals("Accepted")) {
        unaccepted.add(ruleIdx);
      }
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("kind", route.kind);
    metadata.put("namespace", route.namespace);
    metadata.put("name", route.name);
    String ruleName = Nodes.text(rule, "name");
    if (ruleName != null) {
      metadata.put("sectionName", ruleName);
    }
    List<Draft> drafts;
    try {
      drafts = grpc ? grpcDrafts(rulePrefix, matches) : httpDrafts(rule, rulePrefix, matches);
    } catch (RuleException e) {
      errors.add(RouteErrors.RouteError.accepted(e.reason, e.getMessage()));
      unaccepted.add(ruleIdx);
      return List.of();
    }
    for (Draft d : drafts) {
      d.filters = f;
      d.metadata = metadata;
      d.redirect = f.redirect;
      d.direct = f.directResponse;
    }
    // Backends.
    List<DestinationSettingIr> settings = new ArrayList<>();
    boolean destError = false;
    boolean noEndpoints = false;
    // Weight of the backendRefs that are invalid: the spec answers that share of requests with 500.
    int invalidWeight = 0;
    List<JsonNode> refs = Nodes.list(rule, "backendRefs");
    for (int i = 0; i < refs.size(); i++) {
      JsonNode ref = refs.get(i);
      String settingName = rulePrefix + "/backend/" + i;
      BackendFilters bf = backendFilters(ref, route, parent);
      BackendRefProcessor.Result res =
          bf.error() != null
              ? new BackendRefProcessor.Result(null, bf.error(), BackendRefProcessor.weight(ref))
              : backends.resolve(settingName, ref, route, parent);
      if (!res.valid()) {
        errors.add(res.error());
        if (res.error().type().equals("BackendsAvailable")) {
          noEndpoints = true;
        } else {
          destError = true;
          invalidWeight += res.weight();
        }
        continue;
      }
      if (res.setting() != null && res.weight() > 0) {
        DestinationSettingIr s = res.setting();
        if (bf.requestHeaders() != null
            || bf.responseHeaders() != null
            || bf.credentialInjection() != null) {
          s =
              s.withBackendFilters(
                  bf.requestHeaders(), bf.responseHeaders(), bf.credentialInjection());
        }
        settings.add(s);
      }
    }
    if (refs.size() > 1 && settings.stream().anyMatch(L4Backends::dynamic)) {
      errors.add(
          RouteErrors.RouteError.resolvedRefs(
              "InvalidBackendRef", "dynamic resolver is not supported for multiple backendRefs"));
      settings.clear();
      destError = true;
    }
    int validWeight = 0;
    for (DestinationSettingIr s : settings) {
      if (!s.endpoints().isEmpty() || "DYNAMIC".equals(s.addressType())) {
        validWeight += s.weight();
      }
    }
    HttpRouteIr.DirectResponseIr fallback = null;
    if (filterError) {
      // A direct response filter's content type stays with the 500 (as Envoy Gateway does).
      fallback =
          new HttpRouteIr.DirectResponseIr(
              500, null, f.directResponse == null ? null : f.directResponse.contentType());
    } else if (validWeight == 0) {
      fallback = new HttpRouteIr.DirectResponseIr(noEndpoints && !destError ? 503 : 500, null);
    }
    RouteDestinationIr destination =
        settings.isEmpty()
            ? null
            : new RouteDestinationIr(rulePrefix, settings, invalidWeight)
                .withStatName(
                    ClusterStatNames.of(parent.gateway.envoyProxy, route, ruleName, ruleIdx, refs));
    HttpRouteIr.SessionPersistenceIr session = grpc ? null : sessionPersistence(rule, rulePrefix);
    for (Draft d : drafts) {
      d.sessionPersistence = session;
      if (filterError) {
        d.direct = fallback;
      } else if (d.direct == null && d.redirect == null) {
        if (fallback != null) {
          d.direct = fallback;
        } else {
          d.destination = destination;
        }
      }
    }
    return drafts;
  }

  /**
   * What a backendRef's own filters give: its header modifiers and credential injection, or an
   * error.
   */
  private record BackendFilters(
      RouteErrors.RouteError error,
      HttpRouteIr.HeaderModsIr requestHeaders,
      HttpRouteIr.HeaderModsIr responseHeaders,
      io.eg4j.model.ir.CredentialInjectionIr credentialInjection) {
    static final BackendFilters NONE = new BackendFilters(null, null, null, null);

    static BackendFilters failed(RouteErrors.RouteError e) {
      return new BackendFilters(e, null, null, null);
    }
  }

  /** Validates and applies the filters of one backendRef. */
  private BackendFilters backendFilters(
      JsonNode ref, RouteContext route, RouteContext.Parent parent) {
    List<JsonNode> fl = Nodes.list(ref, "filters");
    if (fl.isEmpty()) {
      return BackendFilters.NONE;
    }
    for (JsonNode filter : fl) {
      String type = Nodes.text(filter, "type", "");
      boolean supported =
          switch (type) {
            case "RequestHeaderModifier", "ResponseHeaderModifier", "ExtensionRef" -> true;
            case "URLRewrite" -> Nodes.obj(Nodes.obj(filter, "urlRewrite"), "path").isMissingNode();
            default -> false;
          };
      if (!supported) {
        return BackendFilters.failed(
            RouteErrors.RouteError.resolvedRefs(
                "UnsupportedRefValue",
                "The " + type + " filter is not supported within a BackendRef"));
      }
    }
    HttpFilterProcessor.Filters f = filters.process(fl, List.of(), route, parent, "backend");
    if (!f.errors.isEmpty()) {
      return BackendFilters.failed(
          RouteErrors.RouteError.resolvedRefs("InvalidBackendFilters", f.errors.get(0).message()));
    }
    return new BackendFilters(null, f.requestHeaders(), f.responseHeaders(), f.credentialInjection);
  }

  /**
   * The rule's sessionPersistence as Envoy Gateway translates it (validated earlier in {@link
   * #httpDrafts}); null when the rule has none. Envoy needs a cookie or header name, so a rule
   * without sessionName gets one derived from the rule's IR name, with {@code /} replaced by {@code
   * -} (not allowed in a header name).
   */
  private static HttpRouteIr.SessionPersistenceIr sessionPersistence(
      JsonNode rule, String rulePrefix) {
    JsonNode sp = Nodes.obj(rule, "sessionPersistence");
    if (sp.isMissingNode()) {
      return null;
    }
    String sessionName = Nodes.text(sp, "sessionName");
    if (sessionName == null || sessionName.isEmpty()) {
      sessionName = rulePrefix.replace('/', '-');
    }
    String abs = Nodes.text(sp, "absoluteTimeout");
    String idle = Nodes.text(sp, "idleTimeout");
    return new HttpRouteIr.SessionPersistenceIr(
        Nodes.text(sp, "type", "Cookie"),
        sessionName,
        abs == null ? null : DurationIr.parse(abs),
        idle == null ? null : DurationIr.parse(idle),
        Nodes.text(Nodes.obj(sp, "cookieConfig"), "lifetimeType"));
  }

  private static final class RuleException extends Exception {
    final String reason;

    RuleException(String reason, String message) {
      super(message);
      this.reason = reason;
    }
  }

  private List<Draft> httpDrafts(JsonNode rule, String prefix, List<JsonNode> matches)
      throws RuleException {
    JsonNode sp = Nodes.obj(rule, "sessionPersistence");
    if (!sp.isMissingNode()) {
      if (Nodes.has(sp, "idleTimeout")) {
        throw new RuleException(
            "UnsupportedValue", "idle timeout is not supported in envoy gateway");
      }
      String type = Nodes.text(sp, "type", "Cookie");
      if (!type.equals("Cookie") && !type.equals("Header")) {
        throw new RuleException("UnsupportedValue", "unknown session persistence type " + type);
      }
      String abs = Nodes.text(sp, "absoluteTimeout");
      if (abs != null) {
        try {
          DurationIr.parse(abs);
        } catch (IllegalArgumentException e) {
          throw new RuleException("UnsupportedValue", e.getMessage());
        }
      }
    }
    DurationIr timeout = null;
    JsonNode timeouts = Nodes.obj(rule, "timeouts");
    boolean hasRetry = Nodes.has(rule, "retry");
    String request = Nodes.text(timeouts, "request");
    String backendRequest = Nodes.text(timeouts, "backendRequest");
    if (request != null) {
      timeout = durationOr15s(request);
    }
    if (backendRequest != null && !hasRetry) {
      timeout = durationOr15s(backendRequest);
    }
    HttpRouteIr.RetryIr retry = null;
    if (hasRetry) {
      JsonNode r = Nodes.obj(rule, "retry");
      Integer attempts = Nodes.integer(r, "attempts");
      List<Integer> codes = new ArrayList<>();
      for (JsonNode code : Nodes.list(r, "codes")) {
        if (code.canConvertToInt()) {
          codes.add(code.asInt());
        }
      }
      DurationIr backoff = null;
      DurationIr perTry = null;
      String b = Nodes.text(r, "backoff");
      if (b != null) {
        try {
          backoff = DurationIr.parse(b);
          if (backendRequest != null) {
            perTry = DurationIr.parse(backendRequest);
          }
        } catch (IllegalArgumentException e) {
          backoff = null;
        }
      }
      retry =
          new HttpRouteIr.RetryIr(
              attempts == null ? 1 : attempts,
              codes.isEmpty() ? List.of() : List.of("retriable-status-codes"),
              codes,
              perTry,
              backoff);
    }
    List<Draft> out = new ArrayList<>();
    if (matches.isEmpty()) {
      Draft d = new Draft();
      d.name = prefix + "/match/-1";
      d.timeout = timeout;
      d.retry = retry;
      out.add(d);
      return out;
    }
    for (int j = 0; j < matches.size(); j++) {
      JsonNode m = matches.get(j);
      Draft d = new Draft();
      d.name = prefix + "/match/" + j;
      d.timeout = timeout;
      d.retry = retry;
      JsonNode path = Nodes.obj(m, "path");
      if (!path.isMissingNode()) {
        String type = Nodes.text(path, "type", "PathPrefix");
        String value = Nodes.text(path, "value", "/");
        if (type.equals("Exact") || type.equals("PathPrefix")) {
          String err = pathValueError(value);
          if (err != null) {
            throw new RuleException("UnsupportedValue", "path value " + value + " " + err);
          }
        }
        switch (type) {
          case "Exact" -> d.path = new StringMatchIr(null, "Exact", value, false);
          case "RegularExpression" -> {
            String err = Re2.validate(value);
            if (err != null) {
              throw new RuleException("UnsupportedValue", err);
            }
            d.path = new StringMatchIr(null, "RegularExpression", value, false);
          }
          case "PathPrefix" -> d.path = new StringMatchIr(null, "Prefix", value, false);
          default ->
              throw new RuleException("UnsupportedValue", "unsupported path match type " + type);
        }
      }
      for (JsonNode h : Nodes.list(m, "headers")) {
        d.headers.add(stringMatch(h));
      }
      for (JsonNode q : Nodes.list(m, "queryParams")) {
        d.queries.add(stringMatch(q));
      }
      d.method = Nodes.text(m, "method");
      out.add(d);
    }
    return out;
  }

  private static DurationIr durationOr15s(String text) {
    try {
      return DurationIr.parse(text);
    } catch (IllegalArgumentException e) {
      return new DurationIr(15_000);
    }
  }

  /** The Gateway API's pattern of an HTTP header name (and of a query parameter name). */
  /**
   * Why an Exact or PathPrefix path value is invalid, or null: the HTTPRoute CRD's validation
   * rules, which Envoy's path matchers also need (an absolute path without '?' or '#').
   */
  static String pathValueError(String value) {
    if (!value.startsWith("/")) {
      return "must be an absolute path and start with '/'";
    }
    if (value.length() > 1024) {
      return "must be at most 1024 characters";
    }
    for (String bad : List.of("//", "/./", "/../", "%2f", "%2F", "#")) {
      if (value.contains(bad)) {
        return "must not contain '" + bad + "'";
      }
    }
    if (value.endsWith("/..") || value.endsWith("/.")) {
      return "must not end with '/..' or '/.'";
    }
    if (!Syntax.isPathChars(value)) {
      return "must only contain valid characters (matching "
          + "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)";
    }
    return null;
  }

  private static StringMatchIr stringMatch(JsonNode h) throws RuleException {
    String name = Nodes.text(h, "name", "");
    if (!Syntax.isHeaderName(name)) {
      throw new RuleException(
          "UnsupportedValue",
          "match name "
              + name
              + " is not a valid header or query parameter name (1-256 characters of "
              + "[A-Za-z0-9!#$%&'*+-.^_`|~])");
    }
    String value = Nodes.text(h, "value", "");
    String type = Nodes.text(h, "type", "Exact");
    switch (type) {
      case "Exact" -> {
        return new StringMatchIr(name, "Exact", value, false);
      }
      case "RegularExpression" -> {
        String err = Re2.validate(value);
        if (err != null) {
          throw new RuleException("UnsupportedValue", err);
        }
        return new StringMatchIr(name, "RegularExpression", value, false);
      }
      default -> throw new RuleException("UnsupportedValue", "unsupported match type " + type);
    }
  }

  private static final String SERVICE_RE = "(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*";
  private static final String METHOD_RE = "[A-Za-z_][A-Za-z_0-9]*";

  private List<Draft> grpcDrafts(String prefix, List<JsonNode> matches) throws RuleException {
    List<Draft> out = new ArrayList<>();
    if (matches.isEmpty()) {
      Draft d = new Draft();
      d.name = prefix + "/match/-1";
      out.add(d);
      return out;
    }
    for (int j = 0; j < matches.size(); j++) {
      JsonNode m = matches.get(j);
      Draft d = new Draft();
      d.name = prefix + "/match/" + j;
      for (JsonNode h : Nodes.list(m, "headers")) {
        d.headers.add(stringMatch(h));
      }
      JsonNode method = Nodes.obj(m, "method");
      if (!method.isMissingNode()) {
        String type = Nodes.text(method, "type", "Exact");
        String service = Nodes.text(method, "service");
        String meth = Nodes.text(method, "method");
        if (type.equals("RegularExpression")) {
          for (String re : new String[] {service, meth}) {
            if (re != null) {
              String err = Re2.validate(re);
              if (err != null) {
                throw new RuleException("UnsupportedValue", err);
              }
            }
          }
          if (service != null || meth != null) {
            d.path =
                new StringMatchIr(
                    null,
                    "RegularExpression",
                    "/"
                        + (service != null ? service : SERVICE_RE)
                        + "/"
                        + (meth != null ? meth : METHOD_RE),
                    false);
          }
        } else if (type.equals("Exact")) {
          if (service != null && meth != null) {
            d.path = new StringMatchIr(null, "Exact", "/" + service + "/" + meth, false);
          } else if (meth != null) {
            d.headers.add(new StringMatchIr(":path", "Suffix", "/" + meth, false));
          } else if (service != null) {
            d.path = new StringMatchIr(null, "Prefix", "/" + service, false);
          }
        } else {
          throw new RuleException("UnsupportedValue", "unsupported method match type " + type);
        }
      }
      out.add(d);
    }
    return out;
  }
}
