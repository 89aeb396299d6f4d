package io.eg4j.model.bus.kafka;

import io.eg4j.model.bus.Topics;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records a consumer cannot use to {@code <topic>.dlt}, unchanged, with the reason in headers
 * (DESIGN.md invariant 7), so the consumer can move on and an operator can see what was dropped.
 *
 * <p>Headers: {@value #REASON}, {@value #EXCEPTION}, {@value #ORIGINAL_TOPIC}, {@value
 * #ORIGINAL_PARTITION}, {@value #ORIGINAL_OFFSET}, {@value #CONSUMER}.
 */
public final class DeadLetterPublisher implements AutoCloseable {
  /** Header: a human-readable reason. */
  public static final String REASON = "eg4j.dlt.reason";

  /** Header: the exception class. */
  public static final String EXCEPTION = "eg4j.dlt.exception";

  /** Header: the topic the record came from. */
  public static final String ORIGINAL_TOPIC = "eg4j.dlt.original-topic";

  /** Header: the partition the record came from. */
  public static final String ORIGINAL_PARTITION = "eg4j.dlt.original-partition";

  /** Header: the offset of the record. */
  public static final String ORIGINAL_OFFSET = "eg4j.dlt.original-offset";

  /** Header: the consumer (service) that rejected it. */
  public static final String CONSUMER = "eg4j.dlt.consumer";

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);

  private final Producer<byte[], byte[]> producer;
  private final String consumerName;
  private final Consumer<String> onDeadLetter;

  /**
   * A publisher with its own producer.
   *
   * @param producerProps base producer properties (bootstrap servers, security)
   * @param consumerName the service name written in the {@value #CONSUMER} header
   * @param onDeadLetter called with the original topic after each dead letter, e.g. to count it
   */
  public DeadLetterPublisher(
      Map<String, Object> producerProps, String consumerName, Consumer<String> onDeadLetter) {
    Map<String, Object> props = new HashMap<>(producerProps);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, consumerName + "-dlt");
    this.producer = new KafkaProducer<>(props);
    this.consumerName = consumerName;
    this.onDeadLetter = onDeadLetter;
  }

  /**
   * Sends a record to its topic's dead-letter topic and waits for the broker's ack, so a record is
   * never skipped without a trace.
   *
   * @param record the record as consumed
   * @param reason why it was rejected
   * @param cause the exception, or null
   */
  public void publish(ConsumerRecord<String, byte[]> record, String reason, Throwable cause) {
    RecordHeaders headers = new RecordHeaders();
    record.headers().forEach(headers::add);
    headers.add(REASON, bytes(reason));
    headers.add(EXCEPTION, bytes(cause == null ? "" : cause.getClass().getName()));
    headers.add(ORIGINAL_TOPIC, bytes(record.topic()));
    headers.add(ORIGINAL_PARTITION, bytes(String.valueOf(record.partition())));
    headers.add(ORIGINAL_OFFSET, bytes(String.valueOf(record.offset())));
    headers.add(CONSUMER, bytes(consumerName));
    String dlt = Topics.deadLetter(record.topic());
    byte[] key = record.key() == null ? null : bytes(record.key());
    LOG.error(
        "dead letter: {}-{}@{} key={} -> {}: {}",
        record.topic(),
        record.partition(),
        record.offset(),
        record.key(),
        dlt,
        reason);
    try {
      producer
          .send(new ProducerRecord<>(dlt, null, key, record.value(), headers))
          .get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The record is already logged in full above; the consumer must still move on.
      LOG.error("could not write dead letter to {}: {}", dlt, e.toString());
    }
    onDeadLetter.accept(record.topic());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(5));
  }
}
