package io.eg4j.model.wasm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLException;

/**
 * Pulls a Wasm module out of an OCI image, as Envoy Gateway's Wasm cache does: the OCI distribution
 * API v2 over HTTPS (over plain HTTP only when the registry answers TLS with plain HTTP, as Envoy
 * Gateway falls back), anonymous or with the credentials of a {@code
 * kubernetes.io/dockerconfigjson} pull secret, through the registry's bearer-token flow or basic
 * auth.
 *
 * <p>The manifest may be an OCI image manifest or a Docker v2 schema 2 one; an image index (or a
 * Docker manifest list) yields its {@code linux/amd64} entry, or its only one. The module is the
 * layer of the Wasm artifact media type {@value #WASM_LAYER}, else the last layer, a
 * gzip-compressed tar that holds {@value #PLUGIN_FILE} (the "compat" image layout). Every blob and
 * manifest fetched by digest is checked against that digest; the result carries the image's
 * manifest digest, which the policy's {@code sha256} is compared with.
 */
public final class OciImagePuller {
  /** The media type of a layer that is the Wasm module itself. */
  public static final String WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm";

  /** The file a compat image's layer holds the module in. */
  public static final String PLUGIN_FILE = "plugin.wasm";

  /** The largest module, manifest layer or blob accepted (Envoy Gateway's limit). */
  public static final long MAX_BYTES = 256L * 1024 * 1024;

  private static final long MAX_MANIFEST_BYTES = 4L * 1024 * 1024;
  private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  private static final String DOCKER_MANIFEST =
      "application/vnd.docker.distribution.manifest.v2+json";
  private static final String DOCKER_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  private static final List<String> TAR_GZIP_LAYERS =
      List.of(
          "application/vnd.oci.image.layer.v1.tar+gzip",
          "application/vnd.docker.image.rootfs.diff.tar.gzip");
  private static final Pattern CHALLENGE_PARAM =
      Pattern.compile("([A-Za-z_]+)\\s*=\\s*(?:\"([^\"]*)\"|([^,\\s]*))");
  private static final Pattern DIGEST = Pattern.compile("sha256:([a-f0-9]{64})");

  private final HttpClient client;
  private final Duration timeout;
  // The Authorization of the last pull of a repository with given credentials: the next pull
  // reuses the token (a 401 gets a fresh one).
  private final Map<String, String> tokens = new java.util.concurrent.ConcurrentHashMap<>();

  /** A puller whose every request is bounded by {@code timeout}. */
  public OciImagePuller(Duration timeout) {
    this(
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build(),
        timeout);
  }

  /** A puller with the given client (which must not follow redirects itself). */
  public OciImagePuller(HttpClient client, Duration timeout) {
    this(client, timeout, false);
  }

  private final boolean httpsFirst;

  /**
   * A puller with the given client (which must not follow redirects itself).
   *
   * @param httpsFirst true to try HTTPS first even with a registry that is otherwise spoken to in
   *     plain HTTP (localhost, loopback, private addresses), falling back to plain HTTP when it
   *     answers in plain HTTP, as the registry client of Envoy Gateway does: for a client that
   *     trusts a policy's own CA ({@code code.image.tls})
   */
  public OciImagePuller(HttpClient client, Duration timeout, boolean httpsFirst) {
    this.client = client;
    this.timeout = timeout;
    this.httpsFirst = httpsFirst;
  }

  /** A pull that failed: the message says why, for a status. */
  public static class PullException extends IOException {
    public PullException(String message) {
      super(message);
    }
  }

