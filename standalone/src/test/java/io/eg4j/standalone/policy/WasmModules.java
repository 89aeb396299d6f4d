package io.eg4j.standalone.policy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Tiny proxy-wasm modules for end-to-end tests, encoded here so that no Wasm toolchain is needed.
 * The module below (ABI 0.2.1) adds one response header on every response it sees, through the host
 * function {@code proxy_add_header_map_value}; its text form is:
 *
 * <pre>
 * (module
 *   (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   (func (export "proxy_abi_version_0_2_1"))
 *   (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 4096))
 *   (func (export "proxy_on_context_create") (param i32 i32))
 *   (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
 *   (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
 *     (drop (call $add (i32.const 2) (i32.const 16) (i32.const NAME_LEN)
 *                      (i32.const 40) (i32.const VALUE_LEN)))
 *     (i32.const 0))
 *   (data (i32.const 16) "NAME")
 *   (data (i32.const 40) "VALUE"))
 * </pre>
 */
final class WasmModules {
  private WasmModules() {}

  private static final int I32 = 0x7f;

  /**
   * A module that adds response header {@code name: value} (each at most 23 ASCII bytes, so that
   * offsets and lengths stay one-byte LEB128 numbers).
   */
  static byte[] addResponseHeader(String name, String value) {
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    if (n.length > 23 || v.length > 23) {
      throw new IllegalArgumentException("header name and value are limited to 23 bytes");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
    section(
        out,
        1,
        vec(
            5,
            bytes(0x60, 5, I32, I32, I32, I32, I32, 1, I32), // 0: the host function
            bytes(0x60, 0, 0), // 1: () -> ()
            bytes(0x60, 1, I32, 1, I32), // 2: (i32) -> i32
            bytes(0x60, 2, I32, I32, 0), // 3: (i32 i32) -> ()
            bytes(0x60, 3, I32, I32, I32, 1, I32))); // 4: (i32 i32 i32) -> i32
    section(
        out, 2, vec(1, concat(name("env"), name("proxy_add_header_map_value"), bytes(0x00, 0))));
    section(out, 3, vec(5, bytes(1), bytes(2), bytes(3), bytes(4), bytes(4)));
    section(out, 5, vec(1, bytes(0x00, 1)));
    section(
        out,
        7,
        vec(
            6,
            concat(name("memory"), bytes(0x02, 0)),
            concat(name("proxy_abi_version_0_2_1"), bytes(0x00, 1)),
            concat(name("proxy_on_memory_allocate"), bytes(0x00, 2)),
            concat(name("proxy_on_context_create"), bytes(0x00, 3)),
            concat(name("proxy_on_request_headers"), bytes(0x00, 4)),
            concat(name("proxy_on_response_headers"), bytes(0x00, 5))));
    section(
        out,
        10,
        vec(
            5,
            body(bytes(0x0b)),
            body(bytes(0x41, 0x80, 0x20, 0x0b)), // i32.const 4096
            body(bytes(0x0b)),
            body(bytes(0x41, 0x00, 0x0b)), // Continue
            body(
                bytes(
                    0x41, 2, 0x41, 16, 0x41, n.length, 0x41, 40, 0x41, v.length, // arguments
                    0x10, 0, // call the host function
                    0x1a, // drop its result
                    0x41, 0x00, 0x0b)))); // Continue
    section(
        out,
        11,
        vec(
            2,
            concat(bytes(0x00, 0x41, 16, 0x0b), vecBytes(n)),
            concat(bytes(0x00, 0x41, 40, 0x0b), vecBytes(v))));
    return out.toByteArray();
  }

  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] leb(int v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    do {
      int b = v & 0x7f;
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
    return out.toByteArray();
  }

  private static byte[] vecBytes(byte[] b) {
    return concat(leb(b.length), b);
  }

  private static byte[] name(String s) {
    return vecBytes(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] vec(int count, byte[]... items) {
    return concat(leb(count), concat(items));
  }

  /** A function body: no locals, then the instructions. */
  private static byte[] body(byte[] code) {
    return vecBytes(concat(bytes(0x00), code));
  }

  private static void section(ByteArrayOutputStream out, int id, byte[] content) {
    out.write(id);
    out.writeBytes(vecBytes(content));
  }
}
