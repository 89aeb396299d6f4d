package io.eg4j.xds.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.bus.Json;
import io.eg4j.model.wasm.OciImagePuller;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * A tiny OCI distribution registry (API v2, read-only) on 127.0.0.1 over plain HTTP, for tests: it
 * serves the manifests and blobs pushed into it, and guards them, when asked, with the bearer-token
 * flow (401 with a {@code WWW-Authenticate: Bearer realm=…} challenge; its token endpoint checks
 * the basic credentials it was given) or with basic auth.
 */
public final class OciTestRegistry implements AutoCloseable {
  /** How the registry guards its content. */
  public enum Auth {
    NONE,
    BEARER,
    BASIC
  }

  private static final Pattern PATH = Pattern.compile("^/v2/(.+)/(manifests|blobs)/([^/]+)$");

  private final HttpServer server;
  private final Auth auth;
  private final String user;
  private final String password;
  private final String token = "t-" + System.nanoTime();
  private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();
  private final Map<String, byte[]> tampered = new ConcurrentHashMap<>();

  /** Requests answered: manifests, blobs and tokens handed out. */
  public final AtomicInteger manifestRequests = new AtomicInteger();

  public final AtomicInteger blobRequests = new AtomicInteger();
  public final AtomicInteger tokensIssued = new AtomicInteger();
  public final AtomicInteger unauthorized = new AtomicInteger();

  private record Manifest(String mediaType, byte[] body) {}

  /** An image pushed: its reference and its manifest digest (hex). */
  public record Image(String url, String digest) {}

  private OciTestRegistry(Auth auth, String user, String password) throws IOException {
    this(auth, user, password, null);
  }

  private OciTestRegistry(Auth auth, String user, String password, javax.net.ssl.SSLContext tls)
      throws IOException {
    this.auth = auth;
    this.user = user;
    this.password = password;
    if (tls == null) {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    } else {
      var https =
          com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
      https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
      server = https;
    }
    server.createContext("/", this::handle);
    server.start();
  }

  /** A registry that asks for nothing and speaks only HTTPS, with {@code tls}'s certificate. */
  public static OciTestRegistry anonymousTls(javax.net.ssl.SSLContext tls) throws IOException {
    return new OciTestRegistry(Auth.NONE, null, null, tls);
  }

  /** A registry that asks for nothing. */
  public static OciTestRegistry anonymous() throws IOException {
    return new OciTestRegistry(Auth.NONE, null, null);
  }

  /** A registry guarded by {@code auth}, whose credentials are {@code user:password}. */
  public static OciTestRegistry guarded(Auth auth, String user, String password)
      throws IOException {
    return new OciTestRegistry(auth, user, password);
  }

  /** {@code 127.0.0.1:port}. */
  public String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** A {@code .dockerconfigjson} with credentials for this registry. */
  public String dockerConfig(String user, String password) {
    String auth =
        Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return "{\"auths\":{\"" + host() + "\":{\"auth\":\"" + auth + "\"}}}";
  }

  /**
   * Pushes an image in the Wasm OCI artifact layout: a config blob and one layer of media type
   * {@link OciImagePuller#WASM_LAYER} that is the module itself.
   */
  public Image pushArtifact(String repository, String tag, byte[] module) {
    ObjectNode m = Json.MAPPER.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    m.set(
        "config", descriptor("application/vnd.module.wasm.config.v1+json", blob("{}".getBytes())));
    m.putArray("layers").add(descriptor(OciImagePuller.WASM_LAYER, blob(module)));
    return put(repository, tag, "application/vnd.oci.image.manifest.v1+json", m);
  }

  /**
   * Pushes an image in the compat layout: one gzip-compressed tar layer holding {@code
   * plugin.wasm}, with Docker v2 schema 2 media types when {@code docker}, else OCI ones.
   */
  public Image pushCompat(String repository, String tag, byte[] module, boolean docker) {
    return pushCompat(
        repository,
        tag,
        Map.of("README", "a wasm plugin".getBytes(), "plugin.wasm", module),
        docker);
  }

