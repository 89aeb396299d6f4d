package io.eg4j.statuswriter.k8s;

import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.WatchedKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The objects whose status eg4j writes, as informers see them, so a status write reads its object
 * from memory instead of the API server: one request per write instead of two, as Envoy Gateway's
 * status updater reads through the controller-runtime cache.
 *
 * <p>A cache can lag behind the server. A write based on an old copy fails with a 409 conflict and
 * the writer reads the object from the server again, so a lagging cache costs a retry, never a
 * wrong write. Right after its own write the writer would see its previous copy, so the object the
 * server returned is kept until the informer has caught up with it.
 */
public final class StatusObjectCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusObjectCache.class);

  private final KubernetesClient client;
  private final List<String> namespaces;
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> informers =
      new HashMap<>();

  /** Our last write per key: the resourceVersion it was based on and what the server returned. */
  private final Map<ResourceKey, Written> written = new ConcurrentHashMap<>();

  private record Written(String baseVersion, GenericKubernetesResource result) {}

  /** Told the key of every object an informer adds. */
  private volatile java.util.function.Consumer<ResourceKey> onAdded = k -> {};

  /** Calls {@code listener} with the key of every object the informers add (before start). */
  public void onAdded(java.util.function.Consumer<ResourceKey> listener) {
    this.onAdded = Objects.requireNonNull(listener, "listener");
  }

  /** A cache of every namespace; {@link #start()} begins watching. */
  public StatusObjectCache(KubernetesClient client) {
    this(client, List.of());
  }

  /**
   * A cache; {@link #start()} begins watching.
   *
   * @param client the API client
   * @param namespaces the namespaces to cache namespaced kinds in, one informer each (a Role per
   *     namespace grants no list across all of them); empty for all namespaces
   */
  public StatusObjectCache(KubernetesClient client, List<String> namespaces) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespaces = namespaces == null ? List.of() : List.copyOf(new TreeSet<>(namespaces));
  }

  /** Starts an informer for each kind with a status the cluster serves. */
  public synchronized void start() {
    for (WatchedKind kind : WatchedKind.ALL) {
      if (!kind.hasStatus()) {
        continue;
      }
      if (!kind.namespaced() || namespaces.isEmpty()) {
        var op = client.genericKubernetesResources(kind.context());
        inform(kind, "", kind.namespaced() ? op.inAnyNamespace() : op);
      } else {
        for (String ns : namespaces) {
          inform(kind, ns, client.genericKubernetesResources(kind.context()).inNamespace(ns));
        }
      }
    }
  }

  private void inform(
      WatchedKind kind,
      String namespace,
      io.fabric8.kubernetes.client.dsl.Informable<GenericKubernetesResource> op) {
    try {
      SharedIndexInformer<GenericKubernetesResource> informer =
          op.runnableInformer(Duration.ofMinutes(10).toMillis());
      informer.addEventHandler(
          new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource obj) {
              String ns = obj.getMetadata().getNamespace();
              onAdded.accept(
                  new ResourceKey(
                      kind.group(),
                      kind.kind(),
                      ns == null ? "" : ns,
                      obj.getMetadata().getName()));
            }

            @Override
            public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource obj) {}

            @Override
            public void onDelete(GenericKubernetesResource obj, boolean unknownFinalState) {}
          });
      informer.exceptionHandler(
          (started, t) -> {
            // A kind the cluster does not serve yet: writes read it from the server.
            LOG.debug("status cache for {}: {}", kind.kind(), t.toString());
            return true;
          });
      informer.start();
      informers.put(informerKey(kind.group(), kind.kind(), namespace), informer);
    } catch (KubernetesClientException e) {
      LOG.warn("no status cache for {}: {}", kind.kind(), e.getMessage());
    }
  }

  private String informerKey(String group, String kind, String namespace) {
    return group + "/" + kind + "/" + (namespaces.isEmpty() ? "" : namespace);
  }

  /** The object as last seen, or null when the cache does not know it (read it from the server). */
  public GenericKubernetesResource get(ResourceKey key) {
    SharedIndexInformer<GenericKubernetesResource> informer =
        informers.get(informerKey(key.group(), key.kind(), key.namespace()));
    GenericKubernetesResource cached = null;
    if (informer != null && informer.hasSynced()) {
      cached =
          informer
              .getStore()
              .getByKey(
                  key.namespace().isEmpty() ? key.name() : key.namespace() + "/" + key.name());
    }
    Written w = written.get(key);
    if (w != null) {
      if (cached != null && !w.baseVersion().equals(cached.getMetadata().getResourceVersion())) {
        // The informer has seen our write (or a later change): it is current again.
        written.remove(key, w);
      } else {
        return w.result();
      }
    }
    return cached;
  }

  /** Records a write: {@code base} was read, {@code result} is what the server returned. */
  void wrote(ResourceKey key, GenericKubernetesResource base, GenericKubernetesResource result) {
    if (result != null && base.getMetadata().getResourceVersion() != null) {
      written.put(key, new Written(base.getMetadata().getResourceVersion(), result));
    }
  }

  /** Forgets a key (its object is gone). */
  void forget(ResourceKey key) {
    written.remove(key);
  }

  @Override
  public synchronized void close() {
    informers.values().forEach(SharedIndexInformer::close);
    informers.clear();
    written.clear();
  }
}
