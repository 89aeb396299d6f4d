package io.eg4j.xds.app;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** xds-server settings ({@code eg4j.xds.*}). */
@ConfigurationProperties("eg4j.xds")
public class XdsServerProperties {
  /** mTLS between Envoy and the xds-server. */
  private final Tls tls = new Tls();

  /** How long one make-before-break step waits for every Envoy's ACK before going on. */
  private Duration stepTimeout = Duration.ofSeconds(5);

  /**
   * Bind TCP listeners without {@code SO_REUSEPORT}, so that a port another process serves is
   * refused (and reported) rather than shared; for proxies that share one host (standalone mode).
   */
  private boolean exclusiveListenerPorts;

  /**
   * A directory to keep the global rate limit service's configuration files in (one per domain),
   * for a service that runs on this host and reads them; null for none.
   */
  private String rateLimitConfigDir;

  private final WasmCache wasmCache = new WasmCache();

  public WasmCache getWasmCache() {
    return wasmCache;
  }

  /**
   * The Wasm module cache ({@code eg4j.xds.wasm-cache.*}): when enabled, this server downloads the
   * modules EnvoyExtensionPolicies name, checks their checksums, and serves them to Envoy, which
   * then never fetches a module from its origin.
   */
  public static class WasmCache {
    private boolean enabled;

    /** The address the cache listens on. */
    private String bindAddress = "0.0.0.0";

    /** The port the cache listens on (Envoy Gateway's is 18002). */
    private int port = 18002;

    /** The host Envoy reaches the cache by (this server's Service name in a cluster). */
    private String advertisedHost = "127.0.0.1";

    /** Where modules are kept; a temporary directory when unset. */
    private String dir;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getBindAddress() {
      return bindAddress;
    }

    public void setBindAddress(String bindAddress) {
      this.bindAddress = bindAddress;
    }

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }

    public String getAdvertisedHost() {
      return advertisedHost;
    }

    public void setAdvertisedHost(String advertisedHost) {
      this.advertisedHost = advertisedHost;
    }

    public String getDir() {
      return dir;
    }

    public void setDir(String dir) {
      this.dir = dir;
    }
  }

  public String getRateLimitConfigDir() {
    return rateLimitConfigDir;
  }

  public void setRateLimitConfigDir(String rateLimitConfigDir) {
    this.rateLimitConfigDir = rateLimitConfigDir;
  }

  public boolean isExclusiveListenerPorts() {
    return exclusiveListenerPorts;
  }

  public void setExclusiveListenerPorts(boolean exclusiveListenerPorts) {
    this.exclusiveListenerPorts = exclusiveListenerPorts;
  }

  public Tls getTls() {
    return tls;
  }

  public Duration getStepTimeout() {
    return stepTimeout;
  }

  public void setStepTimeout(Duration stepTimeout) {
    this.stepTimeout = stepTimeout;
  }

  /** gRPC server TLS; when enabled, Envoy must present a client certificate signed by the CA. */
  public static class Tls {
    /** Serve ADS over TLS and require client certificates. */
    private boolean enabled;

    /** PEM server certificate chain. */
    private String certFile;

    /** PEM (PKCS#8) server private key. */
    private String keyFile;

    /** PEM CA that signs Envoy client certificates. */
    private String caFile;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getCertFile() {
      return certFile;
    }

    public void setCertFile(String certFile) {
      this.certFile = certFile;
    }

    public String getKeyFile() {
      return keyFile;
    }

    public void setKeyFile(String keyFile) {
      this.keyFile = keyFile;
    }

    public String getCaFile() {
      return caFile;
    }

    public void setCaFile(String caFile) {
      this.caFile = caFile;
    }
  }
}
