package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.ByteString;
import io.eg4j.model.ir.CredentialInjectionIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.credential_injector.v3.CredentialInjector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.http.injected_credentials.generic.v3.Generic;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.GenericSecret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTPRouteFilter credential injection: one credential_injector filter per HTTPRouteFilter,
 * disabled on the listener and enabled on the routes that use it; its generic credential reads the
 * Secret's value over SDS and puts it in the header (Authorization by default), replacing a
 * client's value only with {@code overwrite}.
 */
public final class CredentialInjectorFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.credential_injector";

  @Override
  public String type() {
    return TYPE;
  }

  static String filterName(CredentialInjectionIr c) {
    return TYPE + "/" + c.filter();
  }

  static String secretName(CredentialInjectionIr c) {
    return "credential_injector/credential/" + c.filter();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, CredentialInjectionIr> byFilter = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.credentialInjection() != null) {
        byFilter.putIfAbsent(filterName(r.credentialInjection()), r.credentialInjection());
      }
    }
    byFilter.forEach(
        (name, c) ->
            filters.add(
                HttpFilter.newBuilder()
                    .setName(name)
                    .setTypedConfig(any(injector(c)))
                    .setDisabled(true)
                    .build()));
  }

  /** The injector: a generic credential read from the filter's SDS secret. */
  private static CredentialInjector injector(CredentialInjectionIr c) {
    Generic.Builder generic =
        Generic.newBuilder()
            .setCredential(
                SdsSecretConfig.newBuilder().setName(secretName(c)).setSdsConfig(Protos.ads()));
    if (c.header() != null && !c.header().isEmpty()) {
      generic.setHeader(c.header());
    }
    return CredentialInjector.newBuilder()
        .setOverwrite(c.overwrite())
        .setCredential(
            TypedExtensionConfig.newBuilder()
                .setName("envoy.http.injected_credentials.generic")
                .setTypedConfig(any(generic.build())))
        .build();
  }

  /**
   * The upstream HTTP filters of the cluster of a backendRef with its own credential injection: the
   * injector, enabled, then the codec that ends every upstream filter chain.
   */
  public static List<HttpFilter> upstreamFilters(CredentialInjectionIr c) {
    return List.of(
        HttpFilter.newBuilder().setName(filterName(c)).setTypedConfig(any(injector(c))).build(),
        upstreamCodec());
  }

  /** The codec filter that ends every upstream filter chain. */
  public static HttpFilter upstreamCodec() {
    return HttpFilter.newBuilder()
        .setName("envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec")
        .setTypedConfig(
            any(
                io.envoyproxy.envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec
                    .getDefaultInstance()))
        .build();
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.credentialInjection() == null || ir.directResponse() != null) {
      return;
    }
    // A FilterConfig with an empty config enables the listener's (disabled) filter on this route.
    route.putTypedPerFilterConfig(
        filterName(ir.credentialInjection()),
        any(FilterConfig.newBuilder().setConfig(com.google.protobuf.Any.newBuilder()).build()));
  }

  @Override
  public void patchResources(List<HttpRouteIr> routes, FilterResources out) {
    for (HttpRouteIr r : routes) {
      if (r.credentialInjection() != null) {
        addSecret(r.credentialInjection(), out);
      }
      if (r.destination() != null) {
        // backendRefs with a credential of their own (injected by their cluster)
        for (var s : r.destination().settings()) {
          if (s.credentialInjection() != null) {
            addSecret(s.credentialInjection(), out);
          }
        }
      }
    }
  }

  private static void addSecret(CredentialInjectionIr c, FilterResources out) {
    out.addSecret(
        Secret.newBuilder()
            .setName(secretName(c))
            .setGenericSecret(
                GenericSecret.newBuilder()
                    .setSecret(
                        DataSource.newBuilder()
                            .setInlineBytes(
                                ByteString.copyFrom(
                                    Base64.getMimeDecoder().decode(c.credential())))))
            .build());
  }
}
