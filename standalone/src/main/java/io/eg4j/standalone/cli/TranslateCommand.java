package io.eg4j.standalone.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code translate --config FILE --output status|written-status|ir|xds|envoy-static FILE...}: runs
 * the translator once over manifest files ({@code -} reads stdin) and prints the result as
 * multi-document YAML. No Spring context and no Kafka, so it starts fast.
 *
 * <p>Exit codes: 0 on success (invalid resources are reported as status conditions, not errors), 1
 * for unreadable or malformed input (with file and line), 2 for usage errors and outputs that are
 * not available in this build.
 */
public final class TranslateCommand {
  private static final String USAGE =
      "usage: translate [--config FILE] [--output status|written-status|ir|xds|envoy-static] FILE... ('-' reads stdin)";

  private TranslateCommand() {}

  /** Entry point for running the command on its own. */
  public static void main(String[] args) {
    List<String> list = new ArrayList<>(List.of(args));
    if (!list.isEmpty() && list.get(0).equals("translate")) {
      list.remove(0);
    }
    int rc = run(list, System.in, System.out, System.err);
    System.out.flush();
    System.exit(rc);
  }

  /**
   * Runs the command.
   *
   * @param args arguments after {@code translate}
   * @return the exit code
   */
  public static int run(List<String> args, InputStream stdin, PrintStream out, PrintStream err) {
    String configFile = null;
    String output = "status";
    List<String> files = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--config", "-c" -> {
          if (++i >= args.size()) {
            err.println("--config needs a file\n" + USAGE);
            return 2;
          }
          configFile = args.get(i);
        }
        case "--output", "-o" -> {
          if (++i >= args.size()) {
            err.println("--output needs a value\n" + USAGE);
            return 2;
          }
          output = args.get(i);
        }
        case "-h", "--help" -> {
          out.println(USAGE);
          return 0;
        }
        default -> {
          if (a.startsWith("--config=")) {
            configFile = a.substring("--config=".length());
          } else if (a.startsWith("--output=")) {
            output = a.substring("--output=".length());
          } else if (a.startsWith("-") && !a.equals("-")) {
            err.println("unknown option " + a + "\n" + USAGE);
            return 2;
          } else {
            files.add(a);
          }
        }
      }
    }
    if (!List.of("status", "written-status", "ir", "xds", "envoy-static").contains(output)) {
      err.println("unknown output " + output + "\n" + USAGE);
      return 2;
    }
    if (files.isEmpty()) {
      err.println("no input files\n" + USAGE);
      return 2;
    }
    EnvoyGatewayConfig config;
    List<ObjectNode> objects = new ArrayList<>();
    try {
      config =
          configFile == null
              // The configuration `run DIR` uses when given none, so that translating a
              // directory shows what running it serves.
              ? EnvoyGatewayConfig.from(
                  io.eg4j.model.bus.Json.YAML.readTree(
                      io.eg4j.standalone.launcher.Standalone.defaultConfigText(
                          files.isEmpty() ? "." : files.get(0))))
              : EnvoyGatewayConfig.from(readConfig(configFile, stdin));
      for (String f : files) {
        if (f.equals("-")) {
          objects.addAll(ManifestReader.read("<stdin>", stdin));
        } else {
          objects.addAll(ManifestReader.read(Path.of(f)));
        }
      }
    } catch (ManifestReader.ManifestException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    TranslateResult result = new Translator(config).translate(ResourceSnapshot.of(objects));
    try {
      switch (output) {
        case "status" -> printStatuses(result, objects, out, false);
        case "written-status" -> printStatuses(result, objects, out, true);
        case "ir" -> printIr(result, out);
        default -> {
          return printXds(output, result, out, err);
        }
      }
    } catch (IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    out.flush();
    return 0;
  }

  private static JsonNode readConfig(String file, InputStream stdin) throws IOException {
    try {
      if (file.equals("-")) {
        return Json.YAML.readTree(stdin);
      }
      JsonNode doc = Json.YAML.readTree(Files.readAllBytes(Path.of(file)));
      return doc == null ? JsonNodeFactory.instance.objectNode() : doc;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new ManifestReader.ManifestException(
          file, line, "invalid YAML: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Prints the statuses. {@code written}: as the status writer stores them, with the Gateway's
   * top-level Accepted condition it adds (Envoy Gateway's provider sets that condition, not its
   * translator, so the translator's own statuses leave it out). Programmed comes from the running
   * fleet and is not shown.
   */
  private static void printStatuses(
      TranslateResult result, List<ObjectNode> objects, PrintStream out, boolean written)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    for (ResourceStatus s : result.statuses()) {
      ObjectNode doc = JsonNodeFactory.instance.objectNode();
      doc.put("apiVersion", s.apiVersion());
      doc.put("kind", s.key().kind());
      ObjectNode meta = doc.putObject("metadata");
      meta.put("name", s.key().name());
      if (!s.key().namespace().isEmpty()) {
        meta.put("namespace", s.key().namespace());
      }
      JsonNode status = s.status();
      if (written
          && io.eg4j.statuswriter.core.GatewayAccepted.isGateway(s.key())
          && status instanceof ObjectNode o) {
        ObjectNode copy = o.deepCopy();
        io.eg4j.statuswriter.core.GatewayAccepted.addUnlessRejected(copy, 0);
        status = copy;
      }
      doc.set("status", status);
      sb.append("---\n").append(Json.YAML.writeValueAsString(doc));
    }
    out.print(sb);
  }

  private static void printIr(TranslateResult result, PrintStream out) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, XdsIr> e : new java.util.TreeMap<>(result.xdsIr()).entrySet()) {
      ObjectNode doc = JsonNodeFactory.instance.objectNode();
      doc.put("kind", "XdsIR");
      doc.put("key", e.getKey());
      doc.set("ir", Json.CANONICAL.valueToTree(e.getValue()));
      sb.append("---\n").append(Json.YAML.writeValueAsString(doc));
    }
    for (Map.Entry<String, InfraIr> e : new java.util.TreeMap<>(result.infraIr()).entrySet()) {
      ObjectNode doc = JsonNodeFactory.instance.objectNode();
      doc.put("kind", "InfraIR");
      doc.put("key", e.getKey());
      doc.set("ir", Json.CANONICAL.valueToTree(e.getValue()));
      sb.append("---\n").append(Json.YAML.writeValueAsString(doc));
    }
    out.print(sb);
  }

  /** Uses the xds-server's {@code XdsOutput} when this build has it. */
  private static int printXds(
      String output, TranslateResult result, PrintStream out, PrintStream err) {
    Class<?> xdsOutput;
    try {
      xdsOutput = Class.forName("io.eg4j.xds.core.XdsOutput");
    } catch (ClassNotFoundException e) {
      err.println(
          "--output "
              + output
              + " is not available: this build has no xDS output (io.eg4j.xds.core.XdsOutput)");
      return 2;
    }
    String method = output.equals("xds") ? "configDump" : "envoyStatic";
    try {
      Method m = xdsOutput.getMethod(method, XdsIr.class);
      for (XdsIr ir : new java.util.TreeMap<>(result.xdsIr()).values()) {
        Object text = m.invoke(null, ir);
        out.print("---\n");
        out.print(text);
        if (!String.valueOf(text).endsWith("\n")) {
          out.print("\n");
        }
      }
      return 0;
    } catch (ReflectiveOperationException e) {
      err.println("--output " + output + " failed: " + e);
      return 2;
    }
  }

  static String toUtf8(ByteArrayOutputStream b) {
    return b.toString(StandardCharsets.UTF_8);
  }
}
