package io.eg4j.watcher.kafka;

import io.eg4j.model.bus.ContentHash;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The content hash of a sealed payload. The ciphertext changes on every seal (fresh IV), so it
 * cannot be hashed; a plain hash of the plaintext would let anyone who reads the topic confirm a
 * guessed secret. An HMAC under a key derived from the bus key is stable and reveals nothing.
 */
public final class SealedHash {
  private final byte[] key;

  /**
   * A hasher.
   *
   * @param busKeyMaterial the bus key (or any secret bytes that the watcher alone uses for this)
   */
  public SealedHash(byte[] busKeyMaterial) {
    this.key =
        HexFormat.of()
            .parseHex(
                ContentHash.sha256(
                    ("eg4j-sealed-hash:" + HexFormat.of().formatHex(busKeyMaterial))
                        .getBytes(StandardCharsets.UTF_8)));
  }

  /** The keyed hash of a plaintext content hash. */
  public String of(String plaintextHash) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return "hmac:"
          + HexFormat.of().formatHex(mac.doFinal(plaintextHash.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
