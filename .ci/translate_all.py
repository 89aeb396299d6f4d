"""Runs the CLI's `translate` for many corpus cases in one JVM.

A JVM per case costs about 1 s on an idle machine and over 10 s on a loaded CI box, so the CI
checks call TranslateCommand.run (the code `./eg4j translate` runs) from a small driver, once per
case and output kind. `./eg4j help` runs first so the launcher jar is rebuilt when a source is
newer. For each case NAME and output KIND it writes NAME.KIND.out, and NAME.KIND.err when the
command failed."""
import os
import subprocess
import tempfile

DRIVER = r"""
import io.eg4j.standalone.cli.TranslateCommand;
import java.io.*;
import java.nio.file.*;
import java.util.List;

/** Runs `translate --output KIND` for each case directory and kind; writes NAME.KIND.out/.err. */
public class TranslateAll {
  public static void main(String[] a) throws Exception {
    Path cases = Path.of(a[0]);
    Path out = Path.of(a[1]);
    String[] kinds = a[2].split(",");
    for (int i = 3; i < a.length; i++) {
      Path d = cases.resolve(a[i]);
      for (String kind : kinds) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc;
        try {
          rc = TranslateCommand.run(
              List.of("--config", d.resolve("config.yaml").toString(), "--output", kind,
                  d.resolve("input.yaml").toString()),
              InputStream.nullInputStream(), new PrintStream(o, true, "UTF-8"),
              new PrintStream(e, true, "UTF-8"));
        } catch (Throwable t) {
          rc = 99;
          e.write(String.valueOf(t).getBytes("UTF-8"));
        }
        Files.write(out.resolve(a[i] + "." + kind + ".out"), o.toByteArray());
        if (rc != 0) {
          Files.writeString(out.resolve(a[i] + "." + kind + ".err"),
              "exited " + rc + ": " + e.toString("UTF-8"));
        }
      }
    }
  }
}
"""


def translate_all(root, cases_dir, names, kinds):
    """Translates every case in `names` to every output kind; returns the output directory."""
    subprocess.run(["./eg4j", "help"], cwd=root, check=True, stdout=subprocess.DEVNULL)
    target = os.path.join(root, "standalone", "target")
    with open(os.path.join(target, "classpath.txt")) as f:
        cp = os.path.join(target, "eg4j-standalone-0.1.0-SNAPSHOT.jar") + ":" + f.read().strip()
    tmp = tempfile.mkdtemp(prefix="eg4j-translate-all-")
    driver = os.path.join(tmp, "TranslateAll.java")
    with open(driver, "w") as f:
        f.write(DRIVER)
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    subprocess.run(["java", "-cp", cp, driver, cases_dir, out, ",".join(kinds)] + list(names),
                   check=True)
    return out


def result(out, name, kind):
    """(text, error): the output of one case and kind, or the error it exited with."""
    err = os.path.join(out, "%s.%s.err" % (name, kind))
    if os.path.exists(err):
        with open(err) as f:
            return None, f.read().strip()
    with open(os.path.join(out, "%s.%s.out" % (name, kind))) as f:
        return f.read(), None
