package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.XdsIr;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the endpoint fast path needs to touch only what an EndpointSlice change affects, built once
 * per full translation: which destination settings each Service or ServiceImport feeds, where each
 * such setting sits in the xDS IR, what each setting made of its endpoints, and which
 * EndpointSlices belong to each of those Services. Immutable: the fast path derives a new index
 * (sharing all but the slice maps) for its result.
 */
public final class EndpointIndex {
  /**
   * Where one destination setting sits in the xDS IR.
   *
   * @param xdsKey the IR key
   * @param listenerKind {@code http}, {@code tcp} or {@code udp}
   * @param listener index in the IR's (sorted) listener list of that kind
   * @param route index in the listener's routes (unused for UDP)
   * @param mirror index in the route's mirrors, or -1 for the route's own destination
   */
  record Location(String xdsKey, char listenerKind, int listener, int route, int mirror) {}

  /** Setting names by owner ({@link EndpointSource#owner()}). */
  final Map<String, List<String>> settingsByOwner;

  /** Locations of each setting with an endpoint source. */
  final Map<String, List<Location>> locations;

  /** {@link EndpointSource#state} of each setting at the last translation. */
  final Map<String, String> states;

  /** Owners of each EndpointSlice whose owner feeds a setting. */
  final Map<ResourceKey, List<String>> sliceOwners;

  /** EndpointSlices of each owner that feeds a setting. */
  final Map<String, Set<ResourceKey>> ownerSlices;

  private EndpointIndex(
      Map<String, List<String>> settingsByOwner,
      Map<String, List<Location>> locations,
      Map<String, String> states,
      Map<ResourceKey, List<String>> sliceOwners,
      Map<String, Set<ResourceKey>> ownerSlices) {
    this.settingsByOwner = settingsByOwner;
    this.locations = locations;
    this.states = states;
    this.sliceOwners = sliceOwners;
    this.ownerSlices = ownerSlices;
  }

  /** Builds the index of a full translation. */
  static EndpointIndex build(
      Map<String, XdsIr> xdsIr,
      Map<String, EndpointSource> sources,
      Map<String, String> states,
      Map<ResourceKey, ObjectNode> objects) {
    Map<String, List<String>> byOwner = new HashMap<>();
    sources.forEach(
        (setting, src) ->
            byOwner.computeIfAbsent(src.owner(), o -> new ArrayList<>()).add(setting));
    Map<String, List<Location>> locations = new HashMap<>();
    xdsIr.forEach(
        (key, ir) -> {
          for (int li = 0; li < ir.http().size(); li++) {
            List<HttpRouteIr> routes = ir.http().get(li).routes();
            for (int ri = 0; ri < routes.size(); ri++) {
              HttpRouteIr r = routes.get(ri);
              locate(r.destination(), new Location(key, 'h', li, ri, -1), sources, locations);
              for (int mi = 0; mi < r.mirrors().size(); mi++) {
                locate(
                    r.mirrors().get(mi).destination(),
                    new Location(key, 'h', li, ri, mi),
                    sources,
                    locations);
              }
            }
          }
          for (int li = 0; li < ir.tcp().size(); li++) {
            List<TcpListenerIr.TcpRouteIr> routes = ir.tcp().get(li).routes();
            for (int ri = 0; ri < routes.size(); ri++) {
              locate(
                  routes.get(ri).destination(),
                  new Location(key, 't', li, ri, -1),
                  sources,
                  locations);
            }
          }
          for (int li = 0; li < ir.udp().size(); li++) {
            locate(
                ir.udp().get(li).destination(),
                new Location(key, 'u', li, 0, -1),
                sources,
                locations);
          }
        });
    Map<ResourceKey, List<String>> sliceOwners = new HashMap<>();
    Map<String, Set<ResourceKey>> ownerSlices = new HashMap<>();
    for (Map.Entry<ResourceKey, ObjectNode> e : objects.entrySet()) {
      if (e.getKey().kind().equals("EndpointSlice")) {
        addSlice(e.getKey(), e.getValue(), byOwner, sliceOwners, ownerSlices);
      }
    }
    return new EndpointIndex(byOwner, locations, Map.copyOf(states), sliceOwners, ownerSlices);
  }

  private static void locate(
      RouteDestinationIr d,
      Location loc,
      Map<String, EndpointSource> sources,
      Map<String, List<Location>> locations) {
    if (d == null) {
      return;
    }
    for (DestinationSettingIr s : d.settings()) {
      if (sources.containsKey(s.name())) {
        locations.computeIfAbsent(s.name(), n -> new ArrayList<>(1)).add(loc);
      }
    }
  }

  private static void addSlice(
      ResourceKey key,
      ObjectNode slice,
      Map<String, List<String>> byOwner,
      Map<ResourceKey, List<String>> sliceOwners,
      Map<String, Set<ResourceKey>> ownerSlices) {
    List<String> owners = new ArrayList<>(2);
    for (String o : EndpointSource.owners(slice)) {
      if (byOwner.containsKey(o)) {
        owners.add(o);
        ownerSlices.computeIfAbsent(o, x -> new LinkedHashSet<>()).add(key);
      }
    }
    if (!owners.isEmpty()) {
      sliceOwners.put(key, owners);
    }
  }

  /**
   * The owners an EndpointSlice change affects: the owners the slice had at the last translation
   * and the owners it has now, limited to owners that feed a setting.
   */
  Set<String> affectedOwners(ResourceKey slice, ObjectNode now) {
    Set<String> out = new LinkedHashSet<>(sliceOwners.getOrDefault(slice, List.of()));
    if (now != null) {
      for (String o : EndpointSource.owners(now)) {
        if (settingsByOwner.containsKey(o)) {
          out.add(o);
        }
      }
    }
    return out;
  }

  /**
   * The index after the given EndpointSlices changed: the slice maps are copied and updated, every
   * other map is shared.
   */
  EndpointIndex withSlices(Set<ResourceKey> changed, Map<ResourceKey, ObjectNode> objects) {
    Map<ResourceKey, List<String>> newSliceOwners = new HashMap<>(sliceOwners);
    Map<String, Set<ResourceKey>> newOwnerSlices = new HashMap<>(ownerSlices);
    Set<String> copied = new java.util.HashSet<>();
    for (ResourceKey k : changed) {
      List<String> old = newSliceOwners.remove(k);
      if (old != null) {
        for (String o : old) {
          mutable(newOwnerSlices, copied, o).remove(k);
        }
      }
      ObjectNode now = objects.get(k);
      if (now == null) {
        continue;
      }
      List<String> owners = new ArrayList<>(2);
      for (String o : EndpointSource.owners(now)) {
        if (settingsByOwner.containsKey(o)) {
          owners.add(o);
          mutable(newOwnerSlices, copied, o).add(k);
        }
      }
      if (!owners.isEmpty()) {
        newSliceOwners.put(k, owners);
      }
    }
    return new EndpointIndex(settingsByOwner, locations, states, newSliceOwners, newOwnerSlices);
  }

  private static Set<ResourceKey> mutable(
      Map<String, Set<ResourceKey>> map, Set<String> copied, String owner) {
    if (copied.add(owner)) {
      Set<ResourceKey> fresh = new LinkedHashSet<>(map.getOrDefault(owner, Collections.emptySet()));
      map.put(owner, fresh);
      return fresh;
    }
    return map.get(owner);
  }

  /** The number of settings with an endpoint source (for tests). */
  int settings() {
    return locations.size();
  }
}
