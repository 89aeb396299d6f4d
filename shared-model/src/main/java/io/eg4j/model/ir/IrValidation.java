package io.eg4j.model.ir;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Shared checks used by the IR records' compact constructors. */
public final class IrValidation {
  private IrValidation() {}

  public static <T> void uniqueNames(String what, List<T> items, Function<T, String> name) {
    Set<String> seen = new HashSet<>();
    for (T item : items) {
      String n = name.apply(item);
      if (!seen.add(n)) {
        throw new IllegalArgumentException("duplicate " + what + " name: " + n);
      }
    }
  }

  public static String requireName(String name, String what) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(what + " must have a name");
    }
    return name;
  }

  public static int requirePort(int port, String what) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " port out of range: " + port);
    }
    return port;
  }
}
