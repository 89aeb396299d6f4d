package io.eg4j.xds.core;

import io.eg4j.model.ir.XdsIr;
import java.io.IOException;
import java.util.List;

/** Access to the golden IR cases for tests in other packages. */
public final class XdsGoldenCases {
  private XdsGoldenCases() {}

  /** The case names. */
  public static List<String> names() throws IOException {
    return XdsGoldenTest.cases().toList();
  }

  /** Reads one case's IR, replacing text pairs first. */
  public static XdsIr read(String name, String... replacements) throws IOException {
    return XdsGoldenTest.readIr(name, replacements);
  }
}