  /** Pushes a compat image whose layer holds {@code files}. */
  public Image pushCompat(
      String repository, String tag, Map<String, byte[]> files, boolean docker) {
    String manifestType =
        docker
            ? "application/vnd.docker.distribution.manifest.v2+json"
            : "application/vnd.oci.image.manifest.v1+json";
    ObjectNode m = Json.MAPPER.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", manifestType);
    m.set(
        "config",
        descriptor(
            docker
                ? "application/vnd.docker.container.image.v1+json"
                : "application/vnd.oci.image.config.v1+json",
            blob("{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes())));
    m.putArray("layers")
        .add(
            descriptor(
                docker
                    ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
                    : "application/vnd.oci.image.layer.v1.tar+gzip",
                blob(tarGzip(files))));
    return put(repository, tag, manifestType, m);
  }

  /**
   * Pushes an OCI image index under {@code tag} that lists {@code images} (pushed before, in this
   * repository) for linux/arm64 first and then linux/amd64.
   */
  public Image pushIndex(String repository, String tag, Image arm64, Image amd64) {
    ObjectNode idx = Json.MAPPER.createObjectNode();
    idx.put("schemaVersion", 2);
    idx.put("mediaType", "application/vnd.oci.image.index.v1+json");
    ArrayNode list = idx.putArray("manifests");
    for (var e : new Object[][] {{arm64, "arm64"}, {amd64, "amd64"}}) {
      Image i = (Image) e[0];
      Manifest man = manifests.get(repository + "@sha256:" + i.digest());
      ObjectNode d = list.addObject();
      d.put("mediaType", man.mediaType());
      d.put("digest", "sha256:" + i.digest());
      d.put("size", man.body().length);
      d.putObject("platform").put("os", "linux").put("architecture", (String) e[1]);
    }
    return put(repository, tag, "application/vnd.oci.image.index.v1+json", idx);
  }

  /** From now on, the blob with digest {@code hex} is answered with {@code bytes} instead. */
  public void tamper(String hex, byte[] bytes) {
    tampered.put("sha256:" + hex, bytes);
  }

  /** The digests (hex) of the layers of an image's manifest. */
  public java.util.List<String> layers(Image image) {
    String repo = image.url().substring(("oci://" + host() + "/").length()).split("[:@]")[0];
    Manifest man = manifests.get(repo + "@sha256:" + image.digest());
    java.util.List<String> out = new java.util.ArrayList<>();
    try {
      for (var l : Json.MAPPER.readTree(man.body()).path("layers")) {
        out.add(l.path("digest").asText().substring("sha256:".length()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private Image put(String repository, String tag, String mediaType, ObjectNode manifest) {
    byte[] body = manifest.toString().getBytes(StandardCharsets.UTF_8);
    String digest = OciImagePuller.sha256Hex(body);
    Manifest m = new Manifest(mediaType, body);
    manifests.put(repository + ":" + tag, m);
    manifests.put(repository + "@sha256:" + digest, m);
    return new Image("oci://" + host() + "/" + repository + ":" + tag, digest);
  }

  private String blob(byte[] bytes) {
    String digest = "sha256:" + OciImagePuller.sha256Hex(bytes);
    blobs.put(digest, bytes);
    return digest;
  }

  private ObjectNode descriptor(String mediaType, String digest) {
    ObjectNode d = Json.MAPPER.createObjectNode();
    d.put("mediaType", mediaType);
    d.put("digest", digest);
    d.put("size", blobs.get(digest).length);
    return d;
  }

  /** A gzip-compressed ustar archive of regular files. */
  public static byte[] tarGzip(Map<String, byte[]> files) {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(raw)) {
      for (var f : new java.util.TreeMap<>(files).entrySet()) {
        byte[] h = new byte[512];
        put(h, 0, f.getKey());
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", f.getValue().length));
        put(h, 136, String.format("%011o", 0));
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
          h[i] = ' ';
        }
        int sum = 0;
        for (byte b : h) {
          sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[155] = ' ';
        gz.write(h);
        gz.write(f.getValue());
        gz.write(new byte[(512 - f.getValue().length % 512) % 512]);
      }
      gz.write(new byte[1024]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return raw.toByteArray();
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      if (path.equals("/token")) {
        String basic =
            "Basic "
                + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        String query = ex.getRequestURI().getQuery();
        if (!basic.equals(ex.getRequestHeaders().getFirst("Authorization"))
            || query == null
            || !query.contains("scope=repository")) {
          ex.sendResponseHeaders(401, -1);
          return;
        }
        tokensIssued.incrementAndGet();
        byte[] body = ("{\"token\":\"" + token + "\"}").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        return;
      }
      Matcher m = PATH.matcher(path);
      if (!m.matches() || !ex.getRequestMethod().equals("GET")) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      String repo = m.group(1);
      if (!authorized(ex, repo)) {
        return;
      }
      if (m.group(2).equals("manifests")) {
        manifestRequests.incrementAndGet();
        String ref = m.group(3);
        Manifest man = manifests.get(repo + (ref.startsWith("sha256:") ? "@" : ":") + ref);
        if (man == null) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        ex.getResponseHeaders().set("Content-Type", man.mediaType());
        ex.getResponseHeaders()
            .set("Docker-Content-Digest", "sha256:" + OciImagePuller.sha256Hex(man.body()));
        ex.sendResponseHeaders(200, man.body().length);
        ex.getResponseBody().write(man.body());
      } else {
        blobRequests.incrementAndGet();
        byte[] b = tampered.getOrDefault(m.group(3), blobs.get(m.group(3)));
        if (b == null) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
      }
    }
  }

  private boolean authorized(HttpExchange ex, String repo) throws IOException {
    String got = ex.getRequestHeaders().getFirst("Authorization");
    switch (auth) {
      case NONE:
        return true;
      case BEARER:
        if (("Bearer " + token).equals(got)) {
          return true;
        }
        ex.getResponseHeaders()
            .set(
                "WWW-Authenticate",
                "Bearer realm=\"http://"
                    + host()
                    + "/token\",service=\"test-registry\",scope=\"repository:"
                    + repo
                    + ":pull\"");
        break;
      case BASIC:
        String basic =
            "Basic "
                + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (basic.equals(got)) {
          return true;
        }
        ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"test-registry\"");
        break;
      default:
        break;
    }
    unauthorized.incrementAndGet();
    ex.sendResponseHeaders(401, -1);
    return false;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
