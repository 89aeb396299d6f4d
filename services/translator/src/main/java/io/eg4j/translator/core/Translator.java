package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.translator.core.GatewayClassProcessor.GatewayClassContext;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The translator's single entry point: a resource snapshot in, statuses and IR out. Pure: no I/O,
 * no clock except for certificate validity and condition timestamps, the same input always gives
 * the same IR. Malformed resources never make it throw; they get status conditions instead.
 *
 * <p>The steps follow Envoy Gateway's {@code internal/gatewayapi/translator.go}; each carries the
 * reason for its place in the order.
 */
public final class Translator {
  private final EnvoyGatewayConfig config;
  private final Clock clock;
  private final ProxyClientTls proxyClientTls;

  /** A translator for one EnvoyGateway configuration, using the system clock. */
  public Translator(EnvoyGatewayConfig config) {
    this(config, Clock.systemUTC());
  }

  /** A translator with an explicit clock (certificate validity, condition timestamps). */
  public Translator(EnvoyGatewayConfig config, Clock clock) {
    this(config, clock, ProxyClientTls.none());
  }

  /**
   * A translator whose proxies present {@code proxyClientTls} to the control plane's services when
   * the controller namespace has no {@code envoy} Secret (a control plane on a host).
   */
  public Translator(EnvoyGatewayConfig config, Clock clock, ProxyClientTls proxyClientTls) {
    this.config = config == null ? EnvoyGatewayConfig.defaults() : config;
    this.clock = clock;
    this.proxyClientTls = proxyClientTls == null ? ProxyClientTls.none() : proxyClientTls;
  }

  /** Translates a snapshot. */
  public TranslateResult translate(ResourceSnapshot snapshot) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    StatusCollector statuses = new StatusCollector();
    TranslationContext ctx = new TranslationContext(snapshot, config, statuses, now);
    ctx.proxyClientTls = proxyClientTls;
    Map<String, IrBuilders.XdsBuilder> xds = new TreeMap<>();
    Map<String, IrBuilders.InfraBuilder> infra = new TreeMap<>();

    // GatewayClasses first: only Gateways of a class we control are translated at all.
    for (GatewayClassContext gc : new GatewayClassProcessor(ctx).process()) {
      try {
        translateClass(ctx, gc, xds, infra);
      } catch (RuntimeException e) {
        // Input no validation anticipated must not stop the pipeline: report it on the class.
        statuses
            .entry(gc.gatewayClass())
            .conditions
            .set(Condition.isFalse("Accepted", "Invalid", "Translation failed: " + e));
      }
    }
    // Backends get their status whether or not a route uses them.
    processBackends(ctx);
    // Policies attach last: they need every Gateway, listener and route of every class.
    PolicyProcessor policies = new PolicyProcessor(ctx);
    policies.process();
    // Then each policy kind's settings go onto the routes it holds, before the IR is built.
    new SecurityPolicyApplier(ctx, policies).apply(xds);
    new ClientTrafficApplier(ctx, policies).apply(xds);
    new BackendTrafficApplier(ctx, policies).apply(xds);
    new EnvoyExtensionApplier(policies).apply(ctx, xds);
    new EnvoyPatchPolicyProcessor(ctx).process(xds);

