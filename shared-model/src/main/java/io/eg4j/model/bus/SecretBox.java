package io.eg4j.model.bus;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM encryption of payloads that carry Secret data (DESIGN.md invariant 6). The ciphertext
 * is {@code base64(keyId || 0x00 || iv || ciphertext+tag)} so that a reader can pick the right key
 * during rotation.
 */
public final class SecretBox {
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;

  /** The length of the GCM tag at the end of every ciphertext. */
  static final int TAG_BYTES = TAG_BITS / 8;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String keyId;
  private final byte[] keyIdBytes;
  private final SecretKey key;

  /** A box around a 32-byte key, identified by {@code keyId}. */
  public SecretBox(String keyId, byte[] keyBytes) {
    if (keyBytes.length != 32) {
      throw new IllegalArgumentException("AES-256 key must be 32 bytes, got " + keyBytes.length);
    }
    this.keyId = keyId;
    this.keyIdBytes = keyId.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    this.key = new SecretKeySpec(keyBytes, "AES");
  }

  /**
   * Loads the key file (32 raw bytes or 44 base64 characters), creating it with mode 0600 when it
   * does not exist and {@code create} is true. Standalone mode creates it under the data dir.
   */
  public static SecretBox fromFile(Path file, boolean create) throws IOException {
    if (!Files.exists(file)) {
      if (!create) {
        throw new IOException("bus encryption key not found: " + file);
      }
      byte[] fresh = new byte[32];
      RANDOM.nextBytes(fresh);
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, Base64.getEncoder().encodeToString(fresh));
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // not a POSIX file system; nothing more we can do
      }
    }
    byte[] raw = Files.readAllBytes(file);
    byte[] keyBytes = raw.length == 32 ? raw : Base64.getDecoder().decode(new String(raw).trim());
    return new SecretBox(ContentHash.sha256(keyBytes).substring(0, 8), keyBytes);
  }

  /** The short id of this key, written in front of every ciphertext. */
  public String keyId() {
    return keyId;
  }

  /** Encrypts the JSON of {@code payload} into a text node. */
  public JsonNode seal(JsonNode payload) {
    try {
      return sealJson(Json.MAPPER.writeValueAsBytes(payload));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encrypt payload", e);
    }
  }

  /**
   * Encrypts a JSON document given as UTF-8 bytes (a value written straight to bytes, without a
   * tree) into a text node; {@link #open} reads it back as that document. The node is a {@link
   * SealedNode}: it encrypts as it is written, so an envelope around it is written into one array
   * without the ciphertext, its Base64 text and a String of it in between (issue #16). The bytes
   * must not change afterwards.
   */
  public JsonNode sealJson(byte[] plain) {
    byte[] iv = new byte[IV_BYTES];
    RANDOM.nextBytes(iv);
    return new SealedNode(this, iv, plain);
  }

  /** The length of what goes before the ciphertext: key id, separator, IV. */
  int headerLength() {
    return keyIdBytes.length + 1 + IV_BYTES;
  }

  /**
   * Writes {@code keyId || 0x00 || iv || ciphertext+tag}, encrypting {@code chunk} bytes a time.
   */
  void writeSealed(byte[] iv, byte[] plain, java.io.OutputStream out, int chunk)
      throws IOException {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
      out.write(keyIdBytes);
      out.write(0);
      out.write(iv);
      byte[] buf = new byte[cipher.getOutputSize(Math.min(chunk, plain.length))];
      for (int off = 0; off < plain.length; off += chunk) {
        int n = Math.min(chunk, plain.length - off);
        if (buf.length < cipher.getOutputSize(n)) {
          buf = new byte[cipher.getOutputSize(n)];
        }
        out.write(buf, 0, cipher.update(plain, off, n, buf, 0));
      }
      if (buf.length < cipher.getOutputSize(0)) {
        buf = new byte[cipher.getOutputSize(0)];
      }
      out.write(buf, 0, cipher.doFinal(buf, 0));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt payload", e);
    }
  }

  /** Decrypts what {@link #seal} produced. */
  public JsonNode open(JsonNode sealed) {
    try {
      return Json.MAPPER.readTree(openJson(sealed));
    } catch (IOException e) {
      throw new IllegalStateException("cannot decrypt payload: " + e.getMessage(), e);
    }
  }

  /**
   * Decrypts what {@link #seal} or {@link #sealJson} produced into the JSON document's UTF-8 bytes,
   * for a reader that binds them to a type without building a tree first. The node is the text node
   * an envelope was read with, a {@link SealedNode}, or the binary node of the sealed bytes ({@link
   * EnvelopeSerde.EnvelopeDeserializer#deserializeSealed}, which decodes the Base64 text as it
   * reads it).
   */
  public byte[] openJson(JsonNode sealed) {
    byte[] all;
    if (sealed instanceof SealedNode s) {
      all = s.sealedBytes();
    } else if (sealed instanceof com.fasterxml.jackson.databind.node.BinaryNode b) {
      all = b.binaryValue();
    } else {
      all = Base64.getDecoder().decode(sealed.asText());
    }
    return openSealed(all);
  }

  /** Decrypts the sealed bytes {@code keyId || 0x00 || iv || ciphertext+tag}. */
  byte[] openSealed(byte[] all) {
    try {
      int sep = 0;
      while (sep < all.length && all[sep] != 0) {
        sep++;
      }
      String id = new String(all, 0, sep, java.nio.charset.StandardCharsets.US_ASCII);
      if (!id.equals(keyId)) {
        throw new IllegalStateException(
            "payload was encrypted with key " + id + ", this service holds key " + keyId);
      }
      if (all.length < sep + 1 + IV_BYTES + TAG_BYTES) {
        throw new IllegalStateException("cannot decrypt payload: too short");
      }
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, sep + 1, IV_BYTES));
      return cipher.doFinal(all, sep + 1 + IV_BYTES, all.length - sep - 1 - IV_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot decrypt payload: " + e.getMessage(), e);
    }
  }
}
