package io.eg4j.translator.app;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of the translator ({@code eg4j.translator.*}). */
@ConfigurationProperties("eg4j.translator")
public class TranslatorProperties {
  /** Envoy Gateway's EnvoyGateway config file (YAML); Envoy Gateway's defaults when unset. */
  private Path configFile;

  /** How long eg4j.resources must be quiet before a translation. */
  private Duration debounce = Duration.ofMillis(75);

  /** The longest a change waits for its translation under a steady stream of changes. */
  private Duration maxDelay = Duration.ofSeconds(1);

  /**
   * The consumer group of the translator replicas. eg4j.resources has one partition, so the group
   * gives it to one replica, the only one that publishes; the others stand by and take over on
   * rebalance.
   */
  private String groupId = "eg4j-translator";

  /** Consumer session timeout: how soon a standby takes over from a replica that died. */
  private Duration sessionTimeout = Duration.ofSeconds(10);

  /**
   * The first back-off before a listener Envoy rejected (a port it could not bind) is served again;
   * it doubles on each new rejection up to {@link #nackRetryMax}.
   */
  private Duration nackRetryFirst = Duration.ofSeconds(2);

  /** The longest back-off of a rejected listener. */
  private Duration nackRetryMax = Duration.ofMinutes(5);

  /**
   * The client certificate (PEM) the proxies present to the control plane's own services (rate
   * limit service, Wasm cache) when the controller namespace has no {@code envoy} Secret; {@code
   * eg4j run} on a host sets it to the certificate its local proxies authenticate to the xds-server
   * with.
   */
  private Path proxyClientCertFile;

  /** The private key of {@link #proxyClientCertFile}. */
  private Path proxyClientKeyFile;

  /**
   * The CA file, on the proxies, that the control plane's services' certificates chain to; {@code
   * /certs/ca.crt}, where Envoy Gateway's proxies mount it, when unset.
   */
  private String proxyCaFile;

  public Path getProxyClientCertFile() {
    return proxyClientCertFile;
  }

  public void setProxyClientCertFile(Path proxyClientCertFile) {
    this.proxyClientCertFile = proxyClientCertFile;
  }

  public Path getProxyClientKeyFile() {
    return proxyClientKeyFile;
  }

  public void setProxyClientKeyFile(Path proxyClientKeyFile) {
    this.proxyClientKeyFile = proxyClientKeyFile;
  }

  public String getProxyCaFile() {
    return proxyCaFile;
  }

  public void setProxyCaFile(String proxyCaFile) {
    this.proxyCaFile = proxyCaFile;
  }

  public Path getConfigFile() {
    return configFile;
  }

  public void setConfigFile(Path configFile) {
    this.configFile = configFile;
  }

  public Duration getDebounce() {
    return debounce;
  }

  public void setDebounce(Duration debounce) {
    this.debounce = debounce;
  }

  public Duration getMaxDelay() {
    return maxDelay;
  }

  public void setMaxDelay(Duration maxDelay) {
    this.maxDelay = maxDelay;
  }

  public String getGroupId() {
    return groupId;
  }

  public void setGroupId(String groupId) {
    this.groupId = groupId;
  }

  public Duration getSessionTimeout() {
    return sessionTimeout;
  }

  public void setSessionTimeout(Duration sessionTimeout) {
    this.sessionTimeout = sessionTimeout;
  }

  public Duration getNackRetryFirst() {
    return nackRetryFirst;
  }

  public void setNackRetryFirst(Duration nackRetryFirst) {
    this.nackRetryFirst = nackRetryFirst;
  }

  public Duration getNackRetryMax() {
    return nackRetryMax;
  }

  public void setNackRetryMax(Duration nackRetryMax) {
    this.nackRetryMax = nackRetryMax;
  }
}
