package io.eg4j.provisioner.app;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of the provisioner ({@code eg4j.provisioner.*}). */
@ConfigurationProperties("eg4j.provisioner")
public class ProvisionerProperties {

  /** How proxies are run. */
  public enum Mode {
    /** Deployments, Services and friends in a Kubernetes cluster. */
    KUBERNETES,
    /** Local {@code envoy} processes (standalone mode). */
    HOST
  }

  /** How proxies are run: kubernetes or host. */
  private Mode mode = Mode.KUBERNETES;

  /** Address at which proxies reach the xds-server. */
  private String xdsAddress = "127.0.0.1";

  /** The xds-server's gRPC (ADS) port. */
  private int xdsPort = 18000;

  /** Host mode: where bootstraps, logs and base-id files of the local proxies go. */
  private Path workDir = Path.of(System.getProperty("java.io.tmpdir"), "eg4j-envoy");

  /** Host mode: the envoy executable, a command on PATH or a path. */
  private String envoyBinary = "envoy";

  /**
   * The EnvoyGateway configuration file (the translator's): Kubernetes mode runs the global rate
   * limit service when it enables {@code rateLimit}. Unset: Envoy Gateway's defaults (off).
   */
  private Path configFile;

  /** Client TLS of proxies towards the xds-server; unset for plaintext. */
  private final XdsTls xdsTls = new XdsTls();

  public Mode getMode() {
    return mode;
  }

  public void setMode(Mode mode) {
    this.mode = mode;
  }

  public String getXdsAddress() {
    return xdsAddress;
  }

  public void setXdsAddress(String xdsAddress) {
    this.xdsAddress = xdsAddress;
  }

  public int getXdsPort() {
    return xdsPort;
  }

  public void setXdsPort(int xdsPort) {
    this.xdsPort = xdsPort;
  }

  public Path getWorkDir() {
    return workDir;
  }

  public void setWorkDir(Path workDir) {
    this.workDir = workDir;
  }

  public String getEnvoyBinary() {
    return envoyBinary;
  }

  public void setEnvoyBinary(String envoyBinary) {
    this.envoyBinary = envoyBinary;
  }

  public Path getConfigFile() {
    return configFile;
  }

  public void setConfigFile(Path configFile) {
    this.configFile = configFile;
  }

  public XdsTls getXdsTls() {
    return xdsTls;
  }

  /** PEM files a proxy presents to, and verifies, the xds-server with. */
  public static class XdsTls {
    /** Client certificate chain. */
    private String certFile;

    /** Client private key. */
    private String keyFile;

    /** CA that signed the xds-server certificate. */
    private String caFile;

    /** SAN the xds-server certificate must carry (and SNI to send); unset to check the chain. */
    private String serverName;

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

    public String getServerName() {
      return serverName;
    }

    public void setServerName(String serverName) {
      this.serverName = serverName;
    }

    /** True when all three files are set. */
    public boolean configured() {
      return certFile != null && keyFile != null && caFile != null;
    }
  }
}
