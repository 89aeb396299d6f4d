package io.eg4j.standalone.cli;

import java.io.PrintStream;
import java.util.List;

/** Placeholder for {@code eg4j certgen}; its owner replaces this file. */
public final class CertgenCommand {
  private CertgenCommand() {}

  /** Runs the command; returns the process exit code. */
  public static int run(List<String> args, PrintStream out, PrintStream err) {
    err.println("eg4j certgen: not implemented yet");
    return 2;
  }
}
