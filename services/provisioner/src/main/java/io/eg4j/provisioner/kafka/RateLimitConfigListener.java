package io.eg4j.provisioner.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.traffic.RateLimitServiceConfigs;
import io.eg4j.provisioner.core.RateLimitConfigSink;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code eg4j.xds-ir} (on a {@link BusConsumerLoop}, every partition, from the beginning)
 * and keeps the global rate limit service's configuration ({@link RateLimitServiceConfigs}) in step
 * with it: the same descriptors the proxies' {@code rate_limits} build, with their limits.
 *
 * <p>Only the routes with a global rate limit are kept per IR key, not the whole IR. Nothing goes
 * to the sink before the topic has been read up to its end offsets at start, so a restart never
 * replaces the service's configuration with a partial one (DESIGN.md invariant 1); after that, the
 * files are recomputed at most once per poll, and only sent when they changed.
 */
public final class RateLimitConfigListener implements BusConsumerLoop.Handler {
  private static final Logger LOG = LoggerFactory.getLogger(RateLimitConfigListener.class);

  private final RateLimitConfigSink sink;
  private final Optional<SecretBox> box;
  private final Map<String, List<HttpRouteIr>> limited = new HashMap<>();
  private boolean caughtUp;
  private boolean dirty;
  private Map<String, String> sent;

  /**
   * A listener feeding {@code sink}.
   *
   * @param sink where the files go
   * @param box opens IR that the translator encrypted (the bus key), or empty
   */
  public RateLimitConfigListener(RateLimitConfigSink sink, Optional<SecretBox> box) {
    this.sink = sink;
    this.box = box;
  }

  @Override
  public void onAssigned(Collection<TopicPartition> partitions) {
    limited.clear();
    caughtUp = false;
    dirty = false;
  }

  @Override
  public void onRecord(ConsumerRecord<String, byte[]> record, Envelope env) {
    String key = record.key();
    if (key == null) {
      throw new IllegalArgumentException("xDS IR record without a key");
    }
    List<HttpRouteIr> routes = env == null ? List.of() : limitedRoutes(env);
    List<HttpRouteIr> before =
        routes.isEmpty() ? limited.remove(key) : limited.put(key, List.copyOf(routes));
    if (!routes.isEmpty() || before != null) {
      dirty = true;
    }
  }

  @Override
  public void onCaughtUp() {
    caughtUp = true;
    LOG.info("xDS IR read: {} IRs with global rate limits", limited.size());
    publish();
  }

  @Override
  public void afterPoll(boolean loopCaughtUp) {
    if (caughtUp && dirty) {
      publish();
    }
  }

  private void publish() {
    dirty = false;
    List<HttpRouteIr> routes = new ArrayList<>();
    new TreeMap<>(limited).values().forEach(routes::addAll);
    Map<String, String> files = new TreeMap<>();
    RateLimitServiceConfigs.ofRoutes(routes)
        .forEach((domain, doc) -> files.put(RateLimitServiceConfigs.fileName(domain), doc));
    if (files.equals(sent)) {
      return;
    }
    sent = files;
    sink.configFiles(files);
  }

  private List<HttpRouteIr> limitedRoutes(Envelope env) {
    if (!"xds-ir".equals(env.type())) {
      throw new IllegalArgumentException("envelope type is " + env.type() + ", not xds-ir");
    }
    JsonNode payload = env.payload();
    if (env.encrypted()) {
      payload =
          box.orElseThrow(
                  () -> new IllegalArgumentException("IR is encrypted and no bus key is set"))
              .open(payload);
    }
    XdsIr ir;
    try {
      // The secret values sealed inside an encrypted IR are opened with the same key.
      com.fasterxml.jackson.databind.ObjectReader reader = Json.MAPPER.readerFor(XdsIr.class);
      if (env.encrypted()) {
        reader = reader.withAttribute(io.eg4j.model.bus.SecretBox.class, box.get());
      }
      ir = reader.readValue(Json.MAPPER.treeAsTokens(payload));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not an xDS IR: " + e.getOriginalMessage(), e);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not an xDS IR: " + e.getMessage(), e);
    }
    List<HttpRouteIr> out = new ArrayList<>();
    for (HttpListenerIr l : ir.http()) {
      for (HttpRouteIr r : l.routes()) {
        if (r.traffic() != null && r.traffic().globalRateLimit() != null) {
          out.add(r);
        }
      }
    }
    return out;
  }
}
