package io.eg4j.statuswriter.app;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of the status-writer ({@code eg4j.status-writer.*}). */
@ConfigurationProperties("eg4j.status-writer")
public class StatusWriterProperties {
  /** Where statuses go. */
  public enum Mode {
    /** Status subresources through the Kubernetes API. */
    KUBERNETES,
    /** One YAML file per resource under {@code directory} (standalone). */
    FILE
  }

  /** Where statuses go: kubernetes or file. */
  private Mode mode = Mode.FILE;

  /** The directory file mode writes to: {@code <namespace or _cluster>/<kind>-<name>.yaml}. */
  private Path directory = Path.of("status");

  /**
   * The consumer group of the status-writer replicas. With one partition on eg4j.status the group
   * gives it to one replica, so one writer works at a time.
   */
  private String groupId = "eg4j-status-writer";

  public Mode getMode() {
    return mode;
  }

  public void setMode(Mode mode) {
    this.mode = mode;
  }

  public Path getDirectory() {
    return directory;
  }

  public void setDirectory(Path directory) {
    this.directory = directory;
  }

  public String getGroupId() {
    return groupId;
  }

  public void setGroupId(String groupId) {
    this.groupId = groupId;
  }
}
