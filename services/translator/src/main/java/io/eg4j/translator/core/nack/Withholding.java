package io.eg4j.translator.core.nack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.UdpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.translator.core.TranslateResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What Envoy rejected, withheld from what is served (DESIGN.md invariant 10: one bad object never
 * breaks the rest). The translator translates as usual and then {@link #apply applies} this state:
 * a withheld route rule leaves the IR and its route says why ({@code PartiallyInvalid}, or {@code
 * Accepted=False} when no rule is left); a withheld listener leaves the IR and its Gateway listener
 * is {@code Programmed=False}, both with Envoy's message.
 *
 * <p>A listener is retried: Envoy rejects a listener it cannot bind (the port is taken), which a
 * later attempt may not hit. After a back-off (doubling from {@link Settings#firstRetry} up to
 * {@link Settings#maxRetry}) it is served again; it stays {@code Programmed=False} until Envoy
 * accepts the listeners that include it ({@link #recovered}), and a new rejection withholds it
 * again for longer. A rule is withheld until its route changes: Envoy would reject the same rule
 * again.
 *
 * <p>The state is bounded ({@link Settings#maxEntries}, oldest dropped first) and an entry leaves
 * when its object's spec changes or the object is gone ({@link #forgetChanged}). Not thread-safe:
 * the translator's consumer thread owns it. Times are {@link System#nanoTime()} values passed in,
 * so tests control the clock.
 */
public final class Withholding {
  /**
   * Timing and bounds.
   *
   * @param firstRetry the first back-off of a rejected listener
   * @param maxRetry the longest back-off
   * @param maxEntries the most objects withheld at once
   */
  public record Settings(Duration firstRetry, Duration maxRetry, int maxEntries) {
    /** Two seconds doubling to five minutes, 1,000 entries. */
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(2), Duration.ofMinutes(5), 1_000);
    }
  }

  /** Where an entry is. */
  public enum Phase {
    /** Left out of the IR. */
    WITHHELD,
    /** A listener served again after its back-off, waiting for Envoy to accept it. */
    RETRYING
  }

  /** One withheld object part. */
  private static final class Entry {
    final NackCulprit culprit;
    String message;
    String rejectedVersion;
    String fingerprint;
    Phase phase = Phase.WITHHELD;
    int attempts;
    long retryAtNanos;

    Entry(NackCulprit culprit) {
      this.culprit = culprit;
    }
  }

  private final Settings settings;
  private final Map<NackCulprit, Entry> entries = new LinkedHashMap<>();

  /** Withholding with these settings. */
  public Withholding(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * Records a rejection of the given culprits.
   *
   * @param culprits what {@link NackAttribution} found
   * @param message Envoy's message
   * @param version the version the NACK carries (in state-of-the-world xDS, the last version Envoy
   *     accepted); an acceptance of that same version later is not the retry's
   * @param fingerprints the current fingerprint of an object ({@link #fingerprint}), null if gone
   * @param nowNanos the time
   */
  public void reject(
      List<NackCulprit> culprits,
      String message,
      String version,
      Function<ResourceKey, String> fingerprints,
      long nowNanos) {
    for (NackCulprit c : culprits) {
      Entry e = entries.remove(c);
      if (e == null) {
        e = new Entry(c);
      }
      // Re-inserted, so the map's order is the order of the latest rejection (oldest first).
      entries.put(c, e);
      e.message = message;
      e.rejectedVersion = version == null ? "" : version;
      e.fingerprint = fingerprints.apply(c.object());
      e.phase = Phase.WITHHELD;
      e.attempts++;
      e.retryAtNanos = c.isListener() ? nowNanos + backoff(e.attempts).toNanos() : Long.MAX_VALUE;
    }
    Iterator<NackCulprit> it = entries.keySet().iterator();
    while (entries.size() > settings.maxEntries() && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  /** The back-off before attempt {@code attempts + 1}. */
  Duration backoff(int attempts) {
    Duration d = settings.firstRetry();
    for (int i = 1; i < attempts && d.compareTo(settings.maxRetry()) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(settings.maxRetry()) > 0 ? settings.maxRetry() : d;
  }

  /**
   * Moves listeners whose back-off has passed to {@link Phase#RETRYING}. Returns true when one did
   * (what is served changes).
   */
  public boolean due(long nowNanos) {
    boolean changed = false;
    for (Entry e : entries.values()) {
      if (e.phase == Phase.WITHHELD && nowNanos - e.retryAtNanos >= 0) {
        e.phase = Phase.RETRYING;
        changed = true;
      }
    }
    return changed;
  }

  /** The earliest time a back-off ends, or empty when nothing waits for one. */
  public java.util.OptionalLong nextRetryNanos() {
    return entries.values().stream()
        .filter(e -> e.phase == Phase.WITHHELD && e.retryAtNanos != Long.MAX_VALUE)
        .mapToLong(e -> e.retryAtNanos)
        .min();
  }

  /**
   * Envoy accepted listeners of an IR key after rejecting them: the listeners being retried there
   * are in place, and are no longer withheld. An acceptance of the version the rejection carried is
   * the configuration without the listener (Envoy's state-of-the-world NACK names the last version
   * it accepted), still in flight, and does not count. Returns true when one was in place.
   */
  public boolean recovered(String irKey, String typeUrl, String version) {
    if (!NackAttribution.LISTENER_TYPE.equals(typeUrl)) {
      return false;
    }
    return entries
        .values()
        .removeIf(
            e ->
                e.culprit.irKey().equals(irKey)
                    && e.culprit.isListener()
                    && e.phase == Phase.RETRYING
                    && !e.rejectedVersion.equals(version));
  }

  /**
   * Forgets entries whose object changed since the rejection, or is gone: a changed object is
   * translated and served afresh. Returns true when one was forgotten.
   */
  public boolean forgetChanged(Function<ResourceKey, String> fingerprints) {
    return entries
        .values()
        .removeIf(e -> !Objects.equals(e.fingerprint, fingerprints.apply(e.culprit.object())));
  }

  /** The number of withheld (or retried) object parts. */
  public int size() {
    return entries.size();
  }

  /** The phase of a culprit, or null when it is not withheld. */
  public Phase phase(NackCulprit c) {
    Entry e = entries.get(c);
    return e == null ? null : e.phase;
  }

  /** What decides that an object changed: its spec (a status or metadata write does not). */
  public static String fingerprint(JsonNode object) {
    if (object == null) {
      return null;
    }
    JsonNode spec = object.get("spec");
    return io.eg4j.model.bus.ContentHash.of(spec == null ? object : spec);
  }

  /**
   * A translation with the withheld parts left out of the IR and their statuses saying why.
   *
   * @param raw what the translator made
   * @param now the time written in the conditions this changes (RFC 3339)
   */
  public TranslateResult apply(TranslateResult raw, String now) {
    if (entries.isEmpty()) {
      return raw;
    }
    Map<String, XdsIr> xds = new LinkedHashMap<>();
    raw.xdsIr().forEach((k, ir) -> xds.put(k, withhold(ir)));
    List<ResourceStatus> statuses = new ArrayList<>();
    for (ResourceStatus s : raw.statuses()) {
      statuses.add(annotate(s, raw, now));
    }
    return new TranslateResult(
        statuses, xds, raw.infraIr(), raw.endpointSources(), raw.endpointIndex());
  }

  private boolean withheld(NackCulprit c) {
    Entry e = entries.get(c);
    return e != null && e.phase == Phase.WITHHELD;
  }

  private XdsIr withhold(XdsIr ir) {
    boolean any = false;
    List<HttpListenerIr> http = new ArrayList<>();
    for (HttpListenerIr l : ir.http()) {
      NackCulprit lc = NackAttribution.listenerCulprit(ir.key(), l.name());
      if (lc != null && withheld(lc)) {
        any = true;
        continue;
      }
      List<HttpRouteIr> routes = new ArrayList<>();
      for (HttpRouteIr r : l.routes()) {
        NackCulprit rc = NackAttribution.ruleCulprit(ir.key(), r);
        if (rc != null && withheld(rc)) {
          any = true;
        } else {
          routes.add(r);
        }
      }
      http.add(routes.size() == l.routes().size() ? l : l.withRoutes(routes));
    }
    List<TcpListenerIr> tcp = new ArrayList<>();
    for (TcpListenerIr l : ir.tcp()) {
      NackCulprit lc = NackAttribution.listenerCulprit(ir.key(), l.name());
      if (lc != null && withheld(lc)) {
        any = true;
      } else {
        tcp.add(l);
      }
    }
    List<UdpListenerIr> udp = new ArrayList<>();
    for (UdpListenerIr l : ir.udp()) {
      NackCulprit lc = NackAttribution.listenerCulprit(ir.key(), l.name());
      if (lc != null && withheld(lc)) {
        any = true;
      } else {
        udp.add(l);
      }
    }
    return any ? ir.withListeners(http, tcp, udp) : ir;
  }

  private ResourceStatus annotate(ResourceStatus s, TranslateResult raw, String now) {
    ObjectNode status = null;
    // Rules of this route that are withheld, by IR key.
    Map<String, TreeSet<Integer>> rules = new LinkedHashMap<>();
    Map<String, String> ruleMessages = new LinkedHashMap<>();
    for (Entry e : entries.values()) {
      NackCulprit c = e.culprit;
      if (c.isListener() && listenerOwnedBy(c, s.key())) {
        status = status == null ? s.status().deepCopy() : status;
        markListener(status, c.listener(), e, now);
      } else if (!c.isListener() && c.object().equals(s.key())) {
        rules.computeIfAbsent(c.irKey(), k -> new TreeSet<>()).add(c.rule());
        ruleMessages.putIfAbsent(c.irKey(), e.message);
      }
    }
    for (var r : rules.entrySet()) {
      status = status == null ? s.status().deepCopy() : status;
      boolean all = r.getValue().containsAll(rulesServed(raw.xdsIr().get(r.getKey()), s.key()));
      markRoute(status, r.getKey(), r.getValue(), all, ruleMessages.get(r.getKey()), now);
    }
    return status == null
        ? s
        : new ResourceStatus(s.key(), s.apiVersion(), s.observedGeneration(), status);
  }

  private static boolean listenerOwnedBy(NackCulprit c, ResourceKey k) {
    return (k.kind().equals("Gateway") || k.kind().endsWith("ListenerSet"))
        && k.namespace().equals(c.object().namespace())
        && k.name().equals(c.object().name());
  }

  /** The rule indexes of a route that the IR serves. */
  private static Set<Integer> rulesServed(XdsIr ir, ResourceKey route) {
    Set<Integer> out = new TreeSet<>();
    if (ir != null) {
      for (HttpListenerIr l : ir.http()) {
        for (HttpRouteIr r : l.routes()) {
          NackCulprit c = NackAttribution.ruleCulprit(ir.key(), r);
          if (c != null && c.object().equals(route)) {
            out.add(c.rule());
          }
        }
      }
    }
    return out;
  }

  private void markListener(ObjectNode status, String listener, Entry e, String now) {
    for (JsonNode l : status.path("listeners")) {
      if (l instanceof ObjectNode ln && listener.equals(l.path("name").asText())) {
        // One message for every attempt, so retries do not rewrite the status each time.
        String message =
            "Envoy rejected this listener: "
                + e.message.strip()
                + ". eg4j retries it with back-off until Envoy accepts it.";
        setCondition(ln, "Programmed", "False", "Pending", message, now);
      }
    }
  }

  private static void markRoute(
      ObjectNode status,
      String irKey,
      Set<Integer> rules,
      boolean all,
      String envoyMessage,
      String now) {
    String[] gw = irKey.split("/", 2);
    List<ObjectNode> parents = new ArrayList<>();
    for (JsonNode p : status.path("parents")) {
      if (p instanceof ObjectNode pn && (gw.length < 2 || isParent(pn.path("parentRef"), gw))) {
        parents.add(pn);
      }
    }
    if (parents.isEmpty()) {
      for (JsonNode p : status.path("parents")) {
        if (p instanceof ObjectNode pn) {
          parents.add(pn);
        }
      }
    }
    String why = "Envoy rejected the configuration: " + envoyMessage.strip();
    for (ObjectNode p : parents) {
      if (all) {
        setCondition(p, "Accepted", "False", "UnsupportedValue", why, now);
      } else {
        JsonNode old = condition(p, "PartiallyInvalid");
        String message = "Dropped Rule(s) " + rules + ": " + why;
        if (old != null && old.path("status").asText().equals("True")) {
          message = old.path("message").asText() + "; " + message;
        }
        setCondition(p, "PartiallyInvalid", "True", "UnsupportedValue", message, now);
      }
    }
  }

  private static boolean isParent(JsonNode ref, String[] gw) {
    String kind = ref.path("kind").asText("Gateway");
    return kind.equals("Gateway")
        && ref.path("name").asText().equals(gw[1])
        && (ref.path("namespace").isMissingNode() || ref.path("namespace").asText().equals(gw[0]));
  }

  private static JsonNode condition(ObjectNode holder, String type) {
    for (JsonNode c : holder.path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return null;
  }

  private static void setCondition(
      ObjectNode holder, String type, String status, String reason, String message, String now) {
    ArrayNode conditions =
        holder.get("conditions") instanceof ArrayNode a ? a : holder.putArray("conditions");
    ObjectNode c = null;
    for (JsonNode n : conditions) {
      if (n instanceof ObjectNode o && type.equals(o.path("type").asText())) {
        c = o;
      }
    }
    if (c == null) {
      c = conditions.addObject();
      c.put("type", type);
      JsonNode first = conditions.get(0);
      if (first != null && first.has("observedGeneration")) {
        c.set("observedGeneration", first.get("observedGeneration"));
      }
    }
    boolean transition = !status.equals(c.path("status").asText());
    c.put("status", status);
    c.put("reason", reason);
    c.put("message", message);
    if (transition || !c.has("lastTransitionTime")) {
      c.put("lastTransitionTime", now);
    }
  }
}
