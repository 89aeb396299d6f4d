package io.eg4j.standalone;

import io.eg4j.standalone.cli.CertgenCommand;
import io.eg4j.standalone.cli.TranslateCommand;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code eg4j} command: {@code run}, {@code translate}, {@code certgen} and {@code help}.
 *
 * <p>Dispatch touches no Spring or Kafka class until {@code run} is chosen, so {@code translate}
 * starts in a fraction of a second.
 */
public final class Main {
  private Main() {}

  /** Entry point; exits with the command's status. */
  public static void main(String[] args) {
    int code = run(Arrays.asList(args), System.out, System.err);
    if (code >= 0) {
      System.exit(code);
    }
  }

  /**
   * Runs a command.
   *
   * @return the exit status, or -1 when the command keeps running in the background ({@code run})
   */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.isEmpty()) {
      usage(err);
      return 2;
    }
    List<String> rest = args.subList(1, args.size());
    switch (args.get(0)) {
      case "translate":
        return TranslateCommand.run(rest, System.in, out, err);
      case "certgen":
        return CertgenCommand.run(rest, out, err);
      case "run":
        return RunCommand.run(rest, out, err);
      case "help", "-h", "--help":
        usage(out);
        return 0;
      default:
        err.println("eg4j: unknown command " + args.get(0));
        usage(err);
        return 2;
    }
  }

  /** The usage of {@code run}, also printed by {@code eg4j run --help}. */
  static final String RUN_USAGE =
      """
        run DIR [--demo-echo] [--data-dir D] [--clean] [--config FILE] [--envoy PATH]
            [--port-offset N]
            Run eg4j on this machine: a Kafka broker (KRaft) and the five services in one JVM,
            reading Gateway API manifests from DIR and running Envoy as local processes.
            --demo-echo   start an echo backend for each 127.0.0.1 Backend endpoint in DIR
            --data-dir D  where the broker, statuses and proxy files live (default .eg4j/data;
                          one instance per data directory)
            --clean       wipe the data directory first
            --port-offset N  add N to every default port: broker 19092, xDS 18000, actuators
                          19001-19005, rate limit metrics 19006 (a port in use is replaced by
                          a free one, with a line that says so); for a second instance
            --config FILE an EnvoyGateway config file (default: file provider, host infra,
                          Backend API enabled)
            --envoy PATH  the envoy binary (default: envoy on PATH)
        run --kubeconfig [FILE] [--controller-namespace NS] [--data-dir D] [--clean]
            [--config FILE] [--port-offset N] [--xds-address ADDR]
            Run the broker and the five services on this machine against a Kubernetes cluster:
            the watcher watches the cluster's Gateway API objects, the status-writer writes
            their statuses, the provisioner creates the proxy fleets (Deployment, Service, ...)
            in the cluster, the xds-server serves xDS on 127.0.0.1.
            --kubeconfig [FILE]  the cluster's kubeconfig (its current context); without FILE,
                          the files of KUBECONFIG, else ~/.kube/config, as kubectl
            --controller-namespace NS  the control plane's namespace: proxy fleets and Leases
                          (default envoy-gateway-system; created when missing)
            --config FILE an EnvoyGateway config file (default: Envoy Gateway's defaults)
            --xds-address ADDR  the xds-server listens on ADDR (default 127.0.0.1) and the
                          proxies' bootstraps name it, with mTLS: the client certificate goes
                          into the Secret envoy of the controller namespace""";

  static void usage(PrintStream s) {
    s.print("Usage: eg4j COMMAND [ARGS]\n\nCommands:\n");
    s.print(RUN_USAGE.indent(2));
    s.print(
        """
          translate [--config FILE] [--output status|written-status|ir|xds|envoy-static] FILE...
              Translate manifests offline and print the result (without --config, the
              configuration run uses: file provider, host infrastructure, Backend API on).
          certgen [ARGS]
              Generate the xDS TLS certificates.
          help
              This text.
        """);
  }

  /** {@code eg4j run --help}. */
  static void runUsage(PrintStream s) {
    s.print("Usage: eg4j run ...\n");
    s.print(RUN_USAGE.indent(2));
  }
}
