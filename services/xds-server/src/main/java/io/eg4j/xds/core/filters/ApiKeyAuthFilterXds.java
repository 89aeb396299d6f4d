package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.security.ApiKeyAuthIr;
import io.eg4j.model.ir.security.SecurityIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth;
import io.envoyproxy.envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.api_key_auth.v3.Credential;
import io.envoyproxy.envoy.extensions.filters.http.api_key_auth.v3.KeySource;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * API key authentication: one api_key_auth filter per SecurityPolicy, disabled on the listener and
 * enabled on the policy's routes by their per-route credentials and key sources. A request with no
 * key, or a key no client holds, is refused with 401. The policy's forwarding settings (the client
 * ID as a request header, the key removed) are newer than the protos eg4j builds with, so a config
 * that has them travels as a TypedStruct.
 */
final class ApiKeyAuthFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.api_key_auth";

  @Override
  public String type() {
    return TYPE;
  }

  static String filterName(SecurityIr s) {
    return TYPE + "/" + s.policy();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, ApiKeyAuthIr> byFilter = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.security() != null && r.security().apiKeyAuth() != null) {
        byFilter.putIfAbsent(filterName(r.security()), r.security().apiKeyAuth());
      }
    }
    byFilter.forEach(
        (name, a) ->
            filters.add(
                HttpFilter.newBuilder()
                    .setName(name)
                    .setTypedConfig(
                        withForwarding(
                            ApiKeyAuth.newBuilder()
                                .addAllCredentials(credentials(a))
                                .addAllKeySources(sources(a))
                                .build(),
                            a))
                    .setDisabled(true)
                    .build()));
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.security() == null || ir.security().apiKeyAuth() == null) {
      return;
    }
    ApiKeyAuthIr a = ir.security().apiKeyAuth();
    route.putTypedPerFilterConfig(
        filterName(ir.security()),
        withForwarding(
            ApiKeyAuthPerRoute.newBuilder()
                .addAllCredentials(credentials(a))
                .addAllKeySources(sources(a))
                .build(),
            a));
  }

  /**
   * The config, with Envoy's {@code forwarding} ({@code header}: the client ID header, {@code
   * hide_credentials}: remove the key) when the policy sets either.
   */
  static com.google.protobuf.Any withForwarding(com.google.protobuf.Message m, ApiKeyAuthIr a) {
    if (a.forwardClientIdHeader() == null && !a.sanitize()) {
      return any(m);
    }
    return Protos.anyWithFields(
        m,
        json -> {
          var f = json.putObject("forwarding");
          if (a.forwardClientIdHeader() != null) {
            f.put("header", a.forwardClientIdHeader());
          }
          if (a.sanitize()) {
            f.put("hide_credentials", true);
          }
        });
  }

  private static List<Credential> credentials(ApiKeyAuthIr a) {
    List<Credential> out = new ArrayList<>();
    a.credentials()
        .forEach(
            (client, key) ->
                out.add(Credential.newBuilder().setClient(client).setKey(key).build()));
    return out;
  }

  /** Each extractFrom entry in order: its headers, then query parameters, then cookies. */
  private static List<KeySource> sources(ApiKeyAuthIr a) {
    List<KeySource> out = new ArrayList<>();
    for (ApiKeyAuthIr.ExtractFromIr e : a.extractFrom()) {
      e.headers().forEach(h -> out.add(KeySource.newBuilder().setHeader(h).build()));
      e.params().forEach(p -> out.add(KeySource.newBuilder().setQuery(p).build()));
      e.cookies().forEach(c -> out.add(KeySource.newBuilder().setCookie(c).build()));
    }
    return out;
  }
}
