package io.eg4j.standalone.policy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;

/**
 * RS256 keys and tokens made in the test, and a JWKS endpoint on 127.0.0.1, for the JWT and
 * authorization end-to-end tests. No JOSE library: a JWT is three base64url parts and an RSA
 * signature.
 */
final class Jwts {
  private Jwts() {}

  static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String unsigned(BigInteger i) {
    byte[] b = i.toByteArray();
    if (b.length > 1 && b[0] == 0) {
      byte[] t = new byte[b.length - 1];
      System.arraycopy(b, 1, t, 0, t.length);
      b = t;
    }
    return b64(b);
  }

  /** A JWKS with the public key under {@code kid}. */
  static String jwks(KeyPair k, String kid) {
    RSAPublicKey pub = (RSAPublicKey) k.getPublic();
    return "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\""
        + kid
        + "\",\"n\":\""
        + unsigned(pub.getModulus())
        + "\",\"e\":\""
        + unsigned(pub.getPublicExponent())
        + "\"}]}";
  }

  /** A signed token with the given claims (a JSON object's members, without braces). */
  static String token(KeyPair k, String kid, String claims) throws Exception {
    long now = System.currentTimeMillis() / 1000;
    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}";
    String payload = "{" + claims + ",\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}";
    String signingInput =
        b64(header.getBytes(StandardCharsets.UTF_8))
            + "."
            + b64(payload.getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(k.getPrivate());
    s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64(s.sign());
  }

  /** Serves {@code body} at {@code /jwks.json} on 127.0.0.1, on a free port. */
  static HttpServer serve(String body) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext(
        "/jwks.json",
        ex -> {
          byte[] b = body.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("content-type", "application/json");
          ex.sendResponseHeaders(200, b.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
          }
        });
    server.start();
    return server;
  }
}
