package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.HttpRouteIr.StringMatchIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.stateful_session.v3.StatefulSession;
import io.envoyproxy.envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState;
import io.envoyproxy.envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState;
import io.envoyproxy.envoy.type.http.v3.Cookie;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Session persistence (Gateway API {@code sessionPersistence}): the stateful session filter is
 * disabled on the listener, and a route with session persistence enables it with its own cookie or
 * header (per-route config replaces the listener's).
 */
final class StatefulSessionFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.stateful_session";

  @Override
  public String type() {
    return TYPE;
  }

  private static boolean uses(HttpRouteIr r) {
    return r.sessionPersistence() != null && r.destination() != null;
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    routes.stream()
        .filter(StatefulSessionFilterXds::uses)
        .findFirst()
        .ifPresent(
            r ->
                filters.add(
                    HttpFilter.newBuilder()
                        .setName(TYPE)
                        .setTypedConfig(any(statefulSession(r)))
                        .setDisabled(true)
                        .build()));
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (uses(ir)) {
      route.putTypedPerFilterConfig(
          TYPE,
          any(
              StatefulSessionPerRoute.newBuilder()
                  .setStatefulSession(statefulSession(ir))
                  .build()));
    }
  }

  /**
   * The stateful session configuration of a route: the chosen upstream host travels in a cookie
   * (scoped to the route's path, GEP-1619) or a header.
   */
  static StatefulSession statefulSession(HttpRouteIr r) {
    HttpRouteIr.SessionPersistenceIr sp = r.sessionPersistence();
    TypedExtensionConfig.Builder state = TypedExtensionConfig.newBuilder();
    if ("Header".equals(sp.type())) {
      state
          .setName("envoy.http.stateful_session.header")
          .setTypedConfig(
              any(HeaderBasedSessionState.newBuilder().setName(sp.sessionName()).build()));
    } else {
      Cookie.Builder cookie = Cookie.newBuilder().setName(sp.sessionName()).setPath(cookiePath(r));
      if (sp.cookieTtl() != null) {
        cookie.setTtl(Protos.millis(sp.cookieTtl().millis()));
      }
      state
          .setName("envoy.http.stateful_session.cookie")
          .setTypedConfig(any(CookieBasedSessionState.newBuilder().setCookie(cookie).build()));
    }
    return StatefulSession.newBuilder().setSessionState(state).build();
  }

  /**
   * The cookie path: the route's exact path or prefix; for a regular expression its longest
   * non-regex prefix (GEP-1619 "Path"), whole segments before the first one with a regex
   * metacharacter. (Envoy Gateway stops only at a segment with {@code *}, which can leave a pattern
   * such as {@code v[0-9]+} in the path, and browsers would never send such a cookie.)
   */
  private static String cookiePath(HttpRouteIr r) {
    StringMatchIr p = r.pathMatch();
    if (p == null || p.value() == null) {
      return "/";
    }
    if (!"RegularExpression".equals(p.type())) {
      return p.value();
    }
    List<String> kept = new ArrayList<>();
    for (String part : p.value().split("/", -1)) {
      if (REGEX_META.matcher(part).find()) {
        break;
      }
      kept.add(part);
    }
    String path = String.join("/", kept);
    return path.isEmpty() ? "/" : path;
  }

  private static final Pattern REGEX_META = Pattern.compile("[\\\\.+*?()|\\[\\]{}^$]");
}
