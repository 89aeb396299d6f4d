package io.eg4j.provisioner.k8s;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.FleetSink;
import io.eg4j.provisioner.core.render.DesiredObject;
import io.eg4j.provisioner.core.render.OwnerRef;
import io.eg4j.provisioner.core.render.ProxyResourceRenderer;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.eg4j.provisioner.core.render.RenderedFleet;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.HttpURLConnection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Kubernetes mode of the provisioner: makes each fleet's objects in the cluster match what {@link
 * ProxyResourceRenderer} computed from its infra IR, with server-side apply under one field
 * manager, and deletes what a fleet no longer has.
 *
 * <p>Only the leader writes (DESIGN.md invariant 8). A replica that is not the leader remembers the
 * latest IR of every fleet and applies them all when it becomes the leader, so a takeover converges
 * without waiting for new records.
 *
 * <p>Where the API server does not speak server-side apply (fabric8's mock server answers 415), the
 * applier falls back to get-then-create-or-update and remembers that for the rest of its life.
 */
public final class KubernetesFleetProvisioner implements FleetSink {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesFleetProvisioner.class);

  /** The field manager of every apply, so {@code kubectl} shows who owns which field. */
  public static final String FIELD_MANAGER = "eg4j-provisioner";

  /** The kinds a fleet can have, for pruning and for removing a fleet whose IR is gone. */
  static final List<String[]> FLEET_KINDS =
      List.of(
          new String[] {"autoscaling/v2", "HorizontalPodAutoscaler"},
          new String[] {"policy/v1", "PodDisruptionBudget"},
          new String[] {"v1", "Service"},
          new String[] {"apps/v1", "Deployment"},
          new String[] {"apps/v1", "DaemonSet"},
          new String[] {"v1", "ConfigMap"},
          new String[] {"v1", "ServiceAccount"},
          new String[] {"v1", "Secret"});

  private static final ResourceDefinitionContext GATEWAY =
      new ResourceDefinitionContext.Builder()
          .withGroup("gateway.networking.k8s.io")
          .withVersion("v1")
          .withKind("Gateway")
          .withPlural("gateways")
          .withNamespaced(true)
          .build();
  private static final ResourceDefinitionContext GATEWAY_CLASS =
      new ResourceDefinitionContext.Builder()
          .withGroup("gateway.networking.k8s.io")
          .withVersion("v1")
          .withKind("GatewayClass")
          .withPlural("gatewayclasses")
          .withNamespaced(false)
          .build();

  private final KubernetesClient client;
  private final ProxyResourceRenderer renderer;
  private final boolean gatewayNamespaceMode;
  private final BooleanSupplier leader;
  private final MeterRegistry meters;
  private final Map<String, InfraIr> desired = new ConcurrentHashMap<>();
  private volatile boolean serverSideApply = true;

  /**
   * A provisioner.
   *
   * @param client the Kubernetes client
   * @param renderer renders the objects of a fleet
   * @param gatewayNamespaceMode true when fleets run in their Gateway's namespace (owner: the
   *     Gateway), false when they run in the control plane's (owner: the GatewayClass)
   * @param leader true while this replica may write
   * @param meters where {@code eg4j.provisioner.applies} is counted, or null
   */
  public KubernetesFleetProvisioner(
      KubernetesClient client,
      ProxyResourceRenderer renderer,
      boolean gatewayNamespaceMode,
      BooleanSupplier leader,
      MeterRegistry meters) {
    this.client = Objects.requireNonNull(client, "client");
    this.renderer = Objects.requireNonNull(renderer, "renderer");
    this.gatewayNamespaceMode = gatewayNamespaceMode;
    this.leader = leader == null ? () -> true : leader;
    this.meters = meters == null ? new SimpleMeterRegistry() : meters;
  }

  /** Makes the fleet match {@code ir}; a non-leader only remembers it. */
  @Override
  public synchronized void apply(InfraIr ir) {
    desired.put(ir.name(), ir);
    if (!leader.getAsBoolean()) {
      LOG.debug("not the leader, fleet {} remembered for later", ir.name());
      return;
    }
    MDC.put("fleet", ir.name());
    try {
      OwnerRef owner = ownerOf(ir);
      RenderedFleet fleet = renderer.render(ir, owner);
      fleet.warnings().forEach(w -> LOG.warn("fleet {}: {}", ir.name(), w));
      Set<String> kept = new HashSet<>();
      // The client certificate first: the pods mount it, and would not start without it.
      DesiredObject certs = xdsCertificateCopy(ir, owner);
      if (certs != null) {
        applyOne(certs);
        kept.add(certs.kind() + "/" + certs.namespace() + "/" + certs.name());
      }
      for (DesiredObject o : fleet.objects()) {
        if (o.isDelete()) {
          delete(o.apiVersion(), o.kind(), o.namespace(), o.name());
        } else {
          applyOne(o);
          kept.add(o.kind() + "/" + o.namespace() + "/" + o.name());
        }
      }
      prune(ir.name(), kept);
    } finally {
      MDC.remove("fleet");
    }
  }

  /** Removes every object of the fleet, wherever it runs; a non-leader only forgets the fleet. */
  @Override
  public synchronized void remove(String fleet) {
    desired.remove(fleet);
    if (!leader.getAsBoolean()) {
      return;
    }
    MDC.put("fleet", fleet);
    try {
      prune(fleet, Set.of());
      LOG.info("fleet {} removed", fleet);
    } finally {
      MDC.remove("fleet");
    }
  }

  /** Applies every remembered fleet; call it when this replica becomes the leader. */
  public void reconcileAll() {
    for (InfraIr ir : List.copyOf(desired.values())) {
      try {
        apply(ir);
      } catch (RuntimeException e) {
        LOG.warn("fleet {} not applied: {}", ir.name(), e.toString());
      }
    }
  }

  /** The fleets this replica knows about, for tests and diagnostics. */
  public Set<String> fleets() {
    return Set.copyOf(desired.keySet());
  }

  private void applyOne(DesiredObject o) {
    GenericKubernetesResource resource =
        Json.MAPPER.convertValue(o.body(), GenericKubernetesResource.class);
    try {
      if (serverSideApply) {
        try {
          client.resource(resource).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
          count(o.kind(), "applied");
          return;
        } catch (KubernetesClientException e) {
          if (e.getCode() == 415) {
            LOG.info("the API server does not support server-side apply; using create or update");
            serverSideApply = false;
          } else if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
            // A real API server creates on apply; only a server without apply support (or a
            // missing namespace, which create reports better) answers 404.
            throw e;
          }
        }
      }
      createOrUpdate(resource);
      count(o.kind(), "applied");
    } catch (KubernetesClientException e) {
      count(o.kind(), "failed");
      throw new IllegalStateException("cannot apply " + o.describe() + ": " + e.getMessage(), e);
    }
  }

  private void createOrUpdate(GenericKubernetesResource resource) {
    var op =
        client
            .genericKubernetesResources(resource.getApiVersion(), resource.getKind())
            .inNamespace(resource.getMetadata().getNamespace())
            .withName(resource.getMetadata().getName());
    GenericKubernetesResource existing = op.get();
    if (existing == null) {
      try {
        op.create(resource);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        existing = op.get();
      }
    }
    resource.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
    client.resource(resource).update();
  }

  private void delete(String apiVersion, String kind, String ns, String name) {
    try {
      var deleted =
          client
              .genericKubernetesResources(apiVersion, kind)
              .inNamespace(ns)
              .withName(name)
              .delete();
      if (deleted != null && !deleted.isEmpty()) {
        count(kind, "deleted");
        LOG.info("deleted {} {}/{}", kind, ns, name);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return;
      }
      count(kind, "failed");
      throw new IllegalStateException(
          "cannot delete " + kind + " " + ns + "/" + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * In gateway-namespace mode the proxies run beside their Gateway, away from the control plane's
   * namespace where the xDS client certificate Secret lives: the fleet gets its own copy (same
   * name, data and type), owned like the rest of the fleet and pruned with it. Null when no copy is
   * needed, or when the source Secret does not exist (then the pods wait for it, and a later apply
   * copies it).
   */
  DesiredObject xdsCertificateCopy(InfraIr ir, OwnerRef owner) {
    RenderSettings settings = renderer.settings();
    if (!gatewayNamespaceMode || settings.xdsTls() == null) {
      return null;
    }
    String ns = renderer.namespaceOf(ir);
    String name = settings.xdsTls().secretName();
    if (ns.equals(settings.controllerNamespace())) {
      return null;
    }
    Secret source =
        client.secrets().inNamespace(settings.controllerNamespace()).withName(name).get();
    if (source == null) {
      LOG.warn(
          "fleet {}: xDS client certificate Secret {}/{} not found; not copied to {}",
          ir.name(),
          settings.controllerNamespace(),
          name,
          ns);
      return null;
    }
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("apiVersion", "v1");
    body.put("kind", "Secret");
    ObjectNode meta = body.putObject("metadata");
    meta.put("name", name);
    meta.put("namespace", ns);
    ObjectNode labels = meta.putObject("labels");
    ir.labels().forEach(labels::put);
    labels.put(ProxyResourceRenderer.FLEET_LABEL, ProxyResourceRenderer.fleetLabelValue(ir.name()));
    if (owner != null) {
      owner.writeTo(meta);
    }
    if (source.getType() != null) {
      body.put("type", source.getType());
    }
    ObjectNode data = body.putObject("data");
    if (source.getData() != null) {
      source.getData().forEach(data::put);
    }
    return new DesiredObject("v1", "Secret", ns, name, body);
  }

  /** Deletes every object labelled with the fleet that is not in {@code kept}. */
  private void prune(String fleet, Set<String> kept) {
    String value = ProxyResourceRenderer.fleetLabelValue(fleet);
    for (String[] kind : FLEET_KINDS) {
      if (kind[1].equals("Secret")
          && (!gatewayNamespaceMode || renderer.settings().xdsTls() == null)) {
        // Only certificate copies are Secrets of a fleet; without them, no Secret is listed.
        continue;
      }
      List<GenericKubernetesResource> items;
      try {
        items =
            client
                .genericKubernetesResources(kind[0], kind[1])
                .inAnyNamespace()
                .withLabel(ProxyResourceRenderer.FLEET_LABEL, value)
                .list()
                .getItems();
      } catch (KubernetesClientException e) {
        // A kind the cluster does not serve (an old cluster without autoscaling/v2) has nothing.
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          continue;
        }
        throw e;
      }
      for (GenericKubernetesResource item : items) {
        String ns = item.getMetadata().getNamespace();
        String name = item.getMetadata().getName();
        if (!kept.contains(kind[1] + "/" + ns + "/" + name)) {
          delete(kind[0], kind[1], ns, name);
        }
      }
    }
  }

  /**
   * The owner of the fleet's objects: the Gateway in gateway-namespace mode, else the GatewayClass
   * (a namespaced object cannot be owned across namespaces). Null when the owner cannot be found,
   * which only costs garbage collection.
   */
  OwnerRef ownerOf(InfraIr ir) {
    try {
      String gwApi = "gateway.networking.k8s.io/v1";
      if (ir.ownerGatewayNamespace() == null) {
        return classRef(ir.ownerGatewayName());
      }
      GenericKubernetesResource gw =
          client
              .genericKubernetesResources(GATEWAY)
              .inNamespace(ir.ownerGatewayNamespace())
              .withName(ir.ownerGatewayName())
              .get();
      if (gw == null) {
        return null;
      }
      if (gatewayNamespaceMode) {
        return new OwnerRef(gwApi, "Gateway", ir.ownerGatewayName(), gw.getMetadata().getUid());
      }
      Object spec = gw.getAdditionalProperties().get("spec");
      Object className = spec instanceof Map<?, ?> m ? m.get("gatewayClassName") : null;
      return className == null ? null : classRef(className.toString());
    } catch (KubernetesClientException e) {
      LOG.debug("owner of fleet {} not found: {}", ir.name(), e.getMessage());
      return null;
    }
  }

  private OwnerRef classRef(String name) {
    if (name == null) {
      return null;
    }
    GenericKubernetesResource o =
        client.genericKubernetesResources(GATEWAY_CLASS).withName(name).get();
    return o == null || o.getMetadata().getUid() == null
        ? null
        : new OwnerRef(
            "gateway.networking.k8s.io/v1", "GatewayClass", name, o.getMetadata().getUid());
  }

  private void count(String kind, String result) {
    meters.counter("eg4j.provisioner.applies", "kind", kind, "result", result).increment();
  }
}
