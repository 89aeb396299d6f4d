package io.eg4j.model.ir.security;

import java.util.List;

/**
 * The IP geolocation provider of a Gateway (its EnvoyProxy {@code spec.geoIP.provider}): MaxMind
 * database files on the proxy's file system. Envoy's geoip filter looks the client address up in
 * them and writes what it finds to the internal request headers {@link #HEADERS}, which the RBAC
 * rules then match. Each path is null when the EnvoyProxy does not name that database.
 *
 * @param cityDb the City database (country, region, city), or null
 * @param countryDb the Country database (country only), or null
 * @param asnDb the ASN database, or null
 * @param ispDb the ISP database (ISP name and ASN), or null
 * @param anonymousDb the Anonymous-IP database (VPN, hosting, Tor, proxy flags), or null
 */
public record GeoIpIr(
    String cityDb, String countryDb, String asnDb, String ispDb, String anonymousDb) {
  /** The internal header of each geolocation field. */
  public static final String COUNTRY = "x-eg-internal-geoip-country";

  public static final String REGION = "x-eg-internal-geoip-region";
  public static final String CITY = "x-eg-internal-geoip-city";
  public static final String ASN = "x-eg-internal-geoip-asn";
  public static final String ISP = "x-eg-internal-geoip-isp";
  public static final String ANONYMOUS = "x-eg-internal-geoip-anon";
  public static final String VPN = "x-eg-internal-geoip-anon-vpn";
  public static final String HOSTING = "x-eg-internal-geoip-anon-hosting";
  public static final String TOR = "x-eg-internal-geoip-anon-tor";
  public static final String PROXY = "x-eg-internal-geoip-anon-proxy";

  /**
   * Every internal geolocation header. A client may not set them (they are removed as a request
   * arrives, before any filter), and backends never see them.
   */
  public static final List<String> HEADERS =
      List.of(COUNTRY, REGION, CITY, ASN, ISP, ANONYMOUS, VPN, HOSTING, TOR, PROXY);

  public GeoIpIr {
    if (cityDb == null
        && countryDb == null
        && asnDb == null
        && ispDb == null
        && anonymousDb == null) {
      throw new IllegalArgumentException("a geoIP provider needs at least one database");
    }
  }
}
