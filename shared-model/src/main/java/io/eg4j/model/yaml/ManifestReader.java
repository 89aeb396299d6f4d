package io.eg4j.model.yaml;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads multi-document Kubernetes YAML. Every document must be a mapping with {@code apiVersion},
 * {@code kind} and {@code metadata.name}; empty documents are skipped. Errors name the source and
 * the line, so a user can find the mistake.
 */
public final class ManifestReader {
  private ManifestReader() {}

  /** A YAML problem at a place in a source. */
  public static final class ManifestException extends IOException {
    private final String source;
    private final int line;

    /** A problem in {@code source} at 1-based {@code line} (0 when unknown). */
    public ManifestException(String source, int line, String message, Throwable cause) {
      super(source + (line > 0 ? ":" + line : "") + ": " + message, cause);
      this.source = source;
      this.line = line;
    }

    /** The file name or other source label. */
    public String source() {
      return source;
    }

    /** The 1-based line, or 0 when unknown. */
    public int line() {
      return line;
    }
  }

  /** Reads every document of a file. */
  public static List<ObjectNode> read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(file.toString(), in);
    }
  }

  /** Reads every document of a stream, naming {@code source} in errors. */
  public static List<ObjectNode> read(String source, InputStream in) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    try (JsonParser parser = Json.YAML.getFactory().createParser(in);
        MappingIterator<JsonNode> docs = Json.YAML.readValues(parser, JsonNode.class)) {
      while (true) {
        JsonLocation at = parser.currentLocation();
        JsonNode doc;
        try {
          if (!docs.hasNextValue()) {
            break;
          }
          at = parser.currentLocation();
          doc = docs.nextValue();
        } catch (JsonProcessingException e) {
          JsonLocation loc = e.getLocation();
          int line = loc != null ? loc.getLineNr() : 0;
          throw new ManifestException(source, line, "invalid YAML: " + e.getOriginalMessage(), e);
        } catch (RuntimeException e) {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          String msg = cause.getMessage();
          int line = at.getLineNr();
          if (cause instanceof JsonProcessingException jpe && jpe.getLocation() != null) {
            line = jpe.getLocation().getLineNr();
            msg = jpe.getOriginalMessage();
          }
          throw new ManifestException(source, line, "invalid YAML: " + msg, e);
        }
        if (doc == null
            || doc.isNull()
            || doc.isMissingNode()
            || (doc.isTextual() && doc.asText().isBlank())) {
          continue; // an empty document (`---` twice, or a trailing `---`), as kubectl skips it
        }
        int line = at.getLineNr();
        if (!(doc instanceof ObjectNode obj)) {
          throw new ManifestException(source, line, "a document must be a mapping", null);
        }
        if (!obj.path("kind").isTextual() || !obj.path("apiVersion").isTextual()) {
          throw new ManifestException(source, line, "a document needs apiVersion and kind", null);
        }
        String refusal =
            ApiVersions.refusal(obj.path("apiVersion").asText(), obj.path("kind").asText());
        if (refusal != null) {
          throw new ManifestException(source, line, refusal, null);
        }
        out.add(obj);
      }
    }
    return out;
  }
}
