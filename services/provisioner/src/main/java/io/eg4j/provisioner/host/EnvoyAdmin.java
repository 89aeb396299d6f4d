package io.eg4j.provisioner.host;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A minimal client of one Envoy's admin interface on loopback. */
final class EnvoyAdmin {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private final int port;

  EnvoyAdmin(int port) {
    this.port = port;
  }

  /** True when {@code /ready} answers 200 (server state LIVE). */
  boolean ready() {
    try {
      return get("/ready").statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /** The ports of the listeners Envoy has bound, sorted; empty when it cannot say. */
  List<Integer> boundPorts() {
    List<Integer> ports = new ArrayList<>();
    try {
      HttpResponse<String> r = get("/listeners?format=json");
      if (r.statusCode() != 200) {
        return ports;
      }
      JsonNode root = Json.MAPPER.readTree(r.body());
      for (JsonNode status : root.path("listener_statuses")) {
        JsonNode sa = status.path("local_address").path("socket_address");
        if (sa.has("port_value")) {
          ports.add(sa.path("port_value").asInt());
        }
      }
    } catch (IOException e) {
      // not up yet, or going away: the caller polls again
    }
    return ports.stream().distinct().sorted().toList();
  }

  private HttpResponse<String> get(String path) throws IOException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    try {
      return CLIENT.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
