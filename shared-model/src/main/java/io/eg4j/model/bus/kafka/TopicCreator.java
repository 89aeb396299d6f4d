package io.eg4j.model.bus.kafka;

import io.eg4j.model.bus.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the eg4j topics with AdminClient: every topic of {@link Topics#COMPACTED} with {@link
 * Topics#compactedTopicConfig()}, and a dead-letter topic ({@code <topic>.dlt}) for each with
 * {@link Topics#deadLetterTopicConfig()}. Idempotent: topics that exist are left as they are, and a
 * topic another service created a moment earlier counts as created.
 *
 * <p>{@link Topics#RESOURCES} always gets one partition, whatever {@code partitions} says: the
 * translator must see the whole snapshot, and the single partition is what lets a consumer group
 * hand it to exactly one translator replica at a time (DESIGN.md invariant 8).
 */
public final class TopicCreator {
  private static final Logger LOG = LoggerFactory.getLogger(TopicCreator.class);

  private TopicCreator() {}

  /**
   * The topics eg4j needs, with their settings.
   *
   * @param partitions partitions of each topic except {@link Topics#RESOURCES}
   * @param replicationFactor replication factor of every topic
   * @param minInsyncReplicas {@code min.insync.replicas} of every topic
   * @return the topics to create
   */
  public static List<NewTopic> desiredTopics(
      int partitions, short replicationFactor, int minInsyncReplicas) {
    List<NewTopic> out = new ArrayList<>();
    for (String topic : Topics.COMPACTED) {
      int p = Topics.RESOURCES.equals(topic) ? 1 : partitions;
      Map<String, String> config = new HashMap<>(Topics.compactedTopicConfig());
      config.put("min.insync.replicas", String.valueOf(minInsyncReplicas));
      out.add(new NewTopic(topic, p, replicationFactor).configs(config));
      Map<String, String> dlt = new HashMap<>(Topics.deadLetterTopicConfig());
      dlt.put("min.insync.replicas", String.valueOf(minInsyncReplicas));
      out.add(new NewTopic(Topics.deadLetter(topic), 1, replicationFactor).configs(dlt));
    }
    return out;
  }

  /**
   * Creates the missing eg4j topics.
   *
   * @param admin an admin client
   * @param partitions partitions per topic (see {@link #desiredTopics})
   * @param replicationFactor replication factor
   * @param minInsyncReplicas {@code min.insync.replicas}
   * @param timeout how long to wait for the broker
   * @return the names of the topics this call created
   * @throws IllegalStateException when the broker cannot be reached in time or refuses a topic
   */
  public static Set<String> ensureTopics(
      Admin admin,
      int partitions,
      short replicationFactor,
      int minInsyncReplicas,
      Duration timeout) {
    try {
      Set<String> existing =
          admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing =
          desiredTopics(partitions, replicationFactor, minInsyncReplicas).stream()
              .filter(t -> !existing.contains(t.name()))
              .toList();
      if (missing.isEmpty()) {
        return Set.of();
      }
      var result = admin.createTopics(missing);
      Set<String> created = new java.util.TreeSet<>();
      for (var entry : result.values().entrySet()) {
        try {
          entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          created.add(entry.getKey());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage(),
                e.getCause());
          }
          // Another service created it between our list and our create: that is fine.
        }
      }
      LOG.info("created topics {}", created);
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot reach Kafka to create topics: " + e, e);
    }
  }
}
