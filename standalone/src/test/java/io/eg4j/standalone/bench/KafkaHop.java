package io.eg4j.standalone.bench;

import io.eg4j.model.bus.BusSettings;
import io.eg4j.standalone.launcher.EmbeddedKraftBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One bus hop on the standalone broker (issue #16): a producer sends one record and flushes, as the
 * services do after a change, and a consumer polling on its own thread receives it. Prints, per
 * producer setting and record size, the median and mean of send → flush returned (the broker's ack)
 * and send → consumer received, over sequential pings.
 *
 * <p>{@code java -cp ... io.eg4j.standalone.bench.KafkaHop [pings]}
 */
public final class KafkaHop {
  private KafkaHop() {}

  /** Runs the benchmark. */
  public static void main(String[] args) throws Exception {
    int pings = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    Path dir = Files.createTempDirectory("kafka-hop");
    try (EmbeddedKraftBroker broker = EmbeddedKraftBroker.start(dir, freePort(), freePort())) {
      String bootstrap = broker.bootstrapServers();
      Map<String, Map<String, Object>> variants = new java.util.LinkedHashMap<>();
      variants.put("bus settings (zstd, acks all, idempotent, linger 5)", Map.of());
      variants.put("compression none", Map.of("compression.type", "none"));
      variants.put("linger 0", Map.of("linger.ms", 0));
      variants.put(
          "acks 1, not idempotent",
          Map.of("acks", "1", "enable.idempotence", false, "compression.type", "none"));
      for (int size : new int[] {1_000, 600_000}) {
        for (var v : variants.entrySet()) {
          run(bootstrap, v.getKey(), v.getValue(), size, pings);
        }
      }
    }
  }

  private static void run(
      String bootstrap, String name, Map<String, Object> overrides, int size, int pings)
      throws Exception {
    String topic = "hop-" + Math.abs((name + size).hashCode());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    Map<String, Object> pc = new HashMap<>(BusSettings.producerOverrides());
    pc.putAll(overrides);
    pc.put("bootstrap.servers", bootstrap);
    Map<String, Object> cc = new HashMap<>(BusSettings.consumerOverrides());
    cc.put("bootstrap.servers", bootstrap);
    BlockingQueue<Long> received = new ArrayBlockingQueue<>(16);
    AtomicBoolean running = new AtomicBoolean(true);
    Thread reader =
        new Thread(
            () -> {
              try (KafkaConsumer<String, byte[]> c =
                  new KafkaConsumer<>(cc, new StringDeserializer(), new ByteArrayDeserializer())) {
                c.assign(List.of(new TopicPartition(topic, 0)));
                while (running.get()) {
                  for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                    received.add(System.nanoTime());
                  }
                }
              }
            });
    reader.start();
    byte[] value = new byte[size];
    new Random(1).nextBytes(value);
    // Base64 text compresses like the sealed IR does (ciphertext in Base64).
    value = java.util.Base64.getEncoder().encode(Arrays.copyOf(value, size * 3 / 4));
    long[] ack = new long[pings];
    long[] hop = new long[pings];
    try (KafkaProducer<String, byte[]> p =
        new KafkaProducer<>(pc, new StringSerializer(), new ByteArraySerializer())) {
      for (int i = -50; i < pings; i++) {
        long t0 = System.nanoTime();
        p.send(new ProducerRecord<>(topic, "k", value));
        p.flush();
        long t1 = System.nanoTime();
        Long t2 = received.poll(10, TimeUnit.SECONDS);
        if (t2 == null) {
          throw new IllegalStateException("record not received");
        }
        if (i >= 0) {
          ack[i] = t1 - t0;
          hop[i] = t2 - t0;
        }
        Thread.sleep(5);
      }
    } finally {
      running.set(false);
      reader.join();
    }
    System.out.printf(
        Locale.ROOT,
        "%-55s %7d B  ack p50 %5.2f mean %5.2f ms   received p50 %5.2f mean %5.2f ms%n",
        name,
        value.length,
        median(ack),
        mean(ack),
        median(hop),
        mean(hop));
  }

  private static int freePort() throws java.io.IOException {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static double median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2] / 1e6;
  }

  private static double mean(long[] xs) {
    return Arrays.stream(xs).average().orElse(0) / 1e6;
  }
}
