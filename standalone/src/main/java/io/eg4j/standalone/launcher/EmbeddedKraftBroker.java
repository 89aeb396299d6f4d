package io.eg4j.standalone.launcher;

import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Apache Kafka broker in KRaft mode, broker and controller in one node, running in this JVM
 * with all its data under one directory. The storage is formatted with Kafka's own formatter the
 * first time and reused afterwards, so topics (and with them every service's state) survive a
 * restart. It listens on loopback only.
 */
public final class EmbeddedKraftBroker implements AutoCloseable {
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private final int port;
  private final Path logDir;

  private EmbeddedKraftBroker(KafkaRaftServer server, int port, Path logDir) {
    this.server = server;
    this.port = port;
    this.logDir = logDir;
  }

  /**
   * Formats {@code dataDir} when needed and starts the broker.
   *
   * @param dataDir the broker's directory (created when missing)
   * @param port the client port
   * @param controllerPort the KRaft controller port
   * @return the running broker, with the eg4j topics created
   */
  public static EmbeddedKraftBroker start(Path dataDir, int port, int controllerPort)
      throws Exception {
    Path logDir = dataDir.toAbsolutePath();
    Files.createDirectories(logDir);
    Properties props = config(logDir, port, controllerPort);
    KafkaConfig config = KafkaConfig.fromProps(props, false);
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(config, logDir);
    }
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      server.startup();
    } catch (RuntimeException e) {
      // Release the log directory lock and threads, so a retry on another port can start.
      server.shutdown();
      server.awaitShutdown();
      throw e;
    }
    EmbeddedKraftBroker broker = new EmbeddedKraftBroker(server, port, logDir);
    try {
      broker.createTopics(Duration.ofSeconds(60));
    } catch (Exception e) {
      broker.close();
      throw e;
    }
    return broker;
  }

  static Properties config(Path logDir, int port, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.put(
        "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    // One node: every internal topic has one replica.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    // Consumers join at once instead of waiting for more members that never come.
    p.put("group.initial.rebalance.delay.ms", "0");
    // Big IR records (DESIGN.md invariant 5): accept what the producers may send.
    p.put("message.max.bytes", String.valueOf(BusSettings.MAX_MESSAGE_BYTES + 1024 * 1024));
    p.put("replica.fetch.max.bytes", String.valueOf(BusSettings.MAX_MESSAGE_BYTES + 1024 * 1024));
    // Memory (issue #16): the broker shares one JVM with the five services. The log cleaner's
    // dedupe map is allocated on the heap at start-up, 128 MiB by default, and lives as long as
    // the broker. 2 MiB holds about 78,000 keys of one cleaning round (24 bytes a key, 90% full):
    // more than the distinct keys of a topic at 10,000 routes (one key per resource, status or
    // Gateway). When a round meets more dirty keys than that, Kafka maps the segments up to where
    // the map filled, cleans those and takes the rest in the next round, so a smaller map costs
    // rounds, not correctness. (It was 8 MiB until session 21: 6 MiB of a heap dump's 172 MB live
    // at 5,000 routes; bench/duel/results.md.)
    // A segment must still hold the largest batch the broker accepts: Kafka refuses a batch bigger
    // than a segment, so with 8 MiB segments an IR record compressing to more than 8 MiB (within
    // message.max.bytes) was refused. Segments are sized to message.max.bytes.
    // Thread pools sized for one host with a handful of clients.
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
    p.put("log.cleaner.io.buffer.size", String.valueOf(256 * 1024));
    p.put("log.segment.bytes", String.valueOf(BusSettings.MAX_MESSAGE_BYTES + 1024 * 1024));
    p.put("num.io.threads", "2");
    p.put("num.network.threads", "2");
    p.put("background.threads", "2");
    p.put("num.recovery.threads.per.data.dir", "1");
    // Compaction runs often enough on a laptop-sized log.
    p.put("log.cleaner.backoff.ms", "5000");
    p.put("log.retention.check.interval.ms", "60000");
    return p;
  }

  private static void format(KafkaConfig config, Path logDir) throws Exception {
    PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
    Formatter f =
        new Formatter()
            .setPrintStream(quiet)
            .setNodeId(NODE_ID)
            .setClusterId(Uuid.randomUuid().toString())
            .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
            .setReleaseVersion(MetadataVersion.latestProduction())
            .setIgnoreFormatted(true)
            .setControllerListenerName("CONTROLLER")
            .setMetadataLogDirectory(config.metadataLogDir())
            .setDirectories(List.of(logDir.toString()));
    f.run();
  }

  /** The eg4j topics with their settings, so the services find them ready. */
  private void createTopics(Duration timeout) throws Exception {
    List<NewTopic> topics = new ArrayList<>();
    for (String t : Topics.COMPACTED) {
      topics.add(new NewTopic(t, 1, (short) 1).configs(Topics.compactedTopicConfig()));
      topics.add(
          new NewTopic(Topics.deadLetter(t), 1, (short) 1).configs(Topics.deadLetterTopicConfig()));
    }
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                (int) timeout.toMillis()))) {
      for (NewTopic t : topics) {
        try {
          admin.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        } catch (TimeoutException e) {
          throw new IOException("Kafka did not create topic " + t.name() + " in " + timeout, e);
        }
      }
      // The controller has committed the topics, but the broker learns of them a moment later: a
      // client starting now could be told a topic does not exist. Wait until the broker lists
      // them all (on a busy machine the last ones lagged).
      java.util.Set<String> names = new java.util.TreeSet<>();
      topics.forEach(t -> names.add(t.name()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        java.util.Set<String> listed =
            admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (listed.containsAll(names)) {
          return;
        }
        if (System.nanoTime() > deadline) {
          names.removeAll(listed);
          throw new IOException(
              "Kafka created but does not list topics " + names + " after " + timeout);
        }
        Thread.sleep(20);
      }
    }
  }

  /** {@code host:port} for clients. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** The broker's log directory. */
  public Path logDir() {
    return logDir;
  }

  /** Stops the broker and waits for it. */
  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }
}