    // Statuses are committed once, after every processor has had its say.
    List<ResourceStatus> out = statuses.commit(now.toString());
    Map<String, XdsIr> xdsIr = new TreeMap<>();
    xds.forEach((k, b) -> xdsIr.put(k, b.build()));
    Map<String, InfraIr> infraIr = new TreeMap<>();
    infra.forEach((k, b) -> infraIr.put(k, b.build()));
    EndpointIndex index =
        EndpointIndex.build(xdsIr, ctx.endpointSources, ctx.endpointStates, snapshot.objects());
    return new TranslateResult(out, xdsIr, infraIr, ctx.endpointSources, index);
  }

  private void translateClass(
      TranslationContext ctx,
      GatewayClassContext gc,
      Map<String, IrBuilders.XdsBuilder> xds,
      Map<String, IrBuilders.InfraBuilder> infra) {
    GatewayProcessor gateways = new GatewayProcessor(ctx);
    // Relevant Gateways: of this class, with a usable EnvoyProxy and supported addresses.
    List<GatewayContext> accepted = gateways.relevantGateways(gc);
    ctx.acceptedGateways.addAll(accepted);
    ctx.translatedClasses.add(gc);
    // IR entries exist before listeners so every accepted Gateway has an IR, even an empty one.
    gateways.initIr(gc, accepted, xds, infra);
    processListeners(ctx, gc, accepted, xds, infra);
    processRoutes(ctx, accepted, xds);
  }

  /**
   * Listeners: a Gateway's own listeners, then ListenerSets attached to it (they must exist before
   * conflict detection, which compares them), then ListenerSet status (it summarizes the results).
   */
  private void processListeners(
      TranslationContext ctx,
      GatewayClassContext gc,
      List<GatewayContext> gateways,
      Map<String, IrBuilders.XdsBuilder> xds,
      Map<String, IrBuilders.InfraBuilder> infra) {
    for (GatewayContext g : gateways) {
      g.status.withListeners();
      List<com.fasterxml.jackson.databind.JsonNode> specs = Nodes.list(g.spec(), "listeners");
      for (int i = 0; i < specs.size(); i++) {
        com.fasterxml.jackson.databind.JsonNode spec = specs.get(i);
        String name = Nodes.text(spec, "name", "");
        // A repeated name keeps a status of its own (the first one keeps the plain key).
        String key = g.status.listeners.containsKey(name) ? name + "\u0000" + i : name;
        g.listeners.add(
            new ListenerContext(g, null, spec, StatusCollector.listener(g.status, key, name)));
      }
    }
    ListenerSetProcessor listenerSets = new ListenerSetProcessor(ctx);
    listenerSets.attach(gateways);
    new ListenerProcessor(ctx).process(gateways, gc.mergeGateways(), xds, infra);
    listenerSets.status(gateways);
  }

  /**
   * Routes come after listeners (they attach to ready listeners and count attachments), in Envoy
   * Gateway's kind order: HTTP, gRPC, TLS, TCP, UDP. BackendTLSPolicy statuses are recorded while
   * backends are resolved, so they are complete once the last route kind is done.
   */
  private void processRoutes(
      TranslationContext ctx,
      List<GatewayContext> gateways,
      Map<String, IrBuilders.XdsBuilder> xds) {
    RouteParentResolver resolver = new RouteParentResolver(ctx);
    BackendTlsPolicyProcessor tlsPolicies = new BackendTlsPolicyProcessor(ctx);
    BackendRefProcessor backends = new BackendRefProcessor(ctx, tlsPolicies);
    HttpFilterProcessor filters = new HttpFilterProcessor(ctx, backends);
    new HttpRouteProcessor(ctx, resolver, backends, filters, false)
        .process(ctx.httpRoutes, gateways, xds);
    new HttpRouteProcessor(ctx, resolver, backends, filters, true)
        .process(ctx.grpcRoutes, gateways, xds);
    new TlsRouteProcessor(resolver, backends).process(ctx.tlsRoutes, gateways, xds);
    L4RouteProcessor.tcp(resolver, backends).process(ctx.tcpRoutes, gateways, xds);
    L4RouteProcessor.udp(resolver, backends).process(ctx.udpRoutes, gateways, xds);
  }

  private void processBackends(TranslationContext ctx) {
    new BackendProcessor(ctx).process();
  }

  /** The configuration in effect. */
  public EnvoyGatewayConfig config() {
    return config;
  }

  static List<ObjectNode> copy(List<ObjectNode> l) {
    return new ArrayList<>(l);
  }
}
