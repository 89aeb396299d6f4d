package io.eg4j.xds.core;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.ContentSnapshots;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * Snapshots whose per-resource versions are content hashes. java-control-plane's own factory
 * versions each resource by {@code Message.hashCode()}, which differs between JVMs (it mixes in
 * descriptor identity); delta xDS compares these versions, so replicas and restarts must agree.
 */
final class ContentSnapshot {
  private ContentSnapshot() {}

  static Snapshot of(XdsResources res, XdsSnapshots.Versions v) {
    return ContentSnapshots.of(
        resources(res.clusters(), v.clusters()),
        resources(res.endpoints(), v.endpoints()),
        resources(res.listeners(), v.listeners()),
        resources(res.routes(), v.routes()),
        resources(res.secrets(), v.secrets()));
  }

  private static <T extends Message> SnapshotResources<T> resources(List<T> list, String version) {
    List<VersionedResource<T>> out = new ArrayList<>(list.size());
    for (T r : list) {
      out.add(VersionedResource.create(r, Protos.hash(r)));
    }
    return SnapshotResources.create(out, version);
  }
}
