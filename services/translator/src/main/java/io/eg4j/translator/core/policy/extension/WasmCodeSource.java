package io.eg4j.translator.core.policy.extension;

import io.eg4j.model.wasm.OciImagePuller;
import io.eg4j.translator.core.policy.PolicyException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a Wasm module's checksum comes from when the policy does not give one. Envoy fetches every
 * module itself and refuses one whose SHA-256 does not match the configured one, so a module needs
 * its checksum at translation time: the policy's {@code sha256}, else the checksum of the module as
 * the control plane downloads it once.
 */
public interface WasmCodeSource {
  /**
   * The checksum of the module at {@code url} (hex SHA-256), fetching it if needed.
   *
   * @param url the HTTP(S) URL of the module
   * @param where the field path for error messages
   * @param refetch true to download again even when a checksum is cached ({@code pullPolicy:
   *     Always})
   */
  String checksum(String url, String where, boolean refetch) throws PolicyException;

  /**
   * Like {@link #checksum(String, String, boolean)}, verifying an HTTPS server with the PEM CA
   * bundle {@code caPem} besides the system's roots (null: the system's only).
   */
  default String checksum(String url, String caPem, String where, boolean refetch)
      throws PolicyException {
    if (caPem == null) {
      return checksum(url, where, refetch);
    }
    throw new PolicyException(where + ": this control plane does not fetch with a CA bundle");
  }

  /**
   * A module pulled from an OCI image.
   *
   * @param pinnedUrl the image, {@code oci://registry/repository@sha256:<manifest digest>}
   * @param sha256 hex SHA-256 of the module (not of the image)
   */
  record ImageModule(String pinnedUrl, String sha256) {}

  /**
   * The module in the OCI image {@code url}, pulled if needed, as Envoy Gateway's Wasm cache pulls
   * it.
   *
   * @param url the image, {@code oci://…} with a tag or a digest
   * @param dockerConfig the pull secret's {@code .dockerconfigjson}, or null for an anonymous pull
   * @param imageSha256 the digest (hex) the image's manifest must have, or null
   * @param where the field path for error messages
   * @param refetch true to resolve the image again even when it was pulled before
   */
  default ImageModule image(
      String url, String dockerConfig, String imageSha256, String where, boolean refetch)
      throws PolicyException {
    throw new PolicyException(where + ": this control plane does not pull OCI images");
  }

  /**
   * Like {@link #image(String, String, String, String, boolean)}, verifying the registry with the
   * PEM CA bundle {@code caPem} besides the system's roots (null: the system's only).
   */
  default ImageModule image(
      String url,
      String dockerConfig,
      String caPem,
      String imageSha256,
      String where,
      boolean refetch)
      throws PolicyException {
    if (caPem == null) {
      return image(url, dockerConfig, imageSha256, where, refetch);
    }
    throw new PolicyException(where + ": this control plane does not pull with a CA bundle");
  }

