package io.eg4j.provisioner.k8s;

import io.eg4j.model.bus.Json;
import io.eg4j.provisioner.core.ApplyBackoff;
import io.eg4j.provisioner.core.RateLimitConfigSink;
import io.eg4j.provisioner.core.render.DesiredObject;
import io.eg4j.provisioner.core.render.RateLimitInfra;
import io.eg4j.provisioner.core.render.RateLimitResourceRenderer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode of the global rate limit service, as Envoy Gateway runs it: when the EnvoyGateway
 * configuration enables {@code rateLimit}, the ServiceAccount, Deployment and Service {@code
 * envoy-ratelimit} and the ConfigMap of its configuration files exist in the controller namespace,
 * with the metrics mapping, HPA and PDB its settings ask for ({@link RateLimitResourceRenderer});
 * when it does not, they are deleted.
 *
 * <p>The files come from the xDS IR ({@link RateLimitConfigSink}); the ConfigMap is written only
 * once they are known, so a restart never empties the service's configuration. Only the leader
 * writes (the provisioner's Lease); a replica that becomes the leader applies everything. Objects
 * go out with server-side apply under {@link KubernetesFleetProvisioner#FIELD_MANAGER}; a failed
 * apply is retried with {@link ApplyBackoff} until it succeeds or something newer replaces it.
 */
public final class KubernetesRateLimitProvisioner implements RateLimitConfigSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesRateLimitProvisioner.class);

  private final KubernetesClient client;
  private final RateLimitResourceRenderer renderer;
  private final RateLimitInfra infra;
  private final BooleanSupplier leader;
  private final ApplyBackoff backoff;
  private final ScheduledExecutorService retryTimer;
  private Map<String, String> files;
  private int generation;
  // Every object applied for the known files, by this replica as the leader.
  private boolean complete;
  private ScheduledFuture<?> retry;

  /**
   * A provisioner.
   *
   * @param client the Kubernetes client
   * @param namespace the controller namespace
   * @param infra what the configuration asks for, or null when rate limiting is off
   * @param leader true while this replica may write
   * @param backoff when failed applies are retried
   */
  public KubernetesRateLimitProvisioner(
      KubernetesClient client,
      String namespace,
      RateLimitInfra infra,
      BooleanSupplier leader,
      ApplyBackoff backoff) {
    this.client = Objects.requireNonNull(client, "client");
    this.renderer = new RateLimitResourceRenderer(namespace);
    this.infra = infra;
    this.leader = leader == null ? () -> true : leader;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.retryTimer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "provisioner-ratelimit-retry");
              t.setDaemon(true);
              return t;
            });
  }

  /** The configuration files changed: written to the ConfigMap (everything, the first time). */
  @Override
  public synchronized void configFiles(Map<String, String> newFiles) {
    files = Map.copyOf(newFiles);
    LOG.info("rate limit configuration: {} domain files", files.size());
    // Once everything is in place, a new configuration only changes the ConfigMap.
    generation++;
    cancelRetry();
    attempt(generation, 0, complete);
  }

  /** Makes the cluster match; call it when this replica becomes the leader, and at start. */
  public synchronized void applyAll() {
    complete = false;
    generation++;
    cancelRetry();
    attempt(generation, 0, false);
  }

  private void attempt(int gen, int failedBefore, boolean configMapOnly) {
    if (!leader.getAsBoolean()) {
      // Another replica writes; when this one leads again it applies everything.
      complete = false;
      return;
    }
    if (gen != generation) {
      return;
    }
    try {
      if (configMapOnly && infra != null && files != null) {
        apply(renderer.configMapObject(files));
        return;
      }
      if (infra == null) {
        for (DesiredObject o : renderer.render(null, Map.of())) {
          delete(o);
        }
        return;
      }
      List<DesiredObject> objects = renderer.render(infra, files == null ? Map.of() : files);
      for (DesiredObject o : objects) {
        // Until the IR has been read the files are unknown: leave the ConfigMap as it is.
        if (files == null && o.name().equals(RateLimitResourceRenderer.CONFIG_MAP)) {
          continue;
        }
        if (o.isDelete()) {
          // An HPA, PDB or metrics mapping the configuration no longer asks for.
          delete(o);
        } else {
          apply(o);
        }
      }
      complete = files != null;
      if (failedBefore > 0) {
        LOG.info("rate limit service applied after {} failed attempts", failedBefore);
      }
    } catch (RuntimeException e) {
      complete = false;
      int attempts = failedBefore + 1;
      Duration delay = backoff.delay(attempts, ThreadLocalRandom.current()::nextDouble);
      LOG.warn(
          "rate limit service not applied (attempt {}), retrying in {} ms: {}",
          attempts,
          delay.toMillis(),
          e.getMessage());
      try {
        retry =
            retryTimer.schedule(
                () -> {
                  synchronized (this) {
                    attempt(gen, attempts, false);
                  }
                },
                delay.toMillis(),
                TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closed) {
        LOG.debug("closed; rate limit service not retried");
      }
    }
  }

  private void apply(DesiredObject o) {
    GenericKubernetesResource resource =
        Json.MAPPER.convertValue(o.body(), GenericKubernetesResource.class);
    try {
      client
          .resource(resource)
          .fieldManager(KubernetesFleetProvisioner.FIELD_MANAGER)
          .forceConflicts()
          .serverSideApply();
    } catch (KubernetesClientException e) {
      throw new IllegalStateException("cannot apply " + o.describe() + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the object when it is there and labelled as the rate limit service's. */
  private void delete(DesiredObject o) {
    try {
      var op =
          client
              .genericKubernetesResources(o.apiVersion(), o.kind())
              .inNamespace(o.namespace())
              .withName(o.name());
      GenericKubernetesResource existing = op.get();
      // Nothing to do, or not ours: the usual case when rate limiting was never on.
      if (existing == null
          || existing.getMetadata().getLabels() == null
          || !existing
              .getMetadata()
              .getLabels()
              .entrySet()
              .containsAll(RateLimitResourceRenderer.LABELS.entrySet())) {
        return;
      }
      op.delete();
      LOG.info("not asked for by the configuration: deleted {}", o.describe());
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
        throw new IllegalStateException("cannot delete " + o.describe() + ": " + e.getMessage(), e);
      }
    }
  }

  private void cancelRetry() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
  }

  @Override
  public void close() {
    retryTimer.shutdownNow();
  }
}