  /**
   * An image reference: {@code [oci://]registry/repository[:tag][@sha256:digest]}. A name without a
   * registry is on Docker Hub ({@code library/} in front of a single-part name), and a name without
   * tag or digest has tag {@code latest}.
   */
  public record Reference(String registry, String repository, String tag, String digest) {
    /** Parses {@code image}. */
    public static Reference parse(String image) throws PullException {
      String ref = image.startsWith("oci://") ? image.substring("oci://".length()) : image;
      String digest = null;
      int at = ref.indexOf('@');
      if (at >= 0) {
        digest = ref.substring(at + 1);
        ref = ref.substring(0, at);
        if (!DIGEST.matcher(digest).matches()) {
          throw new PullException(
              "could not parse url in image reference " + image + ": bad digest " + digest);
        }
      }
      String tag = null;
      int slash = ref.lastIndexOf('/');
      int colon = ref.lastIndexOf(':');
      if (colon > slash) {
        tag = ref.substring(colon + 1);
        ref = ref.substring(0, colon);
      }
      String registry;
      String repository;
      int first = ref.indexOf('/');
      String head = first < 0 ? "" : ref.substring(0, first);
      if (first > 0 && (head.contains(".") || head.contains(":") || head.equals("localhost"))) {
        registry = head;
        repository = ref.substring(first + 1);
      } else {
        registry = "index.docker.io";
        repository = first < 0 ? "library/" + ref : ref;
      }
      if (registry.equals("docker.io")) {
        registry = "index.docker.io";
      }
      if (repository.isEmpty()
          || !repository.matches("[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*")
          || tag != null && !tag.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
        throw new PullException("could not parse url in image reference " + image);
      }
      if (tag == null && digest == null) {
        tag = "latest";
      }
      return new Reference(registry, repository, tag, digest);
    }

    /** The reference with the given manifest digest in place of its tag. */
    public Reference pinned(String hex) {
      return new Reference(registry, repository, null, "sha256:" + hex);
    }

    /** The tag or digest a manifest is asked for by. */
    String identifier() {
      return digest != null ? digest : tag;
    }

    @Override
    public String toString() {
      return "oci://"
          + registry
          + "/"
          + repository
          + (tag != null ? ":" + tag : "")
          + (digest != null ? "@" + digest : "");
    }
  }

