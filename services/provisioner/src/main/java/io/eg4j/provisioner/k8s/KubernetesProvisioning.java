package io.eg4j.provisioner.k8s;

import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.provisioner.core.ApplyBackoff;
import io.eg4j.provisioner.core.FleetSink;
import io.eg4j.provisioner.core.FleetStatusListener;
import io.eg4j.provisioner.core.render.ProxyResourceRenderer;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provisioner's Kubernetes mode as one {@link FleetSink}: a {@link KubernetesFleetProvisioner}
 * that writes only while this replica holds the {@code eg4j-provisioner} Lease, and that applies
 * every fleet it knows (and deletes orphans, once it knows the whole desired state) when it becomes
 * the leader. Reports {@code eg4j.leader{service=provisioner}}.
 */
public final class KubernetesProvisioning implements FleetSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesProvisioning.class);

  private final KubernetesFleetProvisioner provisioner;
  private final LeaderElection election;
  private final ExecutorService takeover;
  private final java.util.List<Runnable> leaderTasks =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Starts competing for the Lease.
   *
   * @param client the Kubernetes client
   * @param settings how fleets are rendered
   * @param leaseNamespace the namespace of the Lease (the control plane's)
   * @param identity this replica's identity (the pod name)
   * @param timing leader election timing
   * @param meters where the provisioner's metrics go
   */
  public KubernetesProvisioning(
      KubernetesClient client,
      RenderSettings settings,
      String leaseNamespace,
      String identity,
      LeaderElection.Timing timing,
      MeterRegistry meters) {
    this(
        client,
        settings,
        leaseNamespace,
        identity,
        timing,
        meters,
        ApplyBackoff.DEFAULT,
        FleetStatusListener.NONE);
  }

  /**
   * Starts competing for the Lease.
   *
   * @param client the Kubernetes client
   * @param settings how fleets are rendered
   * @param leaseNamespace the namespace of the Lease (the control plane's)
   * @param identity this replica's identity (the pod name)
   * @param timing leader election timing
   * @param meters where the provisioner's metrics go
   * @param backoff when failed applies are retried
   * @param status hears the outcome of every apply
   */
  public KubernetesProvisioning(
      KubernetesClient client,
      RenderSettings settings,
      String leaseNamespace,
      String identity,
      LeaderElection.Timing timing,
      MeterRegistry meters,
      ApplyBackoff backoff,
      FleetStatusListener status) {
    Objects.requireNonNull(client, "client");
    this.takeover =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "provisioner-takeover");
              t.setDaemon(true);
              return t;
            });
    LeaderElection[] holder = new LeaderElection[1];
    this.provisioner =
        new KubernetesFleetProvisioner(
            client,
            new ProxyResourceRenderer(settings),
            settings.gatewayNamespaceMode(),
            () -> holder[0] != null && holder[0].isLeader(),
            meters,
            backoff,
            status);
    this.election =
        LeaderElection.start(
            client,
            leaseNamespace,
            "eg4j-provisioner",
            identity,
            timing,
            new LeaderElection.Listener() {
              @Override
              public void onStartLeading() {
                // Off the elector's thread: applying every fleet takes a while.
                takeover.execute(
                    () -> {
                      LOG.info("leader now; applying {} known fleets", provisioner.fleets().size());
                      provisioner.reconcileAll();
                      leaderTasks.forEach(Runnable::run);
                    });
              }
            });
    holder[0] = election;
    Gauge.builder("eg4j.leader", election, e -> e.isLeader() ? 1 : 0)
        .description("1 while this replica holds the lease and writes")
        .tag("service", "provisioner")
        .register(meters);
  }

  @Override
  public void apply(InfraIr ir) {
    provisioner.apply(ir);
  }

  @Override
  public void remove(String fleet) {
    provisioner.remove(fleet);
  }

  @Override
  public void reconcile(Map<String, InfraIr> fleets) {
    provisioner.reconcile(fleets);
  }

  /**
   * Runs {@code task} each time this replica becomes the leader, after the fleets: for instance
   * applying the global rate limit service.
   */
  public void onLeading(Runnable task) {
    leaderTasks.add(task);
  }

  /** The provisioner behind the Lease, for tests and diagnostics. */
  public KubernetesFleetProvisioner provisioner() {
    return provisioner;
  }

  /** True while this replica writes. */
  public boolean isLeader() {
    return election.isLeader();
  }

  @Override
  public void close() {
    election.close();
    takeover.shutdownNow();
    provisioner.close();
  }
}
