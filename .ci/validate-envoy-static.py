#!/usr/bin/env python3
"""For every status-corpus case, asks the CLI's `translate --output envoy-static` for the complete
static Envoy config of each IR key, and checks that `envoy --mode validate` accepts it. Prints the
count; exits non-zero only when the tooling itself fails (a rejected config is a finding, printed
with Envoy's reason, not a CI failure).

The CLI's translate command runs in one JVM for all cases (a small driver calls
TranslateCommand.run, the code `./eg4j translate` runs): a JVM per case costs about 1 s on an idle
machine and over 10 s on a loaded CI box, which made this check take an hour. `./eg4j help` runs
first so the launcher jar is rebuilt when a source is newer."""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

import yaml

cases_dir = os.path.abspath(sys.argv[1])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
names = sorted(n for n in os.listdir(cases_dir) if os.path.isdir(os.path.join(cases_dir, n)))
tmp = tempfile.mkdtemp(prefix="eg4j-validate-")
workers = int(os.environ.get("EG4J_VALIDATE_WORKERS", "2"))

DRIVER = r"""
import io.eg4j.standalone.cli.TranslateCommand;
import java.io.*;
import java.nio.file.*;
import java.util.List;

/** Runs `translate --output envoy-static` for each case directory; writes NAME.out / NAME.err. */
public class TranslateAll {
  public static void main(String[] a) throws Exception {
    Path cases = Path.of(a[0]);
    Path out = Path.of(a[1]);
    for (int i = 2; i < a.length; i++) {
      Path d = cases.resolve(a[i]);
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      ByteArrayOutputStream e = new ByteArrayOutputStream();
      int rc;
      try {
        rc = TranslateCommand.run(
            List.of("--config", d.resolve("config.yaml").toString(), "--output", "envoy-static",
                d.resolve("input.yaml").toString()),
            InputStream.nullInputStream(), new PrintStream(o, true, "UTF-8"),
            new PrintStream(e, true, "UTF-8"));
      } catch (Throwable t) {
        rc = 99;
        e.write(String.valueOf(t).getBytes("UTF-8"));
      }
      Files.write(out.resolve(a[i] + ".out"), o.toByteArray());
      if (rc != 0) {
        Files.writeString(out.resolve(a[i] + ".err"), "exited " + rc + ": " + e.toString("UTF-8"));
      }
    }
  }
}
"""


def translate_all():
    subprocess.run(["./eg4j", "help"], cwd=root, check=True, stdout=subprocess.DEVNULL)
    target = os.path.join(root, "standalone", "target")
    with open(os.path.join(target, "classpath.txt")) as f:
        cp = os.path.join(target, "eg4j-standalone-0.1.0-SNAPSHOT.jar") + ":" + f.read().strip()
    driver = os.path.join(tmp, "TranslateAll.java")
    with open(driver, "w") as f:
        f.write(DRIVER)
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    subprocess.run(["java", "-cp", cp, driver, cases_dir, out] + names, check=True)
    return out


def check(name, out):
    err = os.path.join(out, name + ".err")
    if os.path.exists(err):
        with open(err) as f:
            return name, 0, 0, ["translate " + f.read().strip()[-300:]]
    with open(os.path.join(out, name + ".out")) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    ok, problems = 0, []
    for i, doc in enumerate(docs):
        path = os.path.join(tmp, "%s-%d.yaml" % (name, i))
        with open(path, "w") as f:
            yaml.safe_dump(doc, f)
        v = subprocess.run(["envoy", "--mode", "validate", "--disable-hot-restart", "-l", "error",
                            "-c", path], capture_output=True, text=True, timeout=120)
        if v.returncode == 0:
            ok += 1
        else:
            problems.append((v.stdout + v.stderr).strip().splitlines()[-1:] or ["rejected"])
    return name, ok, len(docs), [str(x) for x in problems]


out_dir = translate_all()
total_docs = total_ok = cases_ok = cases_with_config = 0
failures = []
with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
    for name, ok, n, problems in pool.map(lambda n: check(n, out_dir), names):
        total_docs += n
        total_ok += ok
        if n:
            cases_with_config += 1
        if problems:
            failures.append((name, problems))
        elif n:
            cases_ok += 1
for name, problems in failures[:40]:
    print("  REJECTED %s: %s" % (name, "; ".join(problems)[:400]))
print("envoy --mode validate: %d of %d static configs accepted; %d of %d cases with a config fully"
      " accepted (%d cases have no Gateway to configure)"
      % (total_ok, total_docs, cases_ok, cases_with_config, len(names) - cases_with_config
         - sum(1 for _, p in failures if p and p[0].startswith("translate"))))
