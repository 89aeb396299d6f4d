package io.eg4j.model.bus;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
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
 * is {@code base64(keyId || format || iv || ciphertext+tag)} so that a reader can pick the right
 * key during rotation. The format byte says what was encrypted: {@code 0x00} the payload itself,
 * {@code 0x01} a zstd frame of it ({@link #sealCompressed}). A compressed payload's format byte is
 * also authenticated with the ciphertext. Records of either format are read, whichever writer made
 * them.
 *
 * <p>A payload is compressed only when the Secret material in it is already sealed value by value
 * ({@link #sealValue}, {@link SecretValues}): compressing secrets together with text a route author
 * controls would let record sizes reveal the secrets (a CRIME-like oracle). A sealed value is
 * deterministic (its IV is derived from the value), so an unchanged secret gives unchanged bytes
 * (readers still recognise unchanged routes by their bytes), and says nothing to the compressor
 * about what it holds.
 */
public final class SecretBox {
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;

  /** The length of the GCM tag at the end of every ciphertext. */
  static final int TAG_BYTES = TAG_BITS / 8;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The format byte of a sealed payload that is the document itself. */
  static final byte FORMAT_PLAIN = 0;

  /** The format byte of a sealed payload that is a zstd frame of the document. */
  static final byte FORMAT_ZSTD = 1;

  /** The smallest document {@link #sealCompressed} compresses. */
  static final int COMPRESS_FROM = 1024;

  /** The first character of a value sealed by {@link #sealValue}. */
  static final char SEALED_VALUE = '\u0000';

  /** The zstd level: the fastest of the regular levels (a 1,000-route xDS IR: 600 KB to 9 KB). */
  private static final int ZSTD_LEVEL = 1;

  /** The largest document a compressed payload may open to (an xDS IR of 10,000 routes: ~9 MB). */
  static final int MAX_OPENED_BYTES = 512 * 1024 * 1024;

  private final String keyId;
  private final byte[] keyIdBytes;
  private final SecretKey key;
  private final SecretKey valueKey;
  private final byte[] valueIvKey;

  /** A box around a 32-byte key, identified by {@code keyId}. */
  public SecretBox(String keyId, byte[] keyBytes) {
    if (keyBytes.length != 32) {
      throw new IllegalArgumentException("AES-256 key must be 32 bytes, got " + keyBytes.length);
    }
    if (keyId.isEmpty() || keyId.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
      throw new IllegalArgumentException(
          "bus key id must be printable ASCII, got \"" + keyId + "\"");
    }
    this.keyId = keyId;
    this.keyIdBytes = keyId.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    this.key = new SecretKeySpec(keyBytes, "AES");
    // Sealed values use keys of their own, derived from the bus key, since their IVs are not
    // random.
    this.valueKey = new SecretKeySpec(hmac(keyBytes, "eg4j sealed value key"), "AES");
    this.valueIvKey = hmac(keyBytes, "eg4j sealed value iv");
  }

  private static byte[] hmac(byte[] key, String data) {
    return hmac(key, data.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
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
    return new SealedNode(this, iv, FORMAT_PLAIN, plain);
  }

  /**
   * {@link #sealJson}, with the document compressed (zstd) before it is encrypted when it has
   * {@value #COMPRESS_FROM} bytes or more and compressing makes it smaller. Only for a document
   * whose Secret material is sealed value by value ({@link SecretValues}), or that holds none: see
   * the class comment. At 5,000 routes an xDS IR of 3.3 MB becomes ~60 KB on the bus.
   */
  public JsonNode sealCompressed(byte[] doc) {
    if (doc.length >= COMPRESS_FROM) {
      byte[] compressed = Zstd.compress(doc, ZSTD_LEVEL);
      if (compressed.length < doc.length) {
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        return new SealedNode(this, iv, FORMAT_ZSTD, compressed);
      }
    }
    return sealJson(doc);
  }

  /**
   * One secret value sealed on its own: {@code U+0000, keyId, ":", base64(iv || ciphertext+tag)},
   * under a key derived from the bus key, the IV derived from the value (HMAC), so the same value
   * always seals to the same text. {@link #openValue} reads it back.
   */
  public String sealValue(String value) {
    byte[] plain = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] iv = java.util.Arrays.copyOf(hmac(valueIvKey, plain), IV_BYTES);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, valueKey, new GCMParameterSpec(TAG_BITS, iv));
      byte[] out = new byte[IV_BYTES + cipher.getOutputSize(plain.length)];
      System.arraycopy(iv, 0, out, 0, IV_BYTES);
      cipher.doFinal(plain, 0, plain.length, out, IV_BYTES);
      return SEALED_VALUE + keyId + ":" + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt value", e);
    }
  }

  /**
   * Whether a string has the form of a value {@link #sealValue} sealed: U+0000, a key id of
   * printable ASCII, ':' and Base64. A secret whose own text starts with U+0000 is not taken for
   * one unless it has that whole form.
   */
  public static boolean isSealedValue(String s) {
    if (s == null || s.length() < 3 || s.charAt(0) != SEALED_VALUE) {
      return false;
    }
    int colon = s.indexOf(':');
    if (colon < 2) {
      return false;
    }
    for (int i = 1; i < colon; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    for (int i = colon + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean base64 =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '+'
              || c == '/'
              || c == '=';
      if (!base64) {
        return false;
      }
    }
    return colon + 1 < s.length();
  }

  /** The value {@link #sealValue} sealed into {@code sealed}. */
  public String openValue(String sealed) {
    int colon = sealed.indexOf(':');
    if (!isSealedValue(sealed) || colon < 0) {
      throw new IllegalStateException("not a sealed value");
    }
    String id = sealed.substring(1, colon);
    if (!id.equals(keyId)) {
      throw new IllegalStateException(
          "value was encrypted with key " + id + ", this service holds key " + keyId);
    }
    try {
      byte[] all = Base64.getDecoder().decode(sealed.substring(colon + 1));
      if (all.length < IV_BYTES + TAG_BYTES) {
        throw new IllegalStateException("cannot decrypt value: too short");
      }
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, valueKey, new GCMParameterSpec(TAG_BITS, all, 0, IV_BYTES));
      return new String(
          cipher.doFinal(all, IV_BYTES, all.length - IV_BYTES),
          java.nio.charset.StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("cannot decrypt value: " + e.getMessage(), e);
    }
  }

  /** The length of what goes before the ciphertext: key id, separator, IV. */
  int headerLength() {
    return keyIdBytes.length + 1 + IV_BYTES;
  }

  /**
   * Writes {@code keyId || format || iv || ciphertext+tag}, encrypting {@code chunk} bytes a time.
   */
  void writeSealed(byte[] iv, byte format, byte[] plain, java.io.OutputStream out, int chunk)
      throws IOException {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
      if (format != FORMAT_PLAIN) {
        cipher.updateAAD(new byte[] {format});
      }
      out.write(keyIdBytes);
      out.write(format);
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

  /**
   * Decrypts the sealed bytes {@code keyId || format || iv || ciphertext+tag} into the document,
   * decompressing it when the format says so.
   */
  byte[] openSealed(byte[] all) {
    int sep = 0;
    while (sep < all.length && (all[sep] & 0xff) >= 0x20) {
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
    byte format = all[sep];
    if (format != FORMAT_PLAIN && format != FORMAT_ZSTD) {
      throw new IllegalStateException(
          "cannot decrypt payload: unknown sealed format "
              + format
              + " (written by a newer eg4j?)");
    }
    byte[] opened;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, sep + 1, IV_BYTES));
      if (format != FORMAT_PLAIN) {
        cipher.updateAAD(new byte[] {format});
      }
      opened = cipher.doFinal(all, sep + 1 + IV_BYTES, all.length - sep - 1 - IV_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot decrypt payload: " + e.getMessage(), e);
    }
    return format == FORMAT_ZSTD ? decompress(opened) : opened;
  }

  /**
   * The document a zstd frame holds; the frame must say its size, at most {@link
   * #MAX_OPENED_BYTES}.
   */
  private static byte[] decompress(byte[] frame) {
    long size = Zstd.getFrameContentSize(frame);
    if (size < 0 || size > MAX_OPENED_BYTES) {
      throw new IllegalStateException(
          "cannot decompress payload: "
              + (size < 0 ? "the zstd frame does not say its size" : size + " bytes is too large"));
    }
    try {
      byte[] doc = Zstd.decompress(frame, (int) size);
      if (doc.length != size) {
        throw new IllegalStateException(
            "cannot decompress payload: " + doc.length + " bytes, the frame says " + size);
      }
      return doc;
    } catch (ZstdException e) {
      throw new IllegalStateException("cannot decompress payload: " + e.getMessage(), e);
    }
  }
}
