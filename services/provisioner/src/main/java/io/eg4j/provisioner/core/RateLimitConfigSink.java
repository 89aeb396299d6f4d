package io.eg4j.provisioner.core;

import java.util.Map;

/**
 * Where the global rate limit service's configuration files go: in Kubernetes mode the ConfigMap
 * its Deployment mounts.
 */
public interface RateLimitConfigSink {
  /**
   * The whole configuration now: file name to YAML document, one per rate limit domain, over every
   * IR the xds-servers serve. Called once the IR topic has been read at start, then on each change.
   */
  void configFiles(Map<String, String> files);
}
