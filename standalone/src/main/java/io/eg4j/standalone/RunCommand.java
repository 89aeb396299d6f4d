package io.eg4j.standalone;

import io.eg4j.standalone.launcher.KubernetesCluster;
import io.eg4j.standalone.launcher.KubernetesTarget;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code eg4j run DIR} (files) or {@code eg4j run --kubeconfig [FILE]} (a cluster): starts the
 * broker and the five services and keeps them running until Ctrl-C.
 */
final class RunCommand {
  private RunCommand() {}

  /**
   * Parsed arguments of {@code run}.
   *
   * @param kubernetes {@code --kubeconfig} was given: Kubernetes mode
   * @param kubeconfig its file, or null for {@code KUBECONFIG} or {@code ~/.kube/config}
   * @param controllerNamespace {@code --controller-namespace}, or null for envoy-gateway-system
   * @param help {@code --help}: print the usage of run and start nothing
   * @param portOffset {@code --port-offset}: added to every default port
   * @param xdsAddress {@code --xds-address}: where the xds-server listens and the proxies reach it
   *     (Kubernetes mode), or null for 127.0.0.1
   */
  record Args(
      Path dir,
      Path dataDir,
      boolean clean,
      boolean demoEcho,
      Path config,
      String envoy,
      boolean kubernetes,
      Path kubeconfig,
      String controllerNamespace,
      boolean help,
      int portOffset,
      String xdsAddress) {
    Args(Path dir, Path dataDir, boolean clean, boolean demoEcho, Path config, String envoy) {
      this(dir, dataDir, clean, demoEcho, config, envoy, false, null, null, false, 0, null);
    }
  }

  /** Parses {@code run} arguments; throws IllegalArgumentException with a usage message. */
  static Args parse(List<String> args) {
    Path dir = null;
    Path dataDir = Path.of(".eg4j", "data");
    boolean clean = false;
    boolean demoEcho = false;
    Path config = null;
    String envoy = null;
    boolean kubernetes = false;
    Path kubeconfig = null;
    String namespace = null;
    int portOffset = 0;
    String xdsAddress = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--help", "-h" -> {
          return new Args(
              null, dataDir, false, false, null, null, false, null, null, true, 0, null);
        }
        case "--kubeconfig" -> {
          kubernetes = true;
          // The file is optional: without one, KUBECONFIG or ~/.kube/config (as kubectl).
          if (i + 1 < args.size() && !args.get(i + 1).startsWith("-")) {
            kubeconfig = Path.of(args.get(++i));
          }
        }
        case "--controller-namespace" -> namespace = value(args, ++i, a);
        case "--xds-address" -> xdsAddress = value(args, ++i, a);
        case "--clean" -> clean = true;
        case "--demo-echo" -> demoEcho = true;
        case "--data-dir" -> dataDir = Path.of(value(args, ++i, a));
        case "--config" -> config = Path.of(value(args, ++i, a));
        case "--envoy" -> envoy = value(args, ++i, a);
        case "--port-offset" -> portOffset = portOffset(value(args, ++i, a));
        default -> {
          if (a.startsWith("--kubeconfig=")) {
            kubernetes = true;
            kubeconfig = Path.of(a.substring("--kubeconfig=".length()));
          } else if (a.startsWith("--xds-address=")) {
            xdsAddress = a.substring("--xds-address=".length());
          } else if (a.startsWith("--controller-namespace=")) {
            namespace = a.substring("--controller-namespace=".length());
          } else if (a.startsWith("--data-dir=")) {
            dataDir = Path.of(a.substring("--data-dir=".length()));
          } else if (a.startsWith("--config=")) {
            config = Path.of(a.substring("--config=".length()));
          } else if (a.startsWith("--port-offset=")) {
            portOffset = portOffset(a.substring("--port-offset=".length()));
          } else if (a.startsWith("--envoy=")) {
            envoy = a.substring("--envoy=".length());
          } else if (a.startsWith("-")) {
            throw new IllegalArgumentException("unknown option " + a);
          } else if (dir != null) {
            throw new IllegalArgumentException("only one manifest directory, got " + a);
          } else {
            dir = Path.of(a);
          }
        }
      }
    }
    if (kubernetes) {
      if (dir != null) {
        throw new IllegalArgumentException(
            "a manifest directory (" + dir + ") and --kubeconfig exclude each other");
      }
      if (demoEcho) {
        throw new IllegalArgumentException("--demo-echo is for a manifest directory");
      }
    } else {
      if (namespace != null) {
        throw new IllegalArgumentException("--controller-namespace needs --kubeconfig");
      }
      if (xdsAddress != null) {
        throw new IllegalArgumentException("--xds-address needs --kubeconfig");
      }
      if (dir == null) {
        throw new IllegalArgumentException(
            "missing the manifest directory: eg4j run DIR (or eg4j run --kubeconfig [FILE])");
      }
    }
    return new Args(
        dir,
        dataDir,
        clean,
        demoEcho,
        config,
        envoy,
        kubernetes,
        kubeconfig,
        namespace,
        false,
        portOffset,
        xdsAddress);
  }

  private static int portOffset(String v) {
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--port-offset needs a number, got " + v);
    }
    if (n < 0 || n > StandaloneOptions.MAX_PORT_OFFSET) {
      throw new IllegalArgumentException(
          "--port-offset must be between 0 and "
              + StandaloneOptions.MAX_PORT_OFFSET
              + ", got "
              + n);
    }
    return n;
  }

  private static String value(List<String> args, int i, String option) {
    if (i >= args.size()) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args.get(i);
  }

  static int run(List<String> rawArgs, PrintStream out, PrintStream err) {
    Args a;
    try {
      a = parse(rawArgs);
    } catch (IllegalArgumentException e) {
      err.println("eg4j run: " + e.getMessage());
      return 2;
    }
    if (a.help()) {
      Main.runUsage(out);
      return 0;
    }
    System.setProperty("eg4j.log.file", a.dataDir().resolve("logs/eg4j.log").toString());
    if (a.kubernetes()) {
      // For the process's life: fabric8 rereads the kubeconfig to refresh expired credentials.
      KubernetesCluster.useForThisProcess(a.kubeconfig());
    }
    StandaloneOptions options =
        new StandaloneOptions(
            a.dir(),
            a.dataDir(),
            a.clean(),
            a.demoEcho(),
            true,
            a.envoy(),
            a.config(),
            null,
            out,
            a.kubernetes()
                ? new KubernetesTarget(
                    a.kubeconfig(), a.controllerNamespace(), null, a.xdsAddress())
                : null,
            a.portOffset());
    Standalone standalone;
    try {
      standalone = Standalone.start(options);
    } catch (Exception e) {
      err.println("eg4j run: could not start: " + e.getMessage());
      if (!(e instanceof KubernetesCluster.UnavailableException)) {
        err.println("  details in " + a.dataDir().resolve("logs/eg4j.log"));
      }
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println("Stopping eg4j...");
                  standalone.close();
                  out.println("Stopped: no broker or Envoy process is left running.");
                  stopped.countDown();
                },
                "eg4j-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
