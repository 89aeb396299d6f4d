package io.eg4j.standalone.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.eg4j.translator.kafka.OutputPublisher;
import io.eg4j.xds.kafka.XdsIrConsumer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The xDS IR record's path from the translator's publish to the xds-server's read, in one thread
 * and one process (issue #16): the translator's {@link OutputPublisher} publishes a changed IR (the
 * Gateway of gen-scale's output, with and without its last HTTPRoute, alternately, so every publish
 * is a change) sealed with a bus key, through the real envelope serializer; the record value is put
 * in a zstd batch as the producer does and read back as the consumer does; {@link
 * XdsIrConsumer#read} turns it into the IR, reusing the route IRs of the last record that are the
 * same, as the consumer does. Prints, per stage, the median wall time and the bytes the thread
 * allocated (ThreadMXBean), and the record's sizes.
 *
 * <p>{@code java -cp ... io.eg4j.standalone.bench.IrRecordPath INPUT.yaml [runs]}
 */
public final class IrRecordPath {
  private IrRecordPath() {}

  /** Runs the benchmark. */
  public static void main(String[] args) throws Exception {
    Path input = Path.of(args[0]);
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    List<ObjectNode> objects = ManifestReader.read(input);
    List<ObjectNode> fewer = new ArrayList<>(objects);
    for (int i = fewer.size() - 1; i >= 0; i--) {
      if ("HTTPRoute".equals(fewer.get(i).path("kind").asText())) {
        fewer.remove(i);
        break;
      }
    }
    Translator translator = new Translator(EnvoyGatewayConfig.defaults());
    XdsIr[] irs = {
      only(translator.translate(ResourceSnapshot.of(objects))),
      only(translator.translate(ResourceSnapshot.of(fewer)))
    };
    String key = irs[0].key();
    SecretBox box = new SecretBox("benchkey", new byte[32]);

    byte[][] sent = new byte[1][];
    EnvelopeSerde.EnvelopeSerializer envelopes = new EnvelopeSerde.EnvelopeSerializer();
    MockProducer<String, Envelope> producer =
        new MockProducer<>(
            true,
            null,
            new StringSerializer(),
            (topic, env) -> {
              byte[] b = envelopes.serialize(topic, env);
              if (topic.equals(Topics.XDS_IR)) {
                sent[0] = b;
              }
              return b;
            });
    OutputPublisher publisher =
        new OutputPublisher(producer, new SimpleMeterRegistry(), Optional.of(box));

    // As the consumer reads: the route IRs of the key's last record reused for the same bytes.
    io.eg4j.xds.kafka.IrReuse reuse = new io.eg4j.xds.kafka.IrReuse();
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    int warm = Math.max(30, runs);
    long[][] time = new long[3][runs];
    long[][] alloc = new long[3][runs];
    int recordBytes = 0;
    int batchBytes = 0;
    for (int i = -warm; i < runs; i++) {
      XdsIr ir = irs[(i + warm) % 2];
      TranslateResult result = new TranslateResult(List.of(), Map.of(key, ir), Map.of());
      long a0 = threads.getThreadAllocatedBytes(self);
      long t0 = System.nanoTime();
      if (publisher.publish(result) != 1) {
        throw new IllegalStateException("the changed IR was not published");
      }
      long t1 = System.nanoTime();
      long a1 = threads.getThreadAllocatedBytes(self);
      // The producer's batch (zstd, as BusSettings sets) and the consumer's read of it.
      ByteBuffer batch = batch(key, sent[0]);
      byte[] value = readBack(batch);
      long t2 = System.nanoTime();
      long a2 = threads.getThreadAllocatedBytes(self);
      XdsIrConsumer.Read read =
          XdsIrConsumer.read(Topics.XDS_IR, key, value, Optional.of(box), reuse);
      long t3 = System.nanoTime();
      long a3 = threads.getThreadAllocatedBytes(self);
      producer.clear();
      if (!read.ir().equals(ir) || !read.hash().equals(ContentHash.ofValue(ir))) {
        throw new IllegalStateException("the IR read back differs from the one published");
      }
      recordBytes = value.length;
      batchBytes = batch.remaining();
      if (i >= 0) {
        time[0][i] = t1 - t0;
        time[1][i] = t2 - t1;
        time[2][i] = t3 - t2;
        alloc[0][i] = a1 - a0;
        alloc[1][i] = a2 - a1;
        alloc[2][i] = a3 - a2;
      }
    }
    for (long[] t : time) {
      Arrays.sort(t);
    }
    for (long[] a : alloc) {
      Arrays.sort(a);
    }
    int routes = irs[0].http().stream().mapToInt(l -> l.routes().size()).sum();
    System.out.printf(
        Locale.ROOT,
        "RESULT {\"objects\": %d, \"ir_routes\": %d, \"canonical_bytes\": %d, \"record_bytes\": %d,"
            + " \"zstd_batch_bytes\": %d, \"runs\": %d,"
            + " \"publish_ms\": %.2f, \"publish_min_ms\": %.2f, \"publish_alloc_mb\": %.2f,"
            + " \"kafka_zstd_ms\": %.2f, \"kafka_zstd_alloc_mb\": %.2f,"
            + " \"read_ms\": %.2f, \"read_min_ms\": %.2f, \"read_alloc_mb\": %.2f}%n",
        objects.size(),
        routes,
        ContentHash.canonicalJson(irs[0]).length,
        recordBytes,
        batchBytes,
        runs,
        time[0][runs / 2] / 1e6,
        time[0][0] / 1e6,
        alloc[0][runs / 2] / 1e6,
        time[1][runs / 2] / 1e6,
        alloc[1][runs / 2] / 1e6,
        time[2][runs / 2] / 1e6,
        time[2][0] / 1e6,
        alloc[2][runs / 2] / 1e6);
    if (Boolean.getBoolean("bench.compression")) {
      compression(ContentHash.canonicalJson(irs[0]), runs);
    }
  }

  /**
   * What compressing the canonical JSON before sealing would cost and save (not done by the
   * publisher: see results.md): median ms to compress and to decompress, and the compressed size.
   */
  private static void compression(byte[] plain, int runs) throws Exception {
    for (String codec : List.of("deflate-1", "zstd-1", "zstd-3", "lz4")) {
      long[] c = new long[runs];
      long[] d = new long[runs];
      int size = 0;
      for (int i = -runs; i < runs; i++) {
        long t0 = System.nanoTime();
        byte[] packed = compress(codec, plain);
        long t1 = System.nanoTime();
        byte[] back = decompress(codec, packed, plain.length);
        long t2 = System.nanoTime();
        if (!Arrays.equals(back, plain)) {
          throw new IllegalStateException(codec + " round trip differs");
        }
        size = packed.length;
        if (i >= 0) {
          c[i] = t1 - t0;
          d[i] = t2 - t1;
        }
      }
      Arrays.sort(c);
      Arrays.sort(d);
      System.out.printf(
          Locale.ROOT,
          "COMPRESS {\"codec\": \"%s\", \"plain_bytes\": %d, \"packed_bytes\": %d,"
              + " \"compress_ms\": %.2f, \"decompress_ms\": %.2f}%n",
          codec,
          plain.length,
          size,
          c[runs / 2] / 1e6,
          d[runs / 2] / 1e6);
    }
  }

  private static byte[] compress(String codec, byte[] plain) {
    switch (codec) {
      case "deflate-1" -> {
        java.util.zip.Deflater def = new java.util.zip.Deflater(1, true);
        def.setInput(plain);
        def.finish();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(plain.length / 4);
        byte[] buf = new byte[64 * 1024];
        while (!def.finished()) {
          out.write(buf, 0, def.deflate(buf));
        }
        def.end();
        return out.toByteArray();
      }
      case "zstd-1" -> {
        return com.github.luben.zstd.Zstd.compress(plain, 1);
      }
      case "zstd-3" -> {
        return com.github.luben.zstd.Zstd.compress(plain, 3);
      }
      default -> {
        return net.jpountz.lz4.LZ4Factory.fastestInstance().fastCompressor().compress(plain);
      }
    }
  }

  private static byte[] decompress(String codec, byte[] packed, int size) throws Exception {
    switch (codec) {
      case "deflate-1" -> {
        java.util.zip.Inflater inf = new java.util.zip.Inflater(true);
        inf.setInput(packed);
        byte[] out = new byte[size];
        int n = 0;
        while (n < size && !inf.finished()) {
          n += inf.inflate(out, n, size - n);
        }
        inf.end();
        return out;
      }
      case "zstd-1", "zstd-3" -> {
        return com.github.luben.zstd.Zstd.decompress(packed, size);
      }
      default -> {
        return net.jpountz.lz4.LZ4Factory.fastestInstance()
            .fastDecompressor()
            .decompress(packed, size);
      }
    }
  }

  private static XdsIr only(TranslateResult result) {
    if (result.xdsIr().size() != 1) {
      throw new IllegalStateException("expected one Gateway, got " + result.xdsIr().keySet());
    }
    return result.xdsIr().values().iterator().next();
  }

  /** The record in a zstd batch, as the producer writes it (and the broker stores it). */
  private static ByteBuffer batch(String key, byte[] value) {
    MemoryRecordsBuilder b =
        MemoryRecords.builder(
            ByteBuffer.allocate(value.length + 1024),
            RecordBatch.CURRENT_MAGIC_VALUE,
            "none".equals(System.getProperty("bench.kafkaCompression"))
                ? Compression.NONE
                : Compression.zstd().build(),
            TimestampType.CREATE_TIME,
            0L);
    b.append(
        System.currentTimeMillis(), key.getBytes(java.nio.charset.StandardCharsets.UTF_8), value);
    return b.build().buffer();
  }

  /** The record's value, as the consumer's byte-array deserializer hands it over. */
  private static byte[] readBack(ByteBuffer batch) {
    for (Record r : MemoryRecords.readableRecords(batch.duplicate()).records()) {
      ByteBuffer v = r.value();
      byte[] out = new byte[v.remaining()];
      v.get(out);
      return out;
    }
    throw new IllegalStateException("empty batch");
  }
}
