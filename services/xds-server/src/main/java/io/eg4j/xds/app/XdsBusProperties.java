package io.eg4j.xds.app;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** The bus settings the xds-server uses ({@code eg4j.bus.*}, shared by every service). */
@ConfigurationProperties("eg4j.bus")
public class XdsBusProperties {
  /** Create the topics this service reads and writes when they are missing. */
  private boolean createTopics = true;

  /** Partitions of created topics. */
  private int partitions = 1;

  /** Replication factor of created topics. */
  private short replicationFactor = 1;

  /** min.insync.replicas of created topics. */
  private int minInsyncReplicas = 1;

  /** AES key file that opens encrypted IR (listener private keys travel encrypted). */
  private String secretKeyFile;

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

  public String getSecretKeyFile() {
    return secretKeyFile;
  }

  public void setSecretKeyFile(String secretKeyFile) {
    this.secretKeyFile = secretKeyFile;
  }
}
