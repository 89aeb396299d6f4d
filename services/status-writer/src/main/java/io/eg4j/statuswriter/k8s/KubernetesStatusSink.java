package io.eg4j.statuswriter.k8s;

import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.statuswriter.core.StatusSink;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode of the status-writer: statuses from {@code eg4j.status} go to status
 * subresources, coalesced per key and rate limited, written only by the replica that holds the
 * {@code eg4j-status-writer} Lease. It also watches the proxy fleets' Services and workloads, so a
 * Gateway's {@code addresses} and {@code Programmed} follow a load balancer that assigns an address
 * later, or replicas that become available.
 */
public final class KubernetesStatusSink implements StatusSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesStatusSink.class);

  /**
   * Settings of the sink.
   *
   * @param controllerName our controller name
   * @param leaseNamespace the namespace of the Lease
   * @param leaseName the Lease name
   * @param identity this replica's identity (the pod name)
   * @param timing leader election timing
   * @param writesPerSecond sustained status writes per second
   * @param burst writes allowed at once
   * @param maxAttempts tries per status when writes conflict
   * @param watchProxies true to watch the fleets' Services and workloads for Gateway statuses
   * @param namespaces the namespaces whose objects are cached for writes; empty for all
   * @param concurrentWrites how many status writes may be in flight at once
   */
  public record Settings(
      String controllerName,
      String leaseNamespace,
      String leaseName,
      String identity,
      LeaderElection.Timing timing,
      double writesPerSecond,
      int burst,
      int maxAttempts,
      boolean watchProxies,
      List<String> namespaces,
      int concurrentWrites) {
    /** The default number of status writes in flight at once. */
    public static final int DEFAULT_CONCURRENT_WRITES = 4;

    /** Settings that cache objects of every namespace. */
    public Settings(
        String controllerName,
        String leaseNamespace,
        String leaseName,
        String identity,
        LeaderElection.Timing timing,
        double writesPerSecond,
        int burst,
        int maxAttempts,
        boolean watchProxies) {
      this(
          controllerName,
          leaseNamespace,
          leaseName,
          identity,
          timing,
          writesPerSecond,
          burst,
          maxAttempts,
          watchProxies,
          List.of(),
          DEFAULT_CONCURRENT_WRITES);
    }

    public Settings {
      if (concurrentWrites < 1) {
        throw new IllegalArgumentException(
            "concurrent-writes must be at least 1, got " + concurrentWrites);
      }
      namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
      Objects.requireNonNull(leaseNamespace, "leaseNamespace");
      leaseName = leaseName == null ? "eg4j-status-writer" : leaseName;
      Objects.requireNonNull(identity, "identity");
      timing = timing == null ? LeaderElection.Timing.DEFAULT : timing;
    }
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final StatusObjectCache cache;
  private final KubernetesStatusWriter writer;
  private final StatusWriteQueue queue;
  private final List<SharedIndexInformer<GenericKubernetesResource>> informers = new ArrayList<>();
  private LeaderElection election;
  private volatile SharedIndexInformer<GenericKubernetesResource> gatewayClasses;

  /** A sink; call {@link #start()} to begin. */
  public KubernetesStatusSink(KubernetesClient client, Settings settings, MeterRegistry meters) {
    this.client = Objects.requireNonNull(client, "client");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.cache = new StatusObjectCache(client, settings.namespaces());
    this.writer =
        new KubernetesStatusWriter(
            client,
            settings.controllerName(),
            meters,
            settings.maxAttempts(),
            Clock.systemUTC(),
            cache);
    this.queue =
        new StatusWriteQueue(
            writer::write,
            writer::upToDate,
            this::isLeader,
            settings.writesPerSecond(),
            settings.burst(),
            Duration.ofSeconds(1),
            settings.concurrentWrites());
    Gauge.builder("eg4j.leader", this, s -> s.isLeader() ? 1 : 0)
        .description("1 while this replica holds the lease and writes")
        .tag("service", "status-writer")
        .register(meters);
  }

  /** Starts the writer, the leader election and the proxy watches. */
  public synchronized void start() {
    // An object created again under the name of one just deleted may have been compared against
    // the deleted copy still in the cache (same status: skipped); its arrival queues the key's
    // status again, so the new object gets it.
    cache.onAdded(key -> queue.requeue(key::equals));
    cache.start();
    queue.start();
    election =
        LeaderElection.start(
            client,
            settings.leaseNamespace(),
            settings.leaseName(),
            settings.identity(),
            settings.timing(),
            new LeaderElection.Listener() {
              @Override
              public void onStartLeading() {
                // A new leader cannot know what its predecessor wrote: it queues what differs from
                // its cache, off the elector's thread, while new changes are written first.
                Thread resync = new Thread(queue::requeueAll, "status-resync");
                resync.setDaemon(true);
                resync.start();
              }

              @Override
              public void onStopLeading() {
                queue.wake();
              }
            });
    watchGatewayClasses();
    if (settings.watchProxies()) {
      watchProxies();
      try {
        watchNodes();
      } catch (KubernetesClientException e) {
        LOG.error(
            "cannot watch Nodes ({}); NodePort Gateways follow node changes late", e.getMessage());
      }
    }
  }

  /** A status from the bus. */
  @Override
  public void accept(ResourceStatus status) {
    queue.submit(status);
  }

  /** A status tombstone from the bus. */
  @Override
  public void remove(ResourceKey key) {
    queue.remove(key);
    if (GatewayClassAccepted.isGatewayClass(key) && gatewayClasses != null) {
      // The translator no longer has anything to say (parameters gone): the class is Accepted.
      GenericKubernetesResource gc = gatewayClasses.getStore().getByKey(key.name());
      if (gc != null) {
        classChanged(gc);
      }
    }
  }

  /**
   * Gateways' statuses name why their fleet could not be applied, from {@code failures}; a change
   * there rewrites the Gateways' statuses.
   */
  public void fleetFailures(FleetFailures failures) {
    writer.fleetFailures(failures);
    failures.onChange(() -> queue.requeue(KubernetesStatusWriter::isGateway));
  }

  /** True while this replica writes. */
  public boolean isLeader() {
    return election != null && election.isLeader();
  }

  /** The queue, for readiness and tests. */
  public StatusWriteQueue queue() {
    return queue;
  }

  /**
   * Envoy Gateway's provider, not its translator, accepts a GatewayClass of its controller; the
   * translator publishes a GatewayClass status only when it has parameters to judge. So every class
   * of ours without a status from the bus gets Accepted=True here.
   */
  private void watchGatewayClasses() {
    try {
      gatewayClasses = informGatewayClasses();
      informers.add(gatewayClasses);
    } catch (KubernetesClientException e) {
      // Statuses from the bus are still written; only the default Accepted of classes is missing.
      LOG.error("cannot watch GatewayClasses ({}); classes get no default status", e.getMessage());
    }
  }

  private SharedIndexInformer<GenericKubernetesResource> informGatewayClasses() {
    return client
        .genericKubernetesResources(GatewayClassAccepted.KIND.context())
        .inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(GenericKubernetesResource obj) {
                classChanged(obj);
              }

              @Override
              public void onUpdate(
                  GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
                classChanged(newObj);
              }

              @Override
              public void onDelete(GenericKubernetesResource obj, boolean unknownFinalState) {}
            },
            Duration.ofMinutes(10).toMillis());
  }

  private void classChanged(GenericKubernetesResource gc) {
    ResourceStatus accepted = GatewayClassAccepted.of(gc, settings.controllerName());
    if (accepted != null) {
      queue.submitIfAbsent(accepted);
    }
  }

  private void watchProxies() {
    ResourceEventHandler<GenericKubernetesResource> handler =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(GenericKubernetesResource obj) {
            changed(obj);
          }

          @Override
          public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
            changed(newObj);
          }

          @Override
          public void onDelete(GenericKubernetesResource obj, boolean unknownFinalState) {
            changed(obj);
          }
        };
    for (String[] kind :
        new String[][] {{"v1", "Service"}, {"apps/v1", "Deployment"}, {"apps/v1", "DaemonSet"}}) {
      SharedIndexInformer<GenericKubernetesResource> informer =
          client
              .genericKubernetesResources(kind[0], kind[1])
              .inAnyNamespace()
              .withLabelSelector(ProxyLabels.PROXY_SELECTOR)
              .inform(handler, Duration.ofMinutes(10).toMillis());
      informers.add(informer);
    }
  }

  /** A node's addresses changed: Gateways on NodePort Services list them. */
  private void watchNodes() {
    informers.add(
        client
            .genericKubernetesResources("v1", "Node")
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(GenericKubernetesResource obj) {
                    queue.requeue(KubernetesStatusWriter::isGateway);
                  }

                  @Override
                  public void onUpdate(
                      GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
                    // Nodes update their status every few seconds; only addresses matter here.
                    if (!Objects.equals(addresses(oldObj), addresses(newObj))) {
                      queue.requeue(KubernetesStatusWriter::isGateway);
                    }
                  }

                  @Override
                  public void onDelete(GenericKubernetesResource obj, boolean unknownFinalState) {
                    queue.requeue(KubernetesStatusWriter::isGateway);
                  }
                },
                Duration.ofMinutes(10).toMillis()));
  }

  private static Object addresses(GenericKubernetesResource node) {
    Object status = node.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> m ? m.get("addresses") : null;
  }

  private void changed(GenericKubernetesResource obj) {
    Map<String, String> labels = obj.getMetadata().getLabels();
    if (labels == null) {
      return;
    }
    String gwName = labels.get(ProxyLabels.OWNING_GATEWAY_NAME);
    String gwNs = labels.get(ProxyLabels.OWNING_GATEWAY_NAMESPACE);
    if (gwName != null && gwNs != null) {
      queue.requeue(
          k ->
              KubernetesStatusWriter.isGateway(k)
                  && k.namespace().equals(gwNs)
                  && k.name().equals(gwName));
    } else if (labels.containsKey(ProxyLabels.OWNING_GATEWAYCLASS)) {
      // A merged fleet serves every Gateway of its class; the writer skips those unchanged.
      queue.requeue(KubernetesStatusWriter::isGateway);
    }
  }

  @Override
  public synchronized void close() {
    informers.forEach(SharedIndexInformer::close);
    informers.clear();
    if (election != null) {
      election.close();
    }
    queue.close();
    cache.close();
    LOG.info("status sink closed");
  }
}