  /** Hex SHA-256 of {@code bytes}. */
  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Hex SHA-256 of a UTF-8 string. */
  static String sha256Hex(String s) {
    return sha256Hex(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Downloads modules over HTTP(S) with bounded time and size, and remembers each URL's checksum; a
   * failure is remembered for {@link #FAILURE_TTL}, so a broken URL does not slow every
   * translation.
   */
  final class Http implements WasmCodeSource {
    /** The largest module accepted: Envoy Gateway's Wasm cache has no smaller bound. */
    static final long MAX_BYTES = 256L * 1024 * 1024;

    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final Duration FAILURE_TTL = Duration.ofSeconds(30);

    private record Entry(String checksum, String error, long at) {}

    private record ImageEntry(
        String pinnedUrl,
        String imageDigest,
        String indexDigest,
        String sha256,
        String error,
        long at) {}

    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, ImageEntry> images = new ConcurrentHashMap<>();
    private final HttpClient client;
    private final Clock clock;
    private final OciImagePuller puller;
    // A CA bundle's own client and puller, by bundle.
    private final Map<String, HttpClient> caClients = new ConcurrentHashMap<>();
    private final Map<String, OciImagePuller> caPullers = new ConcurrentHashMap<>();

    public Http() {
      this(
          HttpClient.newBuilder()
              .connectTimeout(TIMEOUT)
              .followRedirects(HttpClient.Redirect.NORMAL)
              .build(),
          Clock.systemUTC());
    }

    Http(HttpClient client, Clock clock) {
      this.client = client;
      this.clock = clock;
      this.puller = new OciImagePuller(TIMEOUT);
    }

    @Override
    public ImageModule image(
        String url, String dockerConfig, String imageSha256, String where, boolean refetch)
        throws PolicyException {
      return image(url, dockerConfig, null, imageSha256, where, refetch);
    }

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

    /** A CA bundle that cannot be read fails the fetch with the reason. */
    private static void checkCa(String caPem, String where) throws PolicyException {
      if (caPem != null) {
        try {
          io.eg4j.model.wasm.TrustedCa.context(caPem);
        } catch (IllegalArgumentException e) {
          throw new PolicyException(where + ".tls.caCertificateRef: " + e.getMessage());
        }
      }
    }

    @Override
    public ImageModule image(
        String url,
        String dockerConfig,
        String caPem,
        String imageSha256,
        String where,
        boolean refetch)
        throws PolicyException {
      checkCa(caPem, where);
      OciImagePuller puller = puller(caPem);
      long now = clock.millis();
      // Another pull secret or CA bundle is another pull: a cached module is not handed to a
      // policy whose credentials or trust were never tried.
      String key =
          url
              + "\n"
              + (dockerConfig == null ? "" : WasmCodeSource.sha256Hex(dockerConfig))
              + "\n"
              + (caPem == null ? "" : WasmCodeSource.sha256Hex(caPem));
      ImageEntry e = images.get(key);
      if (e != null && !refetch) {
        if (e.sha256 != null) {
          return matching(e, url, imageSha256, where);
        }
        if (now - e.at < FAILURE_TTL.toMillis()) {
          throw new PolicyException(where + ": " + e.error);
        }
      }
      ImageEntry fresh;
      try {
        OciImagePuller.Credentials creds = null;
        if (dockerConfig != null) {
          creds =
              OciImagePuller.credentials(
                      dockerConfig, OciImagePuller.Reference.parse(url).registry())
                  .orElse(null);
        }
        OciImagePuller.Resolved r = puller.resolve(url, creds);
        if (e != null && e.sha256 != null && r.imageDigest().equals(e.imageDigest)) {
          fresh = e; // the same image as last time: its module is known
        } else {
          if (imageSha256 != null
              && !imageSha256.equals(r.imageDigest())
              && !imageSha256.equals(r.indexDigest())) {
            throw new PolicyException(mismatch(url, r.imageDigest(), imageSha256, where));
          }
          OciImagePuller.Pulled p = puller.module(r, creds);
          fresh =
              new ImageEntry(
                  p.reference().toString(),
                  p.imageDigest(),
                  p.indexDigest(),
                  p.moduleSha256(),
                  null,
                  now);
        }
      } catch (OciImagePuller.PullException ex) {
        fresh =
            new ImageEntry(
                null, null, null, null, "could not fetch Wasm OCI image: " + ex.getMessage(), now);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new PolicyException(where + ": pull of " + url + " interrupted");
      }
      images.put(key, fresh);
      if (fresh.sha256 == null) {
        throw new PolicyException(where + ": " + fresh.error);
      }
      return matching(fresh, url, imageSha256, where);
    }

    private static ImageModule matching(ImageEntry e, String url, String imageSha256, String where)
        throws PolicyException {
      if (imageSha256 != null
          && !imageSha256.equals(e.imageDigest)
          && !imageSha256.equals(e.indexDigest)) {
        throw new PolicyException(mismatch(url, e.imageDigest, imageSha256, where));
      }
      return new ImageModule(e.pinnedUrl, e.sha256);
    }

    private static String mismatch(String url, String got, String want, String where) {
      return where
          + ": module downloaded from "
          + url
          + " has checksum "
          + got
          + ", which does not match: "
          + want;
    }

    @Override
    public String checksum(String url, String where, boolean refetch) throws PolicyException {
      return checksum(url, null, where, refetch);
    }

    @Override
    public String checksum(String url, String caPem, String where, boolean refetch)
        throws PolicyException {
      checkCa(caPem, where);
      long now = clock.millis();
      String key = caPem == null ? url : url + "\n" + WasmCodeSource.sha256Hex(caPem);
      Entry e = cache.get(key);
      if (e != null && !refetch) {
        if (e.checksum != null) {
          return e.checksum;
        }
        if (now - e.at < FAILURE_TTL.toMillis()) {
          throw new PolicyException(where + ": " + e.error);
        }
      }
      Entry fresh;
      try {
        fresh = new Entry(download(client(caPem), url), null, now);
      } catch (IOException ex) {
        String why = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
        fresh = new Entry(null, "cannot download " + url + ": " + why, now);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new PolicyException(where + ": download of " + url + " interrupted");
      }
      cache.put(key, fresh);
      if (fresh.checksum == null) {
        throw new PolicyException(where + ": " + fresh.error);
      }
      return fresh.checksum;
    }

    private String download(HttpClient client, String url)
        throws IOException, InterruptedException {
      HttpRequest req;
      try {
        req = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET().build();
      } catch (IllegalArgumentException e) {
        throw new IOException("invalid URL");
      }
      HttpResponse<InputStream> res = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = res.body()) {
        if (res.statusCode() != 200) {
          throw new IOException("HTTP " + res.statusCode());
        }
        MessageDigest md;
        try {
          md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
          total += n;
          if (total > MAX_BYTES) {
            throw new IOException("module larger than " + MAX_BYTES + " bytes");
          }
          md.update(buf, 0, n);
        }
        if (total == 0) {
          throw new IOException("empty module");
        }
        return HexFormat.of().formatHex(md.digest());
      }
    }
  }
}
