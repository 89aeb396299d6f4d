package io.eg4j.xds.testing;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.HttpRouteIr.StringMatchIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Terse builders for IR in tests. */
public final class Ir {
  private Ir() {}

  /** A destination with one backend group per port (weight 1 each unless given). */
  public static RouteDestinationIr dest(String name, String protocol, int... ports) {
    List<DestinationSettingIr> settings = new ArrayList<>();
    for (int i = 0; i < ports.length; i++) {
      settings.add(
          new DestinationSettingIr(
              name + "/backend/" + i,
              1,
              protocol,
              "IP",
              List.of(new EndpointIr("127.0.0.1", ports[i])),
              null));
    }
    return new RouteDestinationIr(name, settings);
  }

  /** A destination split by weight: ports[i] gets weights[i]. */
  public static RouteDestinationIr weighted(String name, int[] ports, int[] weights) {
    List<DestinationSettingIr> settings = new ArrayList<>();
    for (int i = 0; i < ports.length; i++) {
      settings.add(
          new DestinationSettingIr(
              name + "/backend/" + i,
              weights[i],
              "HTTP",
              "IP",
              List.of(new EndpointIr("127.0.0.1", ports[i])),
              null));
    }
    return new RouteDestinationIr(name, settings);
  }

  /** One backend group on 127.0.0.1 with its own header filters (null for none). */
  public static DestinationSettingIr setting(
      String name,
      int weight,
      HttpRouteIr.HeaderModsIr requestHeaders,
      HttpRouteIr.HeaderModsIr responseHeaders,
      int... ports) {
    List<EndpointIr> endpoints = new ArrayList<>();
    for (int port : ports) {
      endpoints.add(new EndpointIr("127.0.0.1", port));
    }
    return new DestinationSettingIr(
        name, weight, "HTTP", "IP", endpoints, null, requestHeaders, responseHeaders);
  }

  /** A route builder. */
  public static R route(String name) {
    return new R(name);
  }

  /** Mutable route builder. */
  public static final class R {
    private final String name;
    private String hostname = "*";
    private StringMatchIr path;
    private final List<StringMatchIr> headers = new ArrayList<>();
    private final List<StringMatchIr> queries = new ArrayList<>();
    private String method;
    private RouteDestinationIr destination;
    private HttpRouteIr.RedirectIr redirect;
    private HttpRouteIr.DirectResponseIr direct;
    private HttpRouteIr.UrlRewriteIr rewrite;
    private HttpRouteIr.HeaderModsIr requestHeaders;
    private HttpRouteIr.HeaderModsIr responseHeaders;
    private final List<HttpRouteIr.MirrorIr> mirrors = new ArrayList<>();
    private DurationIr timeout;
    private HttpRouteIr.RetryIr retry;
    private HttpRouteIr.CorsIr cors;
    private boolean grpc;
    private HttpRouteIr.SessionPersistenceIr session;
    private io.eg4j.model.ir.security.SecurityIr security;

    R(String name) {
      this.name = name;
    }

    public R host(String h) {
      hostname = h;
      return this;
    }

    public R exact(String p) {
      path = new StringMatchIr(null, "Exact", p, false);
      return this;
    }

    public R prefix(String p) {
      path = new StringMatchIr(null, "Prefix", p, false);
      return this;
    }

    public R regex(String p) {
      path = new StringMatchIr(null, "RegularExpression", p, false);
      return this;
    }

    public R header(String n, String v) {
      headers.add(new StringMatchIr(n, "Exact", v, false));
      return this;
    }

    public R headerMatch(StringMatchIr m) {
      headers.add(m);
      return this;
    }

    public R rewriteRegex(String pattern, String substitution) {
      rewrite =
          new HttpRouteIr.UrlRewriteIr(
              null,
              new HttpRouteIr.UrlRewriteIr.PathRewriteIr(
                  "ReplaceRegexMatch", substitution, pattern));
      return this;
    }

    public R query(String n, String v) {
      queries.add(new StringMatchIr(n, "Exact", v, false));
      return this;
    }

    public R method(String m) {
      method = m;
      return this;
    }

    public R to(RouteDestinationIr d) {
      destination = d;
      return this;
    }

    public R redirect(HttpRouteIr.RedirectIr r) {
      redirect = r;
      return this;
    }

    public R direct(int status) {
      direct = new HttpRouteIr.DirectResponseIr(status, null);
      return this;
    }

    public R direct(int status, String body) {
      direct = new HttpRouteIr.DirectResponseIr(status, body);
      return this;
    }

    public R rewrite(HttpRouteIr.UrlRewriteIr r) {
      rewrite = r;
      return this;
    }

    public R rewrite(String host, String type, String value) {
      rewrite =
          new HttpRouteIr.UrlRewriteIr(
              host,
              type == null ? null : new HttpRouteIr.UrlRewriteIr.PathRewriteIr(type, value, null));
      return this;
    }

    public R requestHeaders(Map<String, String> add, Map<String, String> set, List<String> rm) {
      requestHeaders = new HttpRouteIr.HeaderModsIr(add, set, rm);
      return this;
    }

    public R responseHeaders(Map<String, String> add, Map<String, String> set, List<String> rm) {
      responseHeaders = new HttpRouteIr.HeaderModsIr(add, set, rm);
      return this;
    }

    public R mirror(RouteDestinationIr d) {
      mirrors.add(new HttpRouteIr.MirrorIr(d, 100));
      return this;
    }

    public R timeout(long ms) {
      timeout = new DurationIr(ms);
      return this;
    }

    public R retry(int attempts, int... codes) {
      List<Integer> c = new ArrayList<>();
      for (int code : codes) {
        c.add(code);
      }
      retry = new HttpRouteIr.RetryIr(attempts, List.of(), c, null, new DurationIr(10));
      return this;
    }

    public R cors(HttpRouteIr.CorsIr c) {
      cors = c;
      return this;
    }

    public R grpc() {
      grpc = true;
      return this;
    }

    public R security(io.eg4j.model.ir.security.SecurityIr s) {
      security = s;
      return this;
    }

    public R session(HttpRouteIr.SessionPersistenceIr s) {
      session = s;
      return this;
    }

    public HttpRouteIr build() {
      return new HttpRouteIr(
          name,
          hostname,
          path,
          headers,
          queries,
          method,
          destination,
          redirect,
          direct,
          rewrite,
          requestHeaders,
          responseHeaders,
          mirrors,
          timeout,
          retry,
          cors,
          grpc,
          Map.of(),
          session,
          security,
          null,
          null,
          null);
    }
  }
}
