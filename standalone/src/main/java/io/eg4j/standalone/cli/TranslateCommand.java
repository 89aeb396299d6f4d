package io.eg4j.standalone.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;

/** Placeholder for {@code eg4j translate}; its owner replaces this file. */
public final class TranslateCommand {
  private TranslateCommand() {}

  /** Runs the command; returns the process exit code. */
  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
    err.println("eg4j translate: not implemented yet");
    return 2;
  }
}
