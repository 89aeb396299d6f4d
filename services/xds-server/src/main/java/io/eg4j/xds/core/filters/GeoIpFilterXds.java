package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.security.AuthorizationIr;
import io.eg4j.model.ir.security.GeoIpIr;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.geoip.v3.Geoip;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.geoip_providers.common.v3.CommonGeoipProviderConfig;
import io.envoyproxy.envoy.extensions.geoip_providers.maxmind.v3.MaxMindConfig;
import io.envoyproxy.envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation;
import java.util.List;

/**
 * IP geolocation for authorization rules by client location: Envoy's geoip filter, ahead of RBAC,
 * looks the client address (after the connection manager's client IP detection) up in the Gateway's
 * MaxMind databases and writes what it finds to the internal {@code x-eg-internal-geoip-*} request
 * headers that the RBAC rules match. Those headers are removed from every request as it arrives
 * (the connection manager's early header mutation), so a client cannot claim a location, and from
 * every request sent to a backend.
 */
final class GeoIpFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.geoip";

  @Override
  public String type() {
    return TYPE;
  }

  /** The geolocation provider the routes' authorization rules need, or null when none does. */
  static GeoIpIr provider(List<HttpRouteIr> routes) {
    for (HttpRouteIr r : routes) {
      AuthorizationIr a = r.security() == null ? null : r.security().authorization();
      if (a != null && a.usesGeoIp() && a.geoIp() != null) {
        return a.geoIp();
      }
    }
    return null;
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    GeoIpIr p = provider(routes);
    if (p == null) {
      return;
    }
    MaxMindConfig.Builder mm = MaxMindConfig.newBuilder();
    // A Country database answers the country lookups a City database would (same record layout).
    String city = p.cityDb() != null ? p.cityDb() : p.countryDb();
    if (city != null) {
      mm.setCityDbPath(city);
    }
    if (p.asnDb() != null) {
      mm.setAsnDbPath(p.asnDb());
    }
    if (p.ispDb() != null) {
      mm.setIspDbPath(p.ispDb());
    }
    if (p.anonymousDb() != null) {
      mm.setAnonDbPath(p.anonymousDb());
    }
    CommonGeoipProviderConfig.GeolocationHeadersToAdd.Builder h =
        CommonGeoipProviderConfig.GeolocationHeadersToAdd.newBuilder();
    if (city != null) {
      h.setCountry(GeoIpIr.COUNTRY);
      if (p.cityDb() != null) {
        h.setCity(GeoIpIr.CITY).setRegion(GeoIpIr.REGION);
      }
    }
    if (p.asnDb() != null || p.ispDb() != null) {
      h.setAsn(GeoIpIr.ASN);
    }
    if (p.ispDb() != null) {
      h.setIsp(GeoIpIr.ISP);
    }
    if (p.anonymousDb() != null) {
      h.setAnon(GeoIpIr.ANONYMOUS)
          .setAnonVpn(GeoIpIr.VPN)
          .setAnonHosting(GeoIpIr.HOSTING)
          .setAnonTor(GeoIpIr.TOR)
          .setAnonProxy(GeoIpIr.PROXY);
    }
    mm.setCommonProviderConfig(CommonGeoipProviderConfig.newBuilder().setGeoHeadersToAdd(h));
    filters.add(
        HttpFilter.newBuilder()
            .setName(TYPE)
            .setTypedConfig(
                any(
                    Geoip.newBuilder()
                        .setProvider(
                            TypedExtensionConfig.newBuilder()
                                .setName("envoy.geoip_providers.maxmind")
                                .setTypedConfig(any(mm.build())))
                        .build()))
            .build());
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {}

  /**
   * The connection manager's early header mutation that drops client-supplied geolocation headers,
   * or null when no route uses geolocation.
   */
  static TypedExtensionConfig earlyHeaderRemoval(List<HttpRouteIr> routes) {
    if (provider(routes) == null) {
      return null;
    }
    HeaderMutation.Builder m = HeaderMutation.newBuilder();
    for (String h : GeoIpIr.HEADERS) {
      m.addMutations(
          io.envoyproxy.envoy.config.common.mutation_rules.v3.HeaderMutation.newBuilder()
              .setRemove(h));
    }
    return TypedExtensionConfig.newBuilder()
        .setName("envoy.http.early_header_mutation.header_mutation")
        .setTypedConfig(any(m.build()))
        .build();
  }
}
