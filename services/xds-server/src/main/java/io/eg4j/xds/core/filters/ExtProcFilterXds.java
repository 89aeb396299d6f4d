package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.extension.ExtensionIr.ExtProcIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.MetadataOptions;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * EnvoyExtensionPolicy external processors: one ext_proc filter per processor ({@code
 * envoy.filters.http.ext_proc/<policy>/extproc/<index>}), disabled on the listener and enabled on
 * the policy's routes, calling the processor's cluster over gRPC. Only the parts of a request and
 * response the policy's {@code processingMode} names are sent; the rest are skipped.
 */
final class ExtProcFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.ext_proc";

  @Override
  public String type() {
    return TYPE;
  }

  private static String filterName(ExtProcIr p) {
    return TYPE + "/" + p.name();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, ExtProcIr> byFilter = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.extensions() != null) {
        for (ExtProcIr p : r.extensions().extProc()) {
          byFilter.putIfAbsent(filterName(p), p);
        }
      }
    }
    byFilter.forEach(
        (name, p) ->
            filters.add(
                HttpFilter.newBuilder()
                    .setName(name)
                    .setTypedConfig(typedConfig(p))
                    .setDisabled(true)
                    .build()));
  }

  /**
   * The filter's config; {@code status_on_error} is newer than the protos eg4j builds with, so a
   * config that sets it travels as a TypedStruct.
   */
  static com.google.protobuf.Any typedConfig(ExtProcIr p) {
    if (p.statusOnError() <= 0) {
      return any(config(p));
    }
    return Protos.anyWithFields(
        config(p),
        json ->
            json.putObject("status_on_error")
                .put(
                    "code",
                    io.envoyproxy.envoy.type.v3.StatusCode.forNumber(p.statusOnError()) == null
                        ? String.valueOf(p.statusOnError())
                        : io.envoyproxy.envoy.type.v3.StatusCode.forNumber(p.statusOnError())
                            .name()));
  }

  static ExternalProcessor config(ExtProcIr p) {
    // One cluster, named after the destination; several backendRefs are its localities.
    String cluster = p.destination().name();
    GrpcService.Builder grpc =
        GrpcService.newBuilder()
            .setEnvoyGrpc(
                GrpcService.EnvoyGrpc.newBuilder()
                    .setClusterName(cluster)
                    .setAuthority(p.authority()))
            .setTimeout(Protos.millis(p.timeout().millis()));
    if (p.retry() != null) {
      grpc.setRetryPolicy(PolicyRetries.of(p.retry()));
    }
    ProcessingMode.Builder mode =
        ProcessingMode.newBuilder()
            .setRequestHeaderMode(
                p.requestHeaders()
                    ? ProcessingMode.HeaderSendMode.SEND
                    : ProcessingMode.HeaderSendMode.SKIP)
            .setResponseHeaderMode(
                p.responseHeaders()
                    ? ProcessingMode.HeaderSendMode.SEND
                    : ProcessingMode.HeaderSendMode.SKIP)
            .setRequestTrailerMode(trailers(p.requestBody()))
            .setResponseTrailerMode(trailers(p.responseBody()));
    if (p.requestBody() != null) {
      mode.setRequestBodyMode(body(p.requestBody()));
    }
    if (p.responseBody() != null) {
      mode.setResponseBodyMode(body(p.responseBody()));
    }
    ExternalProcessor.Builder b =
        ExternalProcessor.newBuilder()
            .setGrpcService(grpc)
            .setFailureModeAllow(p.failOpen())
            .setProcessingMode(mode)
            .setAllowModeOverride(p.allowModeOverride())
            .setObservabilityMode(p.shadowMode())
            .addAllRequestAttributes(p.requestAttributes())
            .addAllResponseAttributes(p.responseAttributes());
    if (p.messageTimeout() != null) {
      b.setMessageTimeout(Protos.millis(p.messageTimeout().millis()));
    }
    if (!p.forwardingNamespaces().isEmpty() || !p.receivingNamespaces().isEmpty()) {
      MetadataOptions.Builder m = MetadataOptions.newBuilder();
      if (!p.forwardingNamespaces().isEmpty()) {
        m.setForwardingNamespaces(
            MetadataOptions.MetadataNamespaces.newBuilder()
                .addAllUntyped(p.forwardingNamespaces()));
      }
      if (!p.receivingNamespaces().isEmpty()) {
        m.setReceivingNamespaces(
            MetadataOptions.MetadataNamespaces.newBuilder().addAllUntyped(p.receivingNamespaces()));
      }
      b.setMetadataOptions(m);
    }
    return b.build();
  }

  /** Trailers go to the processor only with a full-duplex body, which needs them. */
  private static ProcessingMode.HeaderSendMode trailers(String body) {
    return "FullDuplexStreamed".equals(body)
        ? ProcessingMode.HeaderSendMode.SEND
        : ProcessingMode.HeaderSendMode.SKIP;
  }

  private static ProcessingMode.BodySendMode body(String mode) {
    return switch (mode) {
      case "Streamed" -> ProcessingMode.BodySendMode.STREAMED;
      case "Buffered" -> ProcessingMode.BodySendMode.BUFFERED;
      case "BufferedPartial" -> ProcessingMode.BodySendMode.BUFFERED_PARTIAL;
      case "FullDuplexStreamed" -> ProcessingMode.BodySendMode.FULL_DUPLEX_STREAMED;
      default -> throw new IllegalArgumentException("unknown ext_proc body mode " + mode);
    };
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.extensions() == null) {
      return;
    }
    for (ExtProcIr p : ir.extensions().extProc()) {
      route.putTypedPerFilterConfig(
          filterName(p),
          any(FilterConfig.newBuilder().setConfig(com.google.protobuf.Any.newBuilder()).build()));
    }
  }

  @Override
  public void patchResources(List<HttpRouteIr> routes, FilterResources out) {
    for (HttpRouteIr r : routes) {
      if (r.extensions() != null) {
        for (ExtProcIr p : r.extensions().extProc()) {
          out.addSingleCluster(p.destination());
        }
      }
    }
  }
}
