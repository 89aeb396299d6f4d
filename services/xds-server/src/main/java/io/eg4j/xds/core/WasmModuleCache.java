package io.eg4j.xds.core;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.model.ir.extension.ExtensionIr.WasmIr;
import io.eg4j.model.wasm.OciImagePuller;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's Wasm module cache, as Envoy Gateway runs one: the xds-server downloads each
 * module an EnvoyExtensionPolicy names (once per checksum), checks its SHA-256 against the one the
 * translator put in the IR, keeps it on disk and serves it to Envoy over HTTP at {@code
 * /<sha256>.wasm}. The IR is rewritten before translation so that Envoy fetches from here (cluster
 * {@value #CLUSTER}) instead of from the module's origin: a proxy that starts later, or restarts,
 * gets the module the policy was accepted with even when the origin is down or has changed.
 *
 * <p>A module in an OCI image ({@code oci://…}, pinned by the translator to the manifest digest it
 * accepted) is pulled with the registry API and the pull secret the IR carries (sealed on the bus);
 * the secret is dropped from the IR Envoy's configuration is made from.
 *
 * <p>A download that fails, or a module whose checksum does not match, is answered 502 and logged;
 * Envoy retries with back-off and, meanwhile, fails the filter as its {@code failOpen} says. The
 * checksum was verified by the translator when it accepted the policy, so a mismatch here means the
 * origin changed after that.
 */
public final class WasmModuleCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WasmModuleCache.class);

  /** The cluster Envoy fetches modules through (Envoy Gateway's name). */
  public static final String CLUSTER = "wasm_cluster";

  /** The largest module accepted (Envoy Gateway's cache has no smaller bound). */
  static final long MAX_BYTES = 256L * 1024 * 1024;

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern PATH = Pattern.compile("^/([0-9a-f]{64})\\.wasm$");

  private final Path dir;
  private final String advertisedHost;
  private final int port;
  private final HttpServer server;
  private final HttpClient client;
  private final ExecutorService fetcher;
  // sha256 -> where to download it from (the latest IR that named it)
  private final Map<String, Origin> origins = new ConcurrentHashMap<>();
  private final OciImagePuller puller = new OciImagePuller(TIMEOUT);
  // A CA bundle's own client and puller, by bundle.
  private final Map<String, HttpClient> caClients = new ConcurrentHashMap<>();
  private final Map<String, OciImagePuller> caPullers = new ConcurrentHashMap<>();

  private HttpClient client(String caPem) {
    return caPem == null
        ? client
        : caClients.computeIfAbsent(
            caPem, ca -> io.eg4j.model.wasm.TrustedCa.client(ca, TIMEOUT, true));
  }

  private OciImagePuller puller(String caPem) {
    return caPem == null
        ? puller
        : caPullers.computeIfAbsent(
            caPem,
            ca ->
                new OciImagePuller(
                    io.eg4j.model.wasm.TrustedCa.client(ca, TIMEOUT, false), TIMEOUT, true));
  }

  /**
   * Where a module comes from: an HTTP(S) URL, or an OCI image pinned to its manifest digest with
   * the pull secret's entry for its registry (null for an anonymous pull); {@code caPem} is the
   * policy's CA bundle the server or registry is verified with besides the system's roots, or null.
   */
  private record Origin(String uri, String pullSecret, String caPem) {
    boolean image() {
      return uri.startsWith("oci://");
    }

    @Override
    public String toString() {
      return uri;
    }
  }

  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  private WasmModuleCache(Path dir, String advertisedHost, HttpServer server) {
    this.dir = dir;
    this.advertisedHost = advertisedHost;
    this.server = server;
    this.port = server.getAddress().getPort();
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    this.fetcher =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "eg4j-wasm-cache");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts the cache's HTTP server.
   *
   * @param dir where modules are kept (created if missing)
   * @param bindAddress the address to listen on
   * @param port the port to listen on (0 for any free one)
   * @param advertisedHost the host Envoy reaches this server by (an IP address or DNS name)
   */
  public static WasmModuleCache start(Path dir, String bindAddress, int port, String advertisedHost)
      throws IOException {
    Files.createDirectories(dir);
    HttpServer server = HttpServer.create(new InetSocketAddress(bindAddress, port), 64);
    WasmModuleCache cache = new WasmModuleCache(dir, advertisedHost, server);
    server.createContext("/", cache::handle);
    server.setExecutor(
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "eg4j-wasm-cache-http");
              t.setDaemon(true);
              return t;
            }));
    server.start();
    log.info(
        "Wasm module cache serving {} on {}:{} (Envoy reaches it as {}:{})",
        dir,
        bindAddress,
        cache.port,
        advertisedHost,
        cache.port);
    return cache;
  }

  /** The port the cache listens on. */
  public int port() {
    return port;
  }

  /** The URL Envoy fetches the module with checksum {@code sha256} from. */
  public String uri(String sha256) {
    String host = advertisedHost.contains(":") ? "[" + advertisedHost + "]" : advertisedHost;
    return "http://" + host + ":" + port + "/" + sha256 + ".wasm";
  }

  /** The cluster Envoy fetches modules through: this server, plain HTTP/1.1. */
  public RouteDestinationIr cluster() {
    boolean ip = advertisedHost.matches("^[0-9.]+$") || advertisedHost.contains(":");
    return new RouteDestinationIr(
        CLUSTER,
        List.of(
            new DestinationSettingIr(
                CLUSTER + "/backend/0",
                1,
                "HTTP",
                ip ? "IP" : "FQDN",
                List.of(new EndpointIr(advertisedHost, port)),
                null)));
  }

  /**
   * The IR with every Wasm module served from this cache; the modules are downloaded in the
   * background so that they are ready when Envoy asks. An IR without Wasm is returned as it is.
   */
  public XdsIr rewrite(XdsIr ir) {
    boolean any = false;
    List<HttpListenerIr> listeners = new ArrayList<>(ir.http().size());
    for (HttpListenerIr l : ir.http()) {
      List<HttpRouteIr> routes = new ArrayList<>(l.routes().size());
      boolean changed = false;
      for (HttpRouteIr r : l.routes()) {
        ExtensionIr ext = r.extensions();
        if (ext == null || ext.wasm().isEmpty()) {
          routes.add(r);
          continue;
        }
        List<WasmIr> wasm = new ArrayList<>();
        for (WasmIr w : ext.wasm()) {
          wasm.add(served(w));
        }
        routes.add(r.withExtensions(ext.withWasm(wasm)));
        changed = true;
      }
      if (changed) {
        any = true;
        listeners.add(
            new HttpListenerIr(
                l.name(),
                l.address(),
                l.port(),
                l.externalPort(),
                l.hostnames(),
                l.tls(),
                routes,
                l.client()));
      } else {
        listeners.add(l);
      }
    }
    return any ? ir.withListeners(listeners, ir.tcp(), ir.udp()) : ir;
  }

  private WasmIr served(WasmIr w) {
    if (w.uri().startsWith(uri(w.sha256()))) {
      return w; // already ours
    }
    Origin previous =
        origins.put(w.sha256(), new Origin(w.uri(), w.pullSecret(), w.caCertificate()));
    if (previous == null && !Files.exists(file(w.sha256()))) {
      fetcher.submit(() -> ensure(w.sha256()));
    }
    return new WasmIr(
        w.name(),
        w.pluginName(),
        w.rootId(),
        w.configuration(),
        w.failOpen(),
        uri(w.sha256()),
        w.sha256(),
        cluster(),
        w.hostKeys());
  }

  private Path file(String sha256) {
    return dir.resolve(sha256 + ".wasm");
  }

  /**
   * The module's file, downloaded and checked if it is not there yet; null when it cannot be had.
   */
  Path ensure(String sha256) {
    Path f = file(sha256);
    if (Files.exists(f)) {
      return f;
    }
    Origin origin = origins.get(sha256);
    if (origin == null) {
      return null;
    }
    synchronized (locks.computeIfAbsent(sha256, k -> new Object())) {
      if (Files.exists(f)) {
        return f;
      }
      if (origin.image()) {
        return pulled(sha256, origin, f);
      }
      try {
        HttpResponse<InputStream> resp =
            client(origin.caPem())
                .send(
                    HttpRequest.newBuilder(URI.create(origin.uri())).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() != 200) {
          resp.body().close();
          log.warn("Wasm module {}: {} answered {}", sha256, origin, resp.statusCode());
          return null;
        }
        Path tmp = Files.createTempFile(dir, sha256, ".part");
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        long total = 0;
        try (InputStream in = resp.body();
            OutputStream out = Files.newOutputStream(tmp)) {
          byte[] buf = new byte[65536];
          int n;
          while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > MAX_BYTES) {
              throw new IOException("module larger than " + MAX_BYTES + " bytes");
            }
            digest.update(buf, 0, n);
            out.write(buf, 0, n);
          }
        } catch (IOException e) {
          Files.deleteIfExists(tmp);
          throw e;
        }
        String got = HexFormat.of().formatHex(digest.digest());
        if (!got.equals(sha256)) {
          Files.deleteIfExists(tmp);
          log.warn(
              "Wasm module from {} has checksum {}, not {}: the origin changed after the policy"
                  + " was accepted; not served",
              origin,
              got,
              sha256);
          return null;
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        log.info("Wasm module {} cached from {} ({} bytes)", sha256, origin, total);
        return f;
      } catch (IOException | IllegalArgumentException e) {
        // IllegalArgumentException: an invalid URL, or a CA bundle that cannot be read.
        log.warn("Wasm module {}: download from {} failed: {}", sha256, origin, e.toString());
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * The module of an image, pulled with its pull secret and checked: the image is pinned to the
   * manifest digest the translator accepted, and the module must have the checksum in the IR.
   */
  private Path pulled(String sha256, Origin origin, Path f) {
    try {
      OciImagePuller.Credentials creds = null;
      if (origin.pullSecret() != null) {
        creds =
            OciImagePuller.credentials(
                    origin.pullSecret(), OciImagePuller.Reference.parse(origin.uri()).registry())
                .orElse(null);
      }
      OciImagePuller.Pulled p = puller(origin.caPem()).pull(origin.uri(), creds);
      String got = p.moduleSha256();
      if (!got.equals(sha256)) {
        log.warn(
            "Wasm module from {} has checksum {}, not {}: the image changed after the policy was"
                + " accepted; not served",
            origin,
            got,
            sha256);
        return null;
      }
      Path tmp = Files.createTempFile(dir, sha256, ".part");
      try {
        Files.write(tmp, p.module());
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      log.info("Wasm module {} cached from {} ({} bytes)", sha256, origin, p.module().length);
      return f;
    } catch (IOException | IllegalArgumentException e) {
      log.warn("Wasm module {}: pull of {} failed: {}", sha256, origin, e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      var m = PATH.matcher(ex.getRequestURI().getPath());
      if (!ex.getRequestMethod().equals("GET") || !m.matches()) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      String sha = m.group(1);
      if (!origins.containsKey(sha) && !Files.exists(file(sha))) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      Path f = ensure(sha);
      if (f == null) {
        ex.sendResponseHeaders(502, -1);
        return;
      }
      ex.getResponseHeaders().set("Content-Type", "application/wasm");
      ex.sendResponseHeaders(200, Files.size(f));
      try (OutputStream out = ex.getResponseBody()) {
        Files.copy(f, out);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    fetcher.shutdownNow();
  }
}
