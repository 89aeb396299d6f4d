package io.eg4j.model.ir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A route that fails closed answers its direct response and keeps its destination (its clusters
 * stay served, as Envoy Gateway keeps them); a redirect never shares a route with another action.
 */
class HttpRouteIrFailClosedTest {
  private static final RouteDestinationIr DEST =
      new RouteDestinationIr(
          "httproute/default/r/rule/0",
          List.of(
              new RouteDestinationIr.DestinationSettingIr(
                  "httproute/default/r/rule/0/backend/0",
                  1,
                  "HTTP",
                  "IP",
                  List.of(new RouteDestinationIr.EndpointIr("10.0.0.1", 8080, null)),
                  null)));

  private static HttpRouteIr route(
      RouteDestinationIr d, HttpRouteIr.RedirectIr redirect, HttpRouteIr.DirectResponseIr direct) {
    return new HttpRouteIr(
        "httproute/default/r/rule/0/match/0/*",
        "*",
        null,
        List.of(),
        List.of(),
        null,
        d,
        redirect,
        direct,
        null,
        null,
        null,
        List.of(),
        null,
        null,
        null,
        false,
        Map.of(),
        null,
        null,
        null,
        null,
        null);
  }

  @Test
  void failingClosedKeepsTheDestinationBehindTheDirectResponse() {
    HttpRouteIr closed = route(DEST, null, null).failClosed(500);
    assertThat(closed.directResponse().statusCode()).isEqualTo(500);
    assertThat(closed.destination()).isEqualTo(DEST);
    assertThat(closed.traffic()).isNull();
    assertThat(closed.security()).isNull();
  }

  @Test
  void aRedirectStaysTheOnlyAction() {
    HttpRouteIr.RedirectIr redirect = new HttpRouteIr.RedirectIr("https", null, null, null, 301);
    HttpRouteIr closed = route(null, redirect, null).failClosed(500);
    assertThat(closed.redirect()).isNull();
    assertThat(closed.destination()).isNull();
    assertThatThrownBy(() -> route(DEST, redirect, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> route(null, null, null)).isInstanceOf(IllegalArgumentException.class);
  }
}
