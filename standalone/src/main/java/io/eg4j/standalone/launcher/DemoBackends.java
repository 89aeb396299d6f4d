package io.eg4j.standalone.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.yaml.ManifestReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds where the demo echo backends go: every loopback IP endpoint of a {@code
 * gateway.envoyproxy.io} Backend in the manifest directory. The quickstart's Backend points at
 * 127.0.0.1:3000, so {@code --demo-echo} serves that port.
 */
public final class DemoBackends {
  private DemoBackends() {}

  /** The loopback ports of Backend IP endpoints in {@code dir}'s YAML files, sorted. */
  public static Set<Integer> loopbackPorts(Path dir) throws IOException {
    Set<Integer> ports = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files =
          s.filter(Files::isRegularFile)
              .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
    }
    for (Path f : files) {
      List<ObjectNode> docs;
      try {
        docs = ManifestReader.read(f);
      } catch (IOException e) {
        continue; // the watcher reports bad YAML with file and line; nothing to serve here
      }
      for (ObjectNode doc : docs) {
        if (!"Backend".equals(doc.path("kind").asText())
            || !doc.path("apiVersion").asText().startsWith("gateway.envoyproxy.io/")) {
          continue;
        }
        for (JsonNode ep : doc.path("spec").path("endpoints")) {
          JsonNode ip = ep.path("ip");
          String address = ip.path("address").asText("");
          int port = ip.path("port").asInt(0);
          if ((address.equals("127.0.0.1") || address.equals("::1")) && port > 0) {
            ports.add(port);
          }
        }
      }
    }
    return ports;
  }
}
