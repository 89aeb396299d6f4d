package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.common.dynamic_forward_proxy.v3.DnsCacheConfig;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.Locale;

/**
 * Envoy's dynamic forward proxy for Backends of type DynamicResolver: the upstream host is the
 * request's own (its Host header, or the TLS SNI of a TLSRoute connection), resolved through a DNS
 * cache. The cluster and the SNI filter of one listener must use the same cache, so the cache is
 * named after its settings, as Envoy Gateway names it ({@code
 * envoy-gateway-dfp-cache-<family>-<refresh ms>ms-default}); two caches with one name and different
 * settings would be refused by Envoy.
 *
 * <p>Requests for the proxy's own host are refused: a client could otherwise reach services that
 * listen on loopback (the admin interface among them). HTTP routes do it with a per-route RBAC
 * filter ({@code filters.DfpLoopbackDenyFilterXds}), TLS passthrough with a network RBAC filter on
 * the SNI ({@link #loopbackSniDeny}). Both look at the name the client sends, not at the address it
 * resolves to.
 */
public final class DynamicForwardProxy {
  /** The upstream port for a TLSRoute: the SNI carries only a name, so TLS's own port is used. */
  static final int SNI_UPSTREAM_PORT = 443;

  /** The loopback names and addresses refused as an SNI (with an optional trailing dot). */
  static final String LOOPBACK_SNI =
      "(?i)^(localhost|localhost\\.localdomain|ip6-localhost|ip6-loopback|127\\.0\\.0\\.1|::1"
          + "|\\[::1\\])\\.?$";

  private DynamicForwardProxy() {}

  /** The DNS cache of a dynamic forward proxy with the destination's DNS settings. */
  static DnsCacheConfig dnsCache(RouteDestinationIr dest) {
    ClusterSettingsIr.DnsIr dns =
        dest == null || dest.cluster() == null ? null : dest.cluster().dns();
    Cluster.DnsLookupFamily family =
        dns == null || dns.lookupFamily() == null
            ? Cluster.DnsLookupFamily.V4_PREFERRED
            : switch (dns.lookupFamily()) {
              case "IPv4" -> Cluster.DnsLookupFamily.V4_ONLY;
              case "IPv6" -> Cluster.DnsLookupFamily.V6_ONLY;
              case "IPv6Preferred" -> Cluster.DnsLookupFamily.AUTO;
              case "IPv4AndIPv6" -> Cluster.DnsLookupFamily.ALL;
              default -> Cluster.DnsLookupFamily.V4_PREFERRED;
            };
    long refreshMs = dns == null || dns.refreshRate() == null ? 30_000 : dns.refreshRate().millis();
    return DnsCacheConfig.newBuilder()
        .setName(
            "envoy-gateway-dfp-cache-"
                + family.name().toLowerCase(Locale.ROOT)
                + "-"
                + refreshMs
                + "ms-default")
        .setDnsLookupFamily(family)
        .setDnsRefreshRate(Protos.millis(refreshMs))
        .build();
  }

  /** The SNI dynamic forward proxy filter of a TLS passthrough route to a DynamicResolver. */
  static Filter sniFilter(RouteDestinationIr dest) {
    return Filter.newBuilder()
        .setName("envoy.filters.network.sni_dynamic_forward_proxy")
        .setTypedConfig(
            any(
                io.envoyproxy.envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3
                    .FilterConfig.newBuilder()
                    .setDnsCacheConfig(dnsCache(dest))
                    .setPortValue(SNI_UPSTREAM_PORT)
                    .build()))
        .build();
  }

  /** A network RBAC filter that closes connections whose SNI names the proxy's own host. */
  static Filter loopbackSniDeny(String statPrefix) {
    return Filter.newBuilder()
        .setName("envoy.filters.network.rbac")
        .setTypedConfig(
            any(
                io.envoyproxy
                    .envoy
                    .extensions
                    .filters
                    .network
                    .rbac
                    .v3
                    .RBAC
                    .newBuilder()
                    .setStatPrefix(statPrefix)
                    .setRules(
                        RBAC.newBuilder()
                            .setAction(RBAC.Action.DENY)
                            .putPolicies(
                                "deny-loopback-sni",
                                Policy.newBuilder()
                                    .addPermissions(
                                        Permission.newBuilder()
                                            .setRequestedServerName(
                                                StringMatcher.newBuilder()
                                                    .setSafeRegex(
                                                        RegexMatcher.newBuilder()
                                                            .setRegex(LOOPBACK_SNI))))
                                    .addPrincipals(Principal.newBuilder().setAny(true))
                                    .build()))
                    .build()))
        .build();
  }
}
