package io.eg4j.translator.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import io.eg4j.translator.core.EndpointFastPath;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.eg4j.translator.core.nack.NackAttribution;
import io.eg4j.translator.core.nack.NackCulprit;
import io.eg4j.translator.core.nack.Withholding;
import io.eg4j.translator.core.patch.PatchProgrammed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The translator's consumer of {@code eg4j.resources}: it keeps every object in memory (Secrets
 * opened), and once caught up with the end offsets found at assignment (DESIGN.md invariant 1) it
 * translates after each change, debounced adaptively, and publishes the result.
 *
 * <p>Adaptive debounce: a change that finds the translator idle is translated at once, after the
 * poll that brought it. Two things hold it back, and never longer than {@code maxDelay}: a full
 * poll (more records are waiting: a batch is still arriving), after which it waits until the input
 * has been quiet for {@code quiet}; and a busy translator, which coalesces: a change arriving less
 * than twice the last translation's CPU time after it ended waits until then, so that under a
 * stream of changes to a big snapshot translation takes at most a third of the time. A busy
 * translator does not also wait for {@code quiet}: a lone change right after a translation is
 * translated as soon as the busy window ends. Nothing is published before catch-up, so a restarted
 * or newly active replica never publishes a partial snapshot.
 *
 * <p>Envoy's rejections ({@link XdsNackHandler}) are traced to the objects that caused them, which
 * are withheld from what is published, with a status that says why ({@link Withholding}); the rest
 * keeps being served and updated (DESIGN.md invariant 10).
 *
 * <p>The xds-servers report what became of EnvoyPatchPolicy operations ({@link
 * #offerPatchOutcomes}); each policy's {@code Programmed} condition is merged into the status
 * published, for the IR the outcome came from only ({@link PatchProgrammed}).
 *
 * <p>Runs on the consumer loop's thread only, except {@link #offerNack}.
 */
public final class ResourceStateHandler implements BusConsumerLoop.Handler {
  private static final Logger LOG = LoggerFactory.getLogger(ResourceStateHandler.class);

  /**
   * Timing of translations.
   *
   * @param quiet how long the input must be quiet before a translation that is not translated at
   *     once (a batch arriving, a busy translator)
   * @param maxDelay the longest a change waits under a steady stream of changes
   */
  public record Debounce(Duration quiet, Duration maxDelay) {}

  /**
   * A poll that returns this many records (the consumer's default {@code max.poll.records}) likely
   * left more behind: the changes of a batch are not translated until its end.
   */
  static final int FULL_POLL = 500;

  private final Translator translator;
  private final OutputPublisher publisher;
  private final Runnable loadOutputs;
  private final Optional<SecretBox> secrets;
  private final Debounce debounce;
  private final MeterRegistry meters;
  // In key order, as a snapshot keeps them: a sorted map is copied into the snapshot's without a
  // single comparison (issue #16: sorting every key again on each change was 0.3 ms at a thousand
  // routes).
  private final java.util.SortedMap<ResourceKey, ObjectNode> objects = new java.util.TreeMap<>();
  private final Map<ResourceKey, String> hashes = new HashMap<>();
  // Read by the eg4j.leader gauge on the scrape thread.
  private volatile boolean active;
  private boolean dirty;
  // True while every change since the last translation touched only EndpointSlices: the most
  // frequent event in a real cluster, served by the endpoint fast path.
  private boolean onlyEndpoints = true;
  // Keys added, changed or deleted since the last translation: the fast path touches only what
  // these feed.
  private final Set<ResourceKey> changedKeys = new HashSet<>();
  private TranslateResult previous;
  // What was last published: previous with the withheld parts left out. NACKs are traced in it.
  private TranslateResult published;
  private Withholding.Settings withholdingSettings = Withholding.Settings.defaults();
  private Withholding withholding = new Withholding(withholdingSettings);
  private final ConcurrentLinkedQueue<XdsNackHandler.Event> nacks = new ConcurrentLinkedQueue<>();
  // EnvoyPatchPolicy outcomes from the xds-servers, and what is known of them: kept across
  // assignments (they are about IR content, not about who publishes it).
  private final ConcurrentLinkedQueue<EnvoyPatchOutcomes> patchOutcomes =
      new ConcurrentLinkedQueue<>();
  private final PatchProgrammed patchProgrammed = new PatchProgrammed();
  private Supplier<Collection<EnvoyPatchOutcomes>> loadPatchOutcomes = List::of;
  // Read by the eg4j.translator.withheld gauge on the scrape thread.
  private volatile int withheldCount;
  private long firstChange;
  private long lastChange;
  // End and duration of the last translation (nanoTime): a busy translator coalesces changes.
  private long lastTranslationEnd;
  private long lastTranslationCost;
  // Records handed over since the last afterPoll: a full poll means more are waiting.
  private int recordsThisPoll;
  // Whether the last poll was full: the pending changes then wait for the input to be quiet.
  private boolean batchArriving;

  /**
   * A handler.
   *
   * @param translator the pure core
   * @param publisher where results go
   * @param loadOutputs reads what the output topics hold into {@code publisher} (at catch-up)
   * @param secrets opens sealed Secret payloads
   * @param debounce translation timing
   * @param meters where {@code eg4j.translator.translation} is timed
   */
  public ResourceStateHandler(
      Translator translator,
      OutputPublisher publisher,
      Runnable loadOutputs,
      Optional<SecretBox> secrets,
      Debounce debounce,
      MeterRegistry meters) {
    this.translator = translator;
    this.publisher = publisher;
    this.loadOutputs = loadOutputs;
    this.secrets = secrets;
    this.debounce = debounce;
    this.meters = meters;
    if (meters != null) {
      // eg4j.leader{service=translator}: 1 on the replica the consumer group made the publisher
      // (caught up with its assignment), registered at start so a standby shows 0.
      io.micrometer.core.instrument.Gauge.builder("eg4j.leader", this, h -> h.active ? 1 : 0)
          .description("1 while this replica is the active one")
          .tag("service", "translator")
          .register(meters);
      io.micrometer.core.instrument.Gauge.builder(
              "eg4j.translator.withheld", this, h -> h.withheldCount)
          .description("Gateway listeners and route rules withheld because Envoy rejected them")
          .register(meters);
    }
  }

  /** Replaces the withholding settings (back-off, bounds); tests use short back-offs. */
  public void withholdingSettings(Withholding.Settings settings) {
    withholdingSettings = settings;
    withholding = new Withholding(settings);
  }

  /**
   * Reads the EnvoyPatchPolicy outcomes {@code eg4j.xds-nacks} holds, when this replica becomes the
   * active one: an outcome published before it read the topic is not lost.
   */
  public void patchOutcomesLoader(Supplier<Collection<EnvoyPatchOutcomes>> loader) {
    this.loadPatchOutcomes = loader;
  }

  /** Hands over the EnvoyPatchPolicy outcomes of one IR from {@code eg4j.xds-nacks}; any thread. */
  public void offerPatchOutcomes(EnvoyPatchOutcomes outcomes) {
    if (patchOutcomes.size() < 10_000) {
      patchOutcomes.add(outcomes);
    }
  }

  /** Hands over a rejection or recovery from {@code eg4j.xds-nacks}; any thread. */
  public void offerNack(XdsNackHandler.Event event) {
    if (nacks.size() < 10_000) {
      nacks.add(event);
    }
  }

  @Override
  public void onAssigned(Collection<TopicPartition> partitions) {
    // The assignment is read again from the beginning: start from nothing.
    objects.clear();
    hashes.clear();
    changedKeys.clear();
    previous = null;
    published = null;
    withholding = new Withholding(withholdingSettings);
    withheldCount = 0;
    active = false;
    dirty = false;
  }

  @Override
  public void onRevoked(Collection<TopicPartition> partitions) {
    // Another replica takes over; stop publishing at once.
    active = false;
    dirty = false;
  }

  @Override
  public void onRecord(ConsumerRecord<String, byte[]> record, Envelope envelope) {
    recordsThisPoll++;
    ResourceKey key = ResourceKey.parse(record.key());
    if (envelope == null) {
      if (objects.remove(key) != null) {
        hashes.remove(key);
        changed(key);
      }
      return;
    }
    if (envelope.contentHash() != null && envelope.contentHash().equals(hashes.get(key))) {
      return;
    }
    JsonNode payload = envelope.payload();
    if (envelope.encrypted()) {
      SecretBox box =
          secrets.orElseThrow(
              () ->
                  new IllegalStateException(
                      "encrypted payload but no eg4j.bus.secret-key-file is configured"));
      payload = box.open(payload);
    }
    if (!(payload instanceof ObjectNode object)) {
      throw new IllegalArgumentException("payload of a resource must be an object");
    }
    objects.put(key, object);
    hashes.put(key, envelope.contentHash());
    changed(key);
  }

  private void changed(ResourceKey key) {
    onlyEndpoints &= key.kind().equals("EndpointSlice");
    if (onlyEndpoints) {
      changedKeys.add(key);
    }
    long now = System.nanoTime();
    if (!dirty) {
      firstChange = now;
    }
    dirty = true;
    lastChange = now;
  }

  @Override
  public void onCaughtUp() {
    loadOutputs.run();
    try {
      loadPatchOutcomes.get().forEach(patchProgrammed::offer);
    } catch (RuntimeException e) {
      // Without them, policies wait for the next outcomes of their IR.
      LOG.warn("cannot read the EnvoyPatchPolicy outcomes on eg4j.xds-nacks: {}", e.toString());
    }
    active = true;
    dirty = false;
    translateAndPublish();
  }

  @Override
  public void afterPoll(boolean caughtUp) {
    boolean fullPoll = recordsThisPoll >= FULL_POLL;
    recordsThisPoll = 0;
    batchArriving = fullPoll;
    boolean outcomesChanged = takePatchOutcomes();
    if (!active || !caughtUp) {
      nacks.clear();
      return;
    }
    if ((handleNacks() || outcomesChanged) && !dirty) {
      republish();
    }
    if (!dirty) {
      return;
    }
    if (due(System.nanoTime(), fullPoll)) {
      translateAndPublish();
    }
  }

  /** Whether pending changes are translated now (see the class comment). */
  private boolean due(long now, boolean fullPoll) {
    return now - dueAt(fullPoll) >= 0;
  }

  /**
   * When the pending changes become due (nanoTime): at once, or when the busy window ends, or,
   * while a batch is arriving, when the input has also been quiet; never after {@code maxDelay}.
   */
  private long dueAt(boolean batch) {
    long at = lastTranslationEnd + 2 * lastTranslationCost;
    if (batch) {
      at = Math.max(at, lastChange + debounce.quiet().toNanos());
    }
    return Math.min(firstChange + debounce.maxDelay().toNanos(), at);
  }

  @Override
  public long pollWithinMillis() {
    if (!dirty || !active) {
      return -1;
    }
    // Wake when the pending changes become due, not a whole poll timeout later. After a full poll
    // the next poll returns at once anyway (records are waiting), and the quiet time counts from
    // the last of them.
    long wait = dueAt(batchArriving) - System.nanoTime();
    return wait <= 0 ? 1 : Math.max(1, (wait + 999_999) / 1_000_000);
  }

  private void translateAndPublish() {
    long cpu = cpuTime();
    long start = System.nanoTime();
    try {
      translateAndPublishNow();
    } finally {
      lastTranslationEnd = System.nanoTime();
      // The busy window is about the CPU a translation takes, not the time it waits for the broker
      // to acknowledge what it published (a flush is a round trip, not work).
      long used = cpuTime() - cpu;
      lastTranslationCost = cpu < 0 || used < 0 ? lastTranslationEnd - start : used;
    }
  }

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** The CPU time of this thread (ns), or -1 where the JVM cannot tell. */
  private static long cpuTime() {
    try {
      return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    } catch (UnsupportedOperationException e) {
      return -1;
    }
  }

  private void translateAndPublishNow() {
    dirty = false;
    boolean fast = onlyEndpoints && previous != null;
    onlyEndpoints = true;
    Set<ResourceKey> changed = Set.copyOf(changedKeys);
    changedKeys.clear();
    TranslateResult result = null;
    Timer.Sample sample = Timer.start();
    try {
      if (fast) {
        // Only EndpointSlices changed: refresh the settings they feed in the previous IR. The fast
        // path only reads the slices of the affected Services, so neither a snapshot nor a
        // defensive copy is needed. Empty means "translate in full".
        result = EndpointFastPath.apply(previous, objects, changed).orElse(null);
        fast = result != null;
      }
      if (result == null) {
        // The objects themselves, not deep copies: the core never changes its input
        // (TranslatorLeavesInputUntouchedTest), and an object here is only ever replaced, never
        // changed in place. Copying every object on every change was megabytes at 5,000 routes.
        result = translator.translate(ResourceSnapshot.of(objects));
        // Unchanged statuses and routes stay the instances already held (ResultReuse).
        result = ResultReuse.reuse(previous, result);
      }
    } catch (RuntimeException e) {
      // A bug in the core must not stop the pipeline; the next change tries again, in full.
      LOG.error("translation of {} objects failed", objects.size(), e);
      previous = null;
      return;
    } finally {
      sample.stop(
          Timer.builder("eg4j.translator.translation")
              .description("One translation of the whole snapshot, or the endpoint fast path")
              .tag("path", fast ? "endpoints" : "full")
              .register(meters));
    }
    // A withheld object whose spec changed is served afresh.
    withholding.forgetChanged(this::fingerprint);
    publishResult(result, fast);
  }

  /** Publishes the last translation again with what is withheld now. */
  private void republish() {
    if (previous != null) {
      publishResult(previous, false);
    }
  }

  /**
   * Takes in queued EnvoyPatchPolicy outcomes. Returns true when one is new and about an IR that is
   * published now, so a status may change.
   */
  private boolean takePatchOutcomes() {
    boolean changed = false;
    for (EnvoyPatchOutcomes o; (o = patchOutcomes.poll()) != null; ) {
      if (patchProgrammed.offer(o) && published != null) {
        var ir = published.xdsIr().get(o.irKey());
        changed |= ir != null && o.irHash().equals(publisher.xdsIrHash(o.irKey(), ir));
      }
    }
    return changed;
  }

  /**
   * Takes in queued rejections and recoveries and starts due retries. Returns true when what is
   * withheld changed.
   */
  private boolean handleNacks() {
    boolean changed = false;
    long now = System.nanoTime();
    for (XdsNackHandler.Event e; (e = nacks.poll()) != null; ) {
      try (var mdc = org.slf4j.MDC.putCloseable("eg4j.key", e.irKey())) {
        changed |= handleNack(e, now);
      }
    }
    if (withholding.due(now)) {
      LOG.info("retrying withheld listeners whose back-off has passed");
      if (meters != null) {
        Counter.builder("eg4j.translator.listener.retries")
            .description("Withheld listeners served again after their back-off")
            .register(meters)
            .increment();
      }
      changed = true;
    }
    withheldCount = withholding.size();
    return changed;
  }

  /** One rejection or recovery. Returns true when what is withheld changed. */
  private boolean handleNack(XdsNackHandler.Event e, long now) {
    if (e.recovered()) {
      if (!withholding.recovered(e.irKey(), e.typeUrl(), e.version())) {
        return false;
      }
      LOG.info(
          "Envoy {} accepted the retried listeners of {}; they are served again",
          e.node(),
          e.irKey());
      return true;
    }
    var ir = published == null ? null : published.xdsIr().get(e.irKey());
    List<NackCulprit> culprits;
    try {
      culprits = NackAttribution.attribute(ir, e.typeUrl(), e.message());
    } catch (RuntimeException ex) {
      // A bug here must not stop the consumer loop; the NACK is only left unattributed.
      LOG.error("cannot trace the NACK of {} to an object", e.irKey(), ex);
      culprits = List.of();
    }
    count(e.typeUrl(), culprits.isEmpty() ? "unattributed" : "attributed");
    if (culprits.isEmpty()) {
      LOG.warn(
          "Envoy {} rejected {} of {} and the message names nothing eg4j serves, so nothing is"
              + " withheld: {}",
          e.node(),
          e.typeUrl(),
          e.irKey(),
          e.message());
      return false;
    }
    LOG.warn(
        "Envoy {} rejected {} of {}; withholding {}: {}",
        e.node(),
        e.typeUrl(),
        e.irKey(),
        culprits.stream().map(NackCulprit::describe).toList(),
        e.message());
    withholding.reject(culprits, e.message(), e.version(), this::fingerprint, now);
    return true;
  }

  private void count(String typeUrl, String outcome) {
    if (meters != null) {
      Counter.builder("eg4j.translator.nacks")
          .description("Envoy rejections read from eg4j.xds-nacks, by whether an object was found")
          .tag("type_url", typeUrl)
          .tag("outcome", outcome)
          .register(meters)
          .increment();
    }
  }

  /**
   * The spec fingerprint of an object, or null when it is gone. A listener's owner is a Gateway or
   * a ListenerSet of that name.
   */
  private String fingerprint(ResourceKey key) {
    ObjectNode o = objects.get(key);
    if (o == null && key.kind().equals("Gateway")) {
      for (var e : objects.entrySet()) {
        ResourceKey k = e.getKey();
        if (k.kind().endsWith("ListenerSet")
            && k.namespace().equals(key.namespace())
            && k.name().equals(key.name())) {
          o = e.getValue();
          break;
        }
      }
    }
    return Withholding.fingerprint(o);
  }

  private void publishResult(TranslateResult raw, boolean fast) {
    previous = raw;
    TranslateResult result;
    try {
      result =
          withholding.apply(
              raw,
              java.time.Instant.now()
                  .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                  .toString());
    } catch (RuntimeException e) {
      // A bug in withholding must not stop the pipeline: serve the translation as it is.
      LOG.error("cannot withhold what Envoy rejected; publishing the translation as it is", e);
      result = raw;
    }
    try {
      TranslateResult served = result;
      result =
          patchProgrammed.apply(
              served,
              key -> publisher.xdsIrHash(key, served.xdsIr().get(key)),
              java.time.Instant.now()
                  .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                  .toString());
    } catch (RuntimeException e) {
      LOG.error("cannot merge the EnvoyPatchPolicy outcomes; publishing the statuses without", e);
    }
    withheldCount = withholding.size();
    published = result;
    int sent = publisher.publish(result);
    LOG.info(
        "translated {} objects{}: {} statuses, {} xDS IR, {} infra IR; {} records published",
        objects.size(),
        fast ? " (endpoints only)" : "",
        result.statuses().size(),
        result.xdsIr().size(),
        result.infraIr().size(),
        sent);
  }

  /** The number of objects held (for tests and health details). */
  public int size() {
    return objects.size();
  }
}
