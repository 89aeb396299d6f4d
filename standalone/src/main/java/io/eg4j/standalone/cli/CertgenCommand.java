package io.eg4j.standalone.cli;

import io.eg4j.xds.core.CertGen;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code eg4j certgen --out DIR [--san NAME]... [--days N]}: writes a CA, an xds-server certificate
 * and an Envoy client certificate as PEM files, for mTLS between Envoy and the xds-server.
 */
public final class CertgenCommand {
  private static final String USAGE =
      "usage: eg4j certgen --out DIR [--san NAME_OR_IP]... [--days N]\n"
          + "  writes ca.crt, ca.key, server.crt, server.key, client.crt, client.key into DIR";

  private CertgenCommand() {}

  /** Runs the command; returns the process exit code (0 ok, 2 usage error, 1 failure). */
  public static int run(List<String> args, PrintStream out, PrintStream err) {
    Path dir = null;
    List<String> sans = new ArrayList<>();
    long days = 365;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String value = i + 1 < args.size() ? args.get(i + 1) : null;
      switch (a) {
        case "-h", "--help" -> {
          out.println(USAGE);
          return 0;
        }
        case "--out", "--san", "--days" -> {
          if (value == null) {
            err.println("eg4j certgen: " + a + " needs a value\n" + USAGE);
            return 2;
          }
          i++;
          if (a.equals("--out")) {
            dir = Path.of(value);
          } else if (a.equals("--san")) {
            sans.add(value);
          } else {
            try {
              days = Long.parseLong(value);
            } catch (NumberFormatException e) {
              err.println("eg4j certgen: --days is not a number: " + value);
              return 2;
            }
            if (days < 1) {
              err.println("eg4j certgen: --days must be at least 1");
              return 2;
            }
          }
        }
        default -> {
          err.println("eg4j certgen: unknown argument " + a + "\n" + USAGE);
          return 2;
        }
      }
    }
    if (dir == null) {
      err.println("eg4j certgen: --out is required\n" + USAGE);
      return 2;
    }
    try {
      for (Path p : CertGen.generate(sans, Duration.ofDays(days)).writeTo(dir)) {
        out.println("wrote " + p);
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      err.println("eg4j certgen: " + e.getMessage());
      return 1;
    }
  }
}
