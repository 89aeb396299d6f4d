package io.eg4j.watcher.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of the watcher ({@code eg4j.watcher.*}). */
@ConfigurationProperties("eg4j.watcher")
public class WatcherProperties {
  /** Where resources come from. */
  public enum Source {
    /** A directory of Kubernetes YAML (standalone mode). */
    FILE,
    /** The Kubernetes API. */
    KUBERNETES
  }

  /** Where resources come from: kubernetes or file. */
  private Source source = Source.FILE;

  /** The directory of manifests the file source watches (recursively, *.yaml and *.yml). */
  private Path directory = Path.of("manifests");

  /** Namespaces the Kubernetes source watches; empty means all. */
  private List<String> namespaces = new ArrayList<>();

  /** Label selector of the namespaces the Kubernetes source watches. */
  private String namespaceSelector;

  /**
   * Quiet time after the last file event before the file source rescans. Short: an editor's save is
   * a burst of events within a millisecond or two, and a busy tree is coalesced anyway (a rescan
   * never starts sooner after the previous one than twice what that one took, see {@code
   * FileSource}).
   */
  private Duration debounce = Duration.ofMillis(5);

  /** The longest a file change waits for its rescan while events keep coming. */
  private Duration maxDelay = Duration.ofSeconds(2);

  /** How often the file source rescans the whole tree, as a safety net for missed events. */
  private Duration rescanInterval = Duration.ofSeconds(10);

  /**
   * Kubernetes source: how often kinds the cluster did not serve are looked for again, so a CRD
   * installed later (ListenerSet, TLSRoute) is watched without a restart.
   */
  private Duration crdRecheck = Duration.ofSeconds(30);

  public Source getSource() {
    return source;
  }

  public void setSource(Source source) {
    this.source = source;
  }

  public Path getDirectory() {
    return directory;
  }

  public void setDirectory(Path directory) {
    this.directory = directory;
  }

  public List<String> getNamespaces() {
    return namespaces;
  }

  public void setNamespaces(List<String> namespaces) {
    this.namespaces = namespaces;
  }

  public String getNamespaceSelector() {
    return namespaceSelector;
  }

  public void setNamespaceSelector(String namespaceSelector) {
    this.namespaceSelector = namespaceSelector;
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

  public Duration getRescanInterval() {
    return rescanInterval;
  }

  public void setRescanInterval(Duration rescanInterval) {
    this.rescanInterval = rescanInterval;
  }

  public Duration getCrdRecheck() {
    return crdRecheck;
  }

  public void setCrdRecheck(Duration crdRecheck) {
    this.crdRecheck = crdRecheck;
  }
}