  /**
   * Credentials for one registry from a pull secret.
   *
   * @param username the user, with {@code password}, for basic auth or the token endpoint
   * @param password the password
   * @param identityToken an OAuth2 refresh token for the token endpoint, or null
   * @param registryToken a bearer token sent to the registry as it is, or null
   */
  public record Credentials(
      String username, String password, String identityToken, String registryToken) {
    @Override
    public String toString() {
      return "Credentials[<redacted>]";
    }

    boolean basic() {
      return username != null && !username.isEmpty();
    }

    String basicHeader() {
      return "Basic "
          + Base64.getEncoder()
              .encodeToString(
                  (username + ":" + (password == null ? "" : password))
                      .getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The entry of a {@code .dockerconfigjson} for {@code registry} (its {@code auths} keys may be a
   * host, a host with a scheme, or a URL; Docker Hub is also known as {@code
   * https://index.docker.io/v1/}), or empty when there is none (an anonymous pull).
   *
   * @throws PullException when the document is not a docker config
   */
  public static Optional<Credentials> credentials(String dockerConfigJson, String registry)
      throws PullException {
    JsonNode auths = dockerAuths(dockerConfigJson);
    for (var it = auths.fields(); it.hasNext(); ) {
      var e = it.next();
      if (!sameRegistry(e.getKey(), registry)) {
        continue;
      }
      JsonNode a = e.getValue();
      String user = text(a, "username");
      String pass = text(a, "password");
      String auth = text(a, "auth");
      if (auth != null && user == null) {
        String decoded;
        try {
          decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException ex) {
          throw new PullException("the auth of registry " + e.getKey() + " is not base64");
        }
        int c = decoded.indexOf(':');
        if (c < 0) {
          throw new PullException("the auth of registry " + e.getKey() + " is not user:password");
        }
        user = decoded.substring(0, c);
        pass = decoded.substring(c + 1);
      }
      Credentials cr =
          new Credentials(user, pass, text(a, "identitytoken"), text(a, "registrytoken"));
      if (cr.basic() || cr.identityToken() != null || cr.registryToken() != null) {
        return Optional.of(cr);
      }
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * A {@code .dockerconfigjson} that holds only the entry for {@code registry} (what the control
   * plane passes on for one image), or null when the document has none.
   */
  public static String narrowed(String dockerConfigJson, String registry) throws PullException {
    JsonNode auths = dockerAuths(dockerConfigJson);
    for (var it = auths.fields(); it.hasNext(); ) {
      var e = it.next();
      if (sameRegistry(e.getKey(), registry)) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.putObject("auths").set(e.getKey(), e.getValue());
        return out.toString();
      }
    }
    return null;
  }

  private static JsonNode dockerAuths(String dockerConfigJson) throws PullException {
    JsonNode doc;
    try {
      doc = Json.MAPPER.readTree(dockerConfigJson);
    } catch (IOException e) {
      throw new PullException("the pull secret is not a docker config JSON document");
    }
    if (doc == null || !doc.isObject()) {
      throw new PullException("the pull secret is not a docker config JSON document");
    }
    JsonNode auths = doc.path("auths");
    return auths.isObject() ? auths : Json.MAPPER.createObjectNode();
  }

  private static boolean sameRegistry(String key, String registry) {
    String host = key.toLowerCase(Locale.ROOT);
    int scheme = host.indexOf("://");
    if (scheme >= 0) {
      host = host.substring(scheme + 3);
    }
    int path = host.indexOf('/');
    if (path >= 0) {
      host = host.substring(0, path);
    }
    return dockerHub(host) && dockerHub(registry) || host.equals(registry.toLowerCase(Locale.ROOT));
  }

  private static boolean dockerHub(String host) {
    return host.equals("docker.io")
        || host.equals("index.docker.io")
        || host.equals("registry-1.docker.io");
  }

  /**
   * A pulled module.
   *
   * @param reference the image pinned to the manifest the module came from
   * @param imageDigest hex SHA-256 of that image manifest (the image's digest)
   * @param indexDigest hex SHA-256 of the image index it was picked from, or null
   * @param module the Wasm module
   */
  public record Pulled(Reference reference, String imageDigest, String indexDigest, byte[] module) {
    /** Hex SHA-256 of the module. */
    public String moduleSha256() {
      return sha256Hex(module);
    }

    /** True when {@code sha256} (hex) is the image's digest, or that of its index. */
    public boolean hasDigest(String sha256) {
      return sha256.equals(imageDigest) || sha256.equals(indexDigest);
    }
  }

  /** The resolved manifest of an image, before its layers are fetched. */
  public record Resolved(
      Reference reference, String imageDigest, String indexDigest, JsonNode manifest) {}

  /**
   * Resolves {@code image} to its manifest (following an index to its platform image).
   *
   * @param credentials the pull secret's credentials for the image's registry, or null
   */
  public Resolved resolve(String image, Credentials credentials)
      throws PullException, InterruptedException {
    try {
      return resolveImage(image, credentials);
    } catch (RuntimeException e) {
      // A registry's odd answer (a bad URL in a challenge or a redirect) is a failed pull, never
      // an exception that stops a translation.
      throw new PullException("could not fetch manifest of " + image + ": " + why(e));
    }
  }

  private Resolved resolveImage(String image, Credentials credentials)
      throws PullException, InterruptedException {
    Reference ref = Reference.parse(image);
    Session s = new Session(ref, credentials);
    Fetched top = s.manifest(ref.identifier());
    String indexDigest = null;
    Fetched manifest = top;
    if (isIndex(top)) {
      indexDigest = top.digest;
      String pick = platformEntry(top.json, ref);
      manifest = s.manifest("sha256:" + pick);
      if (isIndex(manifest)) {
        throw new PullException("the image index of " + ref + " names another index");
      }
    }
    String mt = mediaType(manifest);
    if (!mt.equals(OCI_MANIFEST) && !mt.equals(DOCKER_MANIFEST)) {
      throw new PullException("unsupported manifest media type '" + mt + "' of " + ref);
    }
    return new Resolved(ref.pinned(manifest.digest), manifest.digest, indexDigest, manifest.json);
  }

  /**
   * Pulls the module of {@code image}.
   *
   * @param credentials the pull secret's credentials for the image's registry, or null
   */
  public Pulled pull(String image, Credentials credentials)
      throws PullException, InterruptedException {
    return module(resolve(image, credentials), credentials);
  }

  /** Fetches the module of a resolved image. */
  public Pulled module(Resolved r, Credentials credentials)
      throws PullException, InterruptedException {
    try {
      return moduleOf(r, credentials);
    } catch (RuntimeException e) {
      throw new PullException("could not fetch Wasm binary of " + r.reference() + ": " + why(e));
    }
  }

  private Pulled moduleOf(Resolved r, Credentials credentials)
      throws PullException, InterruptedException {
    Session s = new Session(r.reference(), credentials);
    JsonNode layers = r.manifest().path("layers");
    if (!layers.isArray() || layers.isEmpty()) {
      throw new PullException("the image " + r.reference() + " has no layers");
    }
    JsonNode wasm = null;
    for (JsonNode l : layers) {
      if (WASM_LAYER.equals(l.path("mediaType").asText())) {
        wasm = l;
        break;
      }
    }
    byte[] module;
    if (wasm != null) {
      module = s.blob(wasm);
    } else {
      JsonNode last = layers.get(layers.size() - 1);
      String mt = last.path("mediaType").asText();
      if (!TAR_GZIP_LAYERS.contains(mt)) {
        throw new PullException(
            "the image "
                + r.reference()
                + " has no layer of media type "
                + WASM_LAYER
                + ", and its last layer is "
                + (mt.isEmpty() ? "of no media type" : mt)
                + ", not a tar+gzip layer with "
                + PLUGIN_FILE);
      }
      module = pluginFromTarGzip(s.blob(last), r.reference());
    }
    if (module.length < 4
        || module[0] != 0
        || module[1] != 'a'
        || module[2] != 's'
        || module[3] != 'm') {
      throw new PullException("fetched Wasm binary from " + r.reference() + " is invalid");
    }
    return new Pulled(r.reference(), r.imageDigest(), r.indexDigest(), module);
  }

  private static boolean isIndex(Fetched f) {
    String mt = mediaType(f);
    return mt.equals(OCI_INDEX) || mt.equals(DOCKER_LIST);
  }

  private static String mediaType(Fetched f) {
    String mt = f.json.path("mediaType").asText("");
    if (mt.isEmpty()) {
      mt = f.contentType;
    }
    if (mt.isEmpty() && f.json.has("manifests")) {
      return OCI_INDEX;
    }
    if (mt.isEmpty() && f.json.has("layers")) {
      return OCI_MANIFEST;
    }
    return mt;
  }

  private static String platformEntry(JsonNode index, Reference ref) throws PullException {
    JsonNode entries = index.path("manifests");
    if (!entries.isArray() || entries.isEmpty()) {
      throw new PullException("the image index of " + ref + " lists no manifests");
    }
    JsonNode pick = null;
    if (entries.size() == 1) {
      pick = entries.get(0);
    } else {
      for (JsonNode e : entries) {
        JsonNode p = e.path("platform");
        if ("linux".equals(p.path("os").asText())
            && "amd64".equals(p.path("architecture").asText())) {
          pick = e;
          break;
        }
      }
    }
    if (pick == null) {
      throw new PullException("the image index of " + ref + " has no linux/amd64 manifest");
    }
    Matcher m = DIGEST.matcher(pick.path("digest").asText());
    if (!m.matches()) {
      throw new PullException(
          "the image index of " + ref + " names a manifest without a sha256 digest");
    }
    return m.group(1);
  }

  private record Fetched(String digest, String contentType, JsonNode json) {}

  /** The requests of one pull: one scheme and one token, found out on the first request. */
  private final class Session {
    private final Reference ref;
    private final Credentials credentials;
    private String scheme = "https";
    private String authorization;
    private boolean schemeKnown;

    Session(Reference ref, Credentials credentials) {
      this.ref = ref;
      this.credentials = credentials;
      if (credentials != null && credentials.registryToken() != null) {
        authorization = "Bearer " + credentials.registryToken();
      }
      if (plainHttpRegistry(ref.registry()) && !httpsFirst) {
        scheme = "http";
        schemeKnown = true;
      }
      String known = tokens.get(tokenKey());
      if (known != null) {
        authorization = known;
      }
    }

    private String tokenKey() {
      String who =
          credentials == null
              ? ""
              : sha256Hex(
                  (credentials.username()
                          + "\n"
                          + credentials.password()
                          + "\n"
                          + credentials.identityToken()
                          + "\n"
                          + credentials.registryToken())
                      .getBytes(StandardCharsets.UTF_8));
      return ref.registry() + "/" + ref.repository() + "\n" + who;
    }

    private void remember() {
      if (tokens.size() > 1000) {
        tokens.clear();
      }
      tokens.put(tokenKey(), authorization);
    }

    private String base() {
      String host =
          ref.registry().equals("index.docker.io") ? "registry-1.docker.io" : ref.registry();
      return scheme + "://" + host + "/v2/" + ref.repository();
    }

    Fetched manifest(String identifier) throws PullException, InterruptedException {
      HttpResponse<InputStream> res =
          get(
              "/manifests/" + identifier,
              String.join(", ", OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST));
      if (res.statusCode() != 200) {
        close(res);
        throw new PullException(
            "could not fetch manifest "
                + ref.repository()
                + ":"
                + identifier
                + " from "
                + ref.registry()
                + ": HTTP "
                + res.statusCode()
                + reason(res.statusCode()));
      }
      byte[] body = read(res, MAX_MANIFEST_BYTES, "manifest");
      String digest = sha256Hex(body);
      Matcher m = DIGEST.matcher(identifier);
      if (m.matches() && !m.group(1).equals(digest)) {
        throw new PullException(
            "the manifest of " + ref + " has digest sha256:" + digest + ", not " + identifier);
      }
      JsonNode json;
      try {
        json = Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new PullException("the manifest of " + ref + " is not JSON");
      }
      if (json == null || !json.isObject()) {
        throw new PullException("the manifest of " + ref + " is not a JSON object");
      }
      String ct = res.headers().firstValue("Content-Type").orElse("");
      int semi = ct.indexOf(';');
      return new Fetched(digest, (semi >= 0 ? ct.substring(0, semi) : ct).trim(), json);
    }

    byte[] blob(JsonNode descriptor) throws PullException, InterruptedException {
      Matcher m = DIGEST.matcher(descriptor.path("digest").asText());
      if (!m.matches()) {
        throw new PullException(
            "a layer of "
                + ref
                + " has digest '"
                + descriptor.path("digest").asText()
                + "', not a sha256 one");
      }
      long size = descriptor.path("size").asLong(-1);
      if (size > MAX_BYTES) {
        throw new PullException("a layer of " + ref + " is larger than " + MAX_BYTES + " bytes");
      }
      HttpResponse<InputStream> res = get("/blobs/" + m.group(0), "*/*");
      for (int hops = 0; isRedirect(res.statusCode()) && hops < 5; hops++) {
        String location = res.headers().firstValue("Location").orElse(null);
        close(res);
        if (location == null) {
          throw new PullException("the registry redirected a blob of " + ref + " nowhere");
        }
        URI target = URI.create(base()).resolve(location);
        // The registry's token is not sent to the storage a blob is redirected to.
        res = send(HttpRequest.newBuilder(target).timeout(timeout).GET().build());
      }
      if (res.statusCode() != 200) {
        close(res);
        throw new PullException(
            "could not fetch layer "
                + m.group(0)
                + " of "
                + ref
                + ": HTTP "
                + res.statusCode()
                + reason(res.statusCode()));
      }
      byte[] body = read(res, MAX_BYTES, "layer");
      String got = sha256Hex(body);
      if (!got.equals(m.group(1))) {
        throw new PullException(
            "the layer " + m.group(0) + " of " + ref + " has digest sha256:" + got);
      }
      if (size >= 0 && size != body.length) {
        throw new PullException(
            "the layer "
                + m.group(0)
                + " of "
                + ref
                + " has "
                + body.length
                + " bytes, not "
                + size);
      }
      return body;
    }

    private HttpResponse<InputStream> get(String path, String accept)
        throws PullException, InterruptedException {
      HttpResponse<InputStream> res = request(path, accept);
      if (res.statusCode() == 401) {
        String challenge = res.headers().firstValue("WWW-Authenticate").orElse("");
        close(res);
        authenticate(challenge);
        res = request(path, accept);
      }
      return res;
    }

    private HttpResponse<InputStream> request(String path, String accept)
        throws PullException, InterruptedException {
      if (!schemeKnown) {
        try {
          HttpResponse<InputStream> res = send(build(path, accept));
          schemeKnown = true;
          return res;
        } catch (PlainHttpAnswer e) {
          // The registry speaks plain HTTP (a local or insecure one): Envoy Gateway falls back.
          scheme = "http";
          schemeKnown = true;
        }
      }
      return send(build(path, accept));
    }

    private HttpRequest build(String path, String accept) throws PullException {
      HttpRequest.Builder b;
      try {
        b = HttpRequest.newBuilder(URI.create(base() + path));
      } catch (IllegalArgumentException e) {
        throw new PullException("could not parse url in image reference " + ref);
      }
      b.timeout(timeout).header("Accept", accept).GET();
      if (authorization != null) {
        b.header("Authorization", authorization);
      }
      return b.build();
    }

    private void authenticate(String challenge) throws PullException, InterruptedException {
      String lower = challenge.toLowerCase(Locale.ROOT);
      if (lower.startsWith("basic")) {
        if (credentials == null || !credentials.basic()) {
          throw new PullException(
              "the registry " + ref.registry() + " asks for credentials, and there are none");
        }
        authorization = credentials.basicHeader();
        remember();
        return;
      }
      if (!lower.startsWith("bearer")) {
        throw new PullException(
            "the registry "
                + ref.registry()
                + " answered 401 with an unknown challenge '"
                + challenge
                + "'");
      }
      Map<String, String> params = new LinkedHashMap<>();
      Matcher m = CHALLENGE_PARAM.matcher(challenge.substring("bearer".length()));
      while (m.find()) {
        params.put(
            m.group(1).toLowerCase(Locale.ROOT), m.group(2) != null ? m.group(2) : m.group(3));
      }
      String realm = params.get("realm");
      if (realm == null || realm.isEmpty()) {
        throw new PullException(
            "the registry " + ref.registry() + " asks for a bearer token without a realm");
      }
      String scope = params.getOrDefault("scope", "repository:" + ref.repository() + ":pull");
      StringBuilder q = new StringBuilder();
      if (params.get("service") != null) {
        q.append("service=").append(enc(params.get("service"))).append('&');
      }
      q.append("scope=").append(enc(scope));
      URI tokenUri;
      try {
        tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + q);
      } catch (IllegalArgumentException e) {
        throw new PullException("the registry's token realm " + realm + " is not a URL");
      }
      if (!tokenUri.getScheme().equals("https")
          && !(tokenUri.getScheme().equals("http") && scheme.equals("http"))) {
        throw new PullException("the registry's token realm " + realm + " is not an https URL");
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).timeout(timeout);
      if (credentials != null && credentials.identityToken() != null) {
        String form =
            "grant_type=refresh_token&refresh_token="
                + enc(credentials.identityToken())
                + "&client_id=eg4j&"
                + q;
        b = HttpRequest.newBuilder(URI.create(realm)).timeout(timeout);
        b.header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
      } else {
        if (credentials != null && credentials.basic()) {
          b.header("Authorization", credentials.basicHeader());
        }
        b.GET();
      }
      HttpResponse<InputStream> res = send(b.build());
      if (res.statusCode() != 200) {
        close(res);
        throw new PullException(
            "the token endpoint of "
                + ref.registry()
                + " answered HTTP "
                + res.statusCode()
                + (res.statusCode() == 401 || res.statusCode() == 403
                    ? " (failed to login to the registry: check the pull secret)"
                    : ""));
      }
      JsonNode t;
      try {
        t = Json.MAPPER.readTree(read(res, 1024 * 1024, "token"));
      } catch (IOException e) {
        throw new PullException("the token endpoint of " + ref.registry() + " answered no JSON");
      }
      String token = t == null ? null : text(t, "token");
      if (token == null) {
        token = t == null ? null : text(t, "access_token");
      }
      if (token == null) {
        throw new PullException("the token endpoint of " + ref.registry() + " gave no token");
      }
      authorization = "Bearer " + token;
      remember();
    }

    private HttpResponse<InputStream> send(HttpRequest req)
        throws PullException, InterruptedException {
      try {
        return client.send(req, HttpResponse.BodyHandlers.ofInputStream());
      } catch (SSLException e) {
        if (req.uri().getScheme().equals("https") && !schemeKnown && plainAnswer(e)) {
          throw new PlainHttpAnswer();
        }
        throw new PullException("could not reach " + req.uri().getHost() + ": " + why(e));
      } catch (IOException e) {
        if (req.uri().getScheme().equals("https") && !schemeKnown && plainAnswer(e)) {
          throw new PlainHttpAnswer();
        }
        throw new PullException("could not reach " + req.uri().getHost() + ": " + why(e));
      }
    }

    private String reason(int status) {
      return switch (status) {
        case 401, 403 -> " (failed to login to the registry: check the pull secret)";
        case 404 -> " (no such image)";
        default -> "";
      };
    }
  }

  /**
   * True for a registry spoken to in plain HTTP, as Envoy Gateway's registry client (Docker's
   * naming rules) does: {@code localhost}, a loopback address, or a private (RFC 1918) IPv4 one.
   */
  static boolean plainHttpRegistry(String registry) {
    String host = registry;
    if (host.startsWith("[")) {
      host = host.substring(1, Math.max(1, host.indexOf(']')));
    } else if (host.indexOf(':') == host.lastIndexOf(':') && host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    if (host.equals("localhost") || host.equals("::1")) {
      return true;
    }
    Matcher ip = IPV4.matcher(host);
    if (!ip.matches()) {
      return false;
    }
    int a = Integer.parseInt(ip.group(1));
    int b = Integer.parseInt(ip.group(2));
    return a == 127 || a == 10 || a == 172 && b >= 16 && b <= 31 || a == 192 && b == 168;
  }

  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.\\d{1,3}\\.\\d{1,3}");

  /** A TLS handshake answered in plain HTTP. */
  private static final class PlainHttpAnswer extends PullException {
    PlainHttpAnswer() {
      super("the registry answered in plain HTTP");
    }
  }

  private static boolean plainAnswer(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (t instanceof SSLException
          && m != null
          && (m.contains("plaintext") || m.contains("Unsupported or unrecognized SSL message"))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static String why(Throwable e) {
    String m = e.getMessage();
    return m != null && !m.isBlank() ? m : e.getClass().getSimpleName();
  }

  private static void close(HttpResponse<InputStream> res) {
    try {
      res.body().close();
    } catch (IOException ignored) {
      // nothing more to read
    }
  }

  private static byte[] read(HttpResponse<InputStream> res, long max, String what)
      throws PullException {
    try (InputStream in = res.body()) {
      return readBounded(in, max, what);
    } catch (PullException e) {
      throw e;
    } catch (IOException e) {
      throw new PullException("could not read the " + what + ": " + why(e));
    }
  }

  private static byte[] readBounded(InputStream in, long max, String what) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[65536];
    long total = 0;
    for (int n; (n = in.read(buf)) > 0; ) {
      total += n;
      if (total > max) {
        throw new PullException("the " + what + " is larger than " + max + " bytes");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /** The {@value #PLUGIN_FILE} of a gzip-compressed tar (ustar, with GNU and PAX long names). */
  static byte[] pluginFromTarGzip(byte[] layer, Reference ref) throws PullException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(layer))) {
      byte[] header = new byte[512];
      String longName = null;
      while (true) {
        if (!readFully(in, header)) {
          break;
        }
        boolean zero = true;
        for (byte b : header) {
          if (b != 0) {
            zero = false;
            break;
          }
        }
        if (zero) {
          break;
        }
        String name = cString(header, 0, 100);
        String prefix = cString(header, 345, 155);
        if (!prefix.isEmpty() && "ustar".equals(cString(header, 257, 5))) {
          name = prefix + "/" + name;
        }
        long size = octal(header, 124, 12);
        if (size < 0 || size > MAX_BYTES) {
          throw new PullException("the layer of " + ref + " is not a valid tar archive");
        }
        char type = (char) header[156];
        byte[] data = readExactly(in, size);
        skip(in, (512 - size % 512) % 512);
        if (type == 'L') {
          longName = cString(data, 0, data.length);
          continue;
        }
        if (type == 'x') {
          String path = paxPath(data);
          if (path != null) {
            longName = path;
          }
          continue;
        }
        if (longName != null) {
          name = longName;
          longName = null;
        }
        if ((type == '0' || type == 0)
            && (name.equals(PLUGIN_FILE) || name.endsWith("/" + PLUGIN_FILE))) {
          return data;
        }
      }
    } catch (PullException e) {
      throw e;
    } catch (IOException e) {
      throw new PullException(
          "could not extract wasm binary from the layer of " + ref + ": " + why(e));
    }
    throw new PullException(PLUGIN_FILE + " not found in the layer of " + ref);
  }

  private static byte[] readExactly(InputStream in, long size) throws IOException {
    byte[] data = new byte[(int) size];
    if (!readFully(in, data)) {
      throw new IOException("truncated tar archive");
    }
    return data;
  }

  private static boolean readFully(InputStream in, byte[] b) throws IOException {
    int off = 0;
    while (off < b.length) {
      int n = in.read(b, off, b.length - off);
      if (n < 0) {
        if (off == 0) {
          return false;
        }
        throw new IOException("truncated tar archive");
      }
      off += n;
    }
    return true;
  }

  private static void skip(InputStream in, long n) throws IOException {
    byte[] pad = new byte[(int) n];
    readFully(in, pad);
  }

  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && end < b.length && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] b, int off, int len) {
    String s = cString(b, off, len).trim();
    if (s.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(s, 8);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String paxPath(byte[] data) {
    String all = new String(data, StandardCharsets.UTF_8);
    for (String rec : all.split("\n")) {
      int sp = rec.indexOf(' ');
      if (sp > 0 && rec.startsWith("path=", sp + 1)) {
        return rec.substring(sp + 1 + "path=".length());
      }
    }
    return null;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Hex SHA-256 of {@code bytes}. */
  public static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
