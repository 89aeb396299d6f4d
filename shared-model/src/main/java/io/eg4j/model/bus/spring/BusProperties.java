package io.eg4j.model.bus.spring;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of the eg4j bus shared by every service ({@code eg4j.bus.*}). */
@ConfigurationProperties("eg4j.bus")
public class BusProperties {
  /** Whether the service creates the eg4j topics (and their dead-letter topics) at start-up. */
  private boolean createTopics = true;

  /** Partitions of each eg4j topic it creates; eg4j.resources always gets one. */
  private int partitions = 1;

  /** Replication factor of each topic it creates. */
  private short replicationFactor = 1;

  /** min.insync.replicas of each topic it creates. */
  private int minInsyncReplicas = 1;

  /** AES-256 key file (32 raw bytes or base64) sealing Secret data on the bus. */
  private Path secretKeyFile;

  /** Whether a missing key file is generated (standalone mode); otherwise it must exist. */
  private boolean createSecretKey = false;

  /** The longest a consumer poll waits; also bounds how soon debounced work runs. */
  private Duration pollTimeout = Duration.ofMillis(100);

  /** How long start-up reads of a topic and topic creation may take. */
  private Duration startupTimeout = Duration.ofSeconds(60);

  public boolean isCreateTopics() {
    return createTopics;
  }

  public void setCreateTopics(boolean createTopics) {
    this.createTopics = createTopics;
  }

  public int getPartitions() {
    return partitions;
  }

  public void setPartitions(int partitions) {
    this.partitions = partitions;
  }

  public short getReplicationFactor() {
    return replicationFactor;
  }

  public void setReplicationFactor(short replicationFactor) {
    this.replicationFactor = replicationFactor;
  }

  public int getMinInsyncReplicas() {
    return minInsyncReplicas;
  }

  public void setMinInsyncReplicas(int minInsyncReplicas) {
    this.minInsyncReplicas = minInsyncReplicas;
  }

  public Path getSecretKeyFile() {
    return secretKeyFile;
  }

  public void setSecretKeyFile(Path secretKeyFile) {
    this.secretKeyFile = secretKeyFile;
  }

  public boolean isCreateSecretKey() {
    return createSecretKey;
  }

  public void setCreateSecretKey(boolean createSecretKey) {
    this.createSecretKey = createSecretKey;
  }

  public Duration getPollTimeout() {
    return pollTimeout;
  }

  public void setPollTimeout(Duration pollTimeout) {
    this.pollTimeout = pollTimeout;
  }

  public Duration getStartupTimeout() {
    return startupTimeout;
  }

  public void setStartupTimeout(Duration startupTimeout) {
    this.startupTimeout = startupTimeout;
  }
}
