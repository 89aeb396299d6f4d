package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.yaml.ManifestReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Translator inputs for tests that run over many cases: the golden inputs, and, where the shared
 * conformance corpus sits beside the repository, each of its cases; each read as the CLI reads it
 * (an {@code EnvoyGateway} document among the resources, or in a {@code config.yaml} beside the
 * input, is the config).
 */
public final class TranslatorInputs {
  private TranslatorInputs() {}

  /** The golden inputs' directory (from the translator module). */
  public static final Path GOLDEN = Path.of("src/test/resources/testdata");

  /**
   * A GatewayClass, the {@code default} Namespace, Gateway {@code default/gw} with two HTTP
   * listeners ({@code http} on 80, {@code alt} on 8080) and Service {@code default/svc} on 8080:
   * YAML that tests append their HTTPRoutes to (each after a {@code ---} line).
   */
  public static final String TWO_LISTENER_GATEWAY =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata:
        name: eg
      spec:
        controllerName: gateway.envoyproxy.io/gatewayclass-controller
      ---
      apiVersion: v1
      kind: Namespace
      metadata:
        name: default
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: gw
        namespace: default
      spec:
        gatewayClassName: eg
        listeners:
        - name: http
          protocol: HTTP
          port: 80
        - name: alt
          protocol: HTTP
          port: 8080
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: svc
        namespace: default
      spec:
        ports:
        - name: http
          port: 8080
      """;

  /** A config and the resources it translates. */
  public record Input(EnvoyGatewayConfig config, List<ObjectNode> resources) {}

  /** The golden inputs, sorted. */
  public static Stream<Path> golden() throws IOException {
    try (Stream<Path> files = Files.list(GOLDEN)) {
      return files.filter(p -> p.toString().endsWith(".in.yaml")).sorted().toList().stream();
    }
  }

  /** The golden inputs, then the corpus cases' inputs when the corpus is there, each sorted. */
  public static Stream<Path> goldenAndCorpus() throws IOException {
    List<Path> out = new ArrayList<>(golden().toList());
    // shared/ sits beside the repository (CI, the main checkout) or beside its parent (a worktree).
    Path corpus =
        Stream.of("../../../shared", "../../../../shared")
            .map(s -> Path.of(s, "conformance/eg-status/cases"))
            .filter(Files::isDirectory)
            .findFirst()
            .orElse(null);
    if (corpus != null) {
      try (Stream<Path> cases = Files.list(corpus)) {
        cases.map(c -> c.resolve("input.yaml")).filter(Files::exists).sorted().forEach(out::add);
      }
    }
    return out.stream();
  }

  /** The config among {@code docs} (Envoy Gateway's defaults when none) and the other documents. */
  public static Input split(List<ObjectNode> docs) {
    EnvoyGatewayConfig config = EnvoyGatewayConfig.defaults();
    List<ObjectNode> resources = new ArrayList<>();
    for (ObjectNode d : docs) {
      if ("EnvoyGateway".equals(d.path("kind").asText())) {
        config = EnvoyGatewayConfig.from(d);
      } else {
        resources.add(d);
      }
    }
    return new Input(config, resources);
  }

  /**
   * An input file with the config of a {@code config.yaml} beside it, if any; null when the
   * manifest reader refuses the file (such an input never reaches the translator).
   */
  public static Input read(Path input) throws IOException {
    List<ObjectNode> docs;
    try {
      docs = ManifestReader.read(input);
    } catch (RuntimeException e) {
      return null;
    }
    Input in = split(docs);
    Path configFile = input.resolveSibling("config.yaml");
    if (Files.exists(configFile)) {
      for (ObjectNode d : ManifestReader.read(configFile)) {
        if ("EnvoyGateway".equals(d.path("kind").asText())) {
          in = new Input(EnvoyGatewayConfig.from(d), in.resources());
        }
      }
    }
    return in;
  }
}
