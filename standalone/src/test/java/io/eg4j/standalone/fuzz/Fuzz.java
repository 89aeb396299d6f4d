package io.eg4j.standalone.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.eg4j.xds.core.XdsOutput;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The translation fuzzer (issue #15): mutates the status-corpus inputs ({@link Mutator}, seeded)
 * and runs each mutated case through what {@code ./eg4j translate} runs, in process: the
 * translator, the status output and the {@code envoy-static} output of every IR.
 *
 * <p>It records every exception that escapes (case, mutation, path, stack trace) and every
 * translation slower than the time limit; writes each distinct static Envoy config once (by content
 * hash) under {@code OUT/configs/} for {@code .ci/fuzz-validate.py} to check with {@code envoy
 * --mode validate}; and, for every condition a mutation newly turns False on the mutated object,
 * whether its message names the mutated field.
 *
 * <p>Usage: {@code Fuzz CASES_DIR OUT_DIR [--mutations N] [--seed S] [--only I]}.
 */
public final class Fuzz {
  private static final long TIMEOUT_SECONDS = 60;

  private final Path casesDir;
  private final Path out;
  private final List<String> names;
  private final Map<String, EnvoyGatewayConfig> configs = new HashMap<>();
  private final Map<String, List<ObjectNode>> inputs = new HashMap<>();
  private final Map<String, Map<ResourceKey, Set<String>>> baselineFalse = new HashMap<>();
  private final Set<String> hashes = new HashSet<>();
  private final StringBuilder baselines = new StringBuilder();
  private final List<String> exceptions = new ArrayList<>();
  private final List<String> unnamed = new ArrayList<>();
  private final Map<String, Integer> ops = new TreeMap<>();
  private int mutations;
  private int skipped;
  private int outputs;
  private int noStatus;
  private int rejections;
  private int named;
  private int quoted;
  private long slowestMillis;
  private String slowest = "";
  private ExecutorService worker = Executors.newSingleThreadExecutor(Fuzz::daemon);

  private Fuzz(Path casesDir, Path out) throws IOException {
    this.casesDir = casesDir;
    this.out = out;
    try (Stream<Path> s = Files.list(casesDir)) {
      this.names =
          s.filter(p -> Files.isRegularFile(p.resolve("input.yaml")))
              .map(p -> p.getFileName().toString())
              .sorted()
              .toList();
    }
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "fuzz-translate");
    t.setDaemon(true);
    return t;
  }

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    int count = 10_000;
    long seed = 1;
    int only = -1;
    List<String> pos = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--mutations" -> count = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--only" -> only = Integer.parseInt(args[++i]);
        default -> pos.add(args[i]);
      }
    }
    Fuzz f = new Fuzz(Path.of(pos.get(0)), Path.of(pos.get(1)));
    Files.createDirectories(f.out.resolve("configs"));
    long start = System.nanoTime();
    if (only >= 0) {
      f.runOne(seed, only);
    } else {
      for (int i = 0; i < count; i++) {
        f.runOne(seed, i);
        if ((i + 1) % 1000 == 0) {
          System.err.printf(
              "fuzz: %d mutations, %d distinct configs, %d exceptions (%ds)%n",
              i + 1,
              f.hashes.size(),
              f.exceptions.size(),
              (System.nanoTime() - start) / 1_000_000_000L);
        }
      }
    }
    f.report(seed, (System.nanoTime() - start) / 1_000_000L);
    System.exit(0);
  }

  private void runOne(long seed, int i) throws Exception {
    String name = names.get(i % names.size());
    Random r = new Random(seed * 1_000_003L + i);
    List<ObjectNode> objects = new ArrayList<>();
    for (ObjectNode o : input(name)) {
      objects.add(o.deepCopy());
    }
    if (objects.isEmpty()) {
      skipped++;
      return;
    }
    baseline(name);
    ObjectNode target = objects.get(r.nextInt(objects.size()));
    ResourceKey key = ResourceSnapshot.keyOf(target);
    Mutator.Mutation m = Mutator.mutate(target, r);
    if (m == null) {
      skipped++;
      return;
    }
    mutations++;
    ops.merge(m.op(), 1, Integer::sum);
    String where =
        "#"
            + i
            + " "
            + name
            + " "
            + key.kind()
            + "/"
            + key.name()
            + " "
            + m.op()
            + " "
            + m.path()
            + (m.value().isEmpty() ? "" : " = " + m.value());
    EnvoyGatewayConfig config = configs.get(name);
    long t0 = System.nanoTime();
    Future<Outcome> fut = worker.submit(() -> translate(config, objects));
    Outcome o;
    try {
      o = fut.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      fut.cancel(true);
      worker = Executors.newSingleThreadExecutor(Fuzz::daemon);
      exceptions.add(where + "\n  translation did not finish within " + TIMEOUT_SECONDS + " s");
      return;
    } catch (java.util.concurrent.ExecutionException e) {
      exceptions.add(where + "\n" + trace(e.getCause()));
      return;
    }
    long ms = (System.nanoTime() - t0) / 1_000_000L;
    if (ms > slowestMillis) {
      slowestMillis = ms;
      slowest = where;
    }
    if (o.statuses.isEmpty() && !baseline(name).isEmpty()) {
      noStatus++;
    }
    for (String doc : o.envoyStatic) {
      outputs++;
      write(doc, where);
    }
    if (m.path().startsWith("metadata.name") || m.path().startsWith("metadata.namespace")) {
      return; // the object's status is keyed by its new name: nothing to compare
    }
    // A rejected input: the mutated object has a False condition it did not have unmutated. It
    // names its field when one of those conditions' messages does.
    Set<String> before = baseline(name).getOrDefault(key, Set.of());
    List<String> fresh = new ArrayList<>();
    for (ResourceStatus s : o.statuses) {
      if (s.key().equals(key)) {
        Set<String> after = new HashSet<>();
        falseConditions(s.status(), "", after);
        after.stream().filter(c -> !before.contains(c)).sorted().forEach(fresh::add);
      }
    }
    if (fresh.isEmpty()) {
      return;
    }
    rejections++;
    if (fresh.stream().anyMatch(c -> names(c.substring(c.indexOf("|message=") + 9), m))) {
      named++;
    } else if (quotes(fresh, m.text())) {
      // Not the field, but the message quotes the value written there.
      quoted++;
      unnamed.add(where + " (value quoted)\n  " + String.join("\n  ", fresh).replace('\r', ' '));
    } else {
      unnamed.add(where + "\n  " + String.join("\n  ", fresh).replace('\r', ' '));
    }
  }

  /** Writes a static config once, headed by where it came from. */
  private void write(String doc, String origin) {
    try {
      String h = sha(doc);
      if (hashes.add(h)) {
        Files.writeString(
            out.resolve("configs").resolve(h + ".yaml"),
            "# " + origin.replace('\n', ' ').replace('\r', ' ') + "\n" + doc,
            StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** What one translation produced. */
  private record Outcome(List<ResourceStatus> statuses, List<String> envoyStatic) {}

  private static Outcome translate(EnvoyGatewayConfig config, List<ObjectNode> objects)
      throws IOException {
    TranslateResult result = new Translator(config).translate(ResourceSnapshot.of(objects));
    // The status output, as `translate --output status` prints it.
    StringBuilder sb = new StringBuilder();
    for (ResourceStatus s : result.statuses()) {
      ObjectNode doc = JsonNodeFactory.instance.objectNode();
      doc.put("kind", s.key().kind());
      doc.set("status", s.status());
      sb.append("---\n").append(Json.YAML.writeValueAsString(doc));
    }
    List<String> docs = new ArrayList<>();
    for (XdsIr ir : new TreeMap<>(result.xdsIr()).values()) {
      docs.add(XdsOutput.envoyStatic(ir));
    }
    return new Outcome(result.statuses(), docs);
  }

  private List<ObjectNode> input(String name) throws IOException {
    if (!inputs.containsKey(name)) {
      Path d = casesDir.resolve(name);
      JsonNode cfg = Json.YAML.readTree(Files.readAllBytes(d.resolve("config.yaml")));
      configs.put(
          name, EnvoyGatewayConfig.from(cfg == null ? JsonNodeFactory.instance.objectNode() : cfg));
      List<ObjectNode> objs;
      try {
        objs = ManifestReader.read(d.resolve("input.yaml"));
      } catch (ManifestReader.ManifestException e) {
        objs = List.of(); // a case about unreadable input: nothing reaches the translator
      }
      inputs.put(name, objs);
    }
    return inputs.get(name);
  }

  private Map<ResourceKey, Set<String>> baseline(String name) {
    return baselineFalse.computeIfAbsent(
        name,
        n -> {
          Map<ResourceKey, Set<String>> map = new HashMap<>();
          List<ResourceStatus> statuses;
          try {
            Outcome o = translate(configs.get(n), inputs.get(n));
            statuses = o.statuses;
            // The unmutated case's configs, so that a mutated config Envoy rejects can be told
            // from one whose case Envoy rejects already (the corpus validation step's finding).
            for (String doc : o.envoyStatic) {
              write(doc, "baseline " + n);
              baselines.append(sha(doc)).append(' ').append(n).append('\n');
            }
          } catch (IOException | RuntimeException e) {
            exceptions.add(n + " unmutated\n" + trace(e));
            statuses = List.of();
          }
          for (ResourceStatus s : statuses) {
            Set<String> set = new HashSet<>();
            falseConditions(s.status(), "", set);
            map.put(s.key(), set);
          }
          return map;
        });
  }

  /** Every False condition in a status, as "where|type|reason|message=...". */
  private static void falseConditions(JsonNode n, String at, Set<String> out) {
    if (n instanceof ObjectNode o) {
      JsonNode conds = o.get("conditions");
      if (conds instanceof ArrayNode a) {
        for (JsonNode c : a) {
          if ("False".equals(c.path("status").asText())) {
            out.add(
                at
                    + "|"
                    + c.path("type").asText()
                    + "|"
                    + c.path("reason").asText()
                    + "|message="
                    + c.path("message").asText());
          }
        }
      }
      o.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("conditions")) {
                  falseConditions(e.getValue(), at + "." + e.getKey(), out);
                }
              });
    } else if (n instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        falseConditions(a.get(i), at + "[" + i + "]", out);
      }
    }
  }

  /**
   * Whether a message names the mutated field: its name (any case), its words ({@code backendRefs}
   * as "backend refs"), or its singular.
   */
  static boolean names(String message, Mutator.Mutation m) {
    String msg = message.toLowerCase(Locale.ROOT);
    String field = m.field();
    List<String> forms = new ArrayList<>();
    forms.add(field);
    forms.add(field.replaceAll("([a-z])([A-Z])", "$1 $2"));
    if (field.endsWith("s") && field.length() > 3) {
      forms.add(field.substring(0, field.length() - 1));
      forms.add(field.substring(0, field.length() - 1).replaceAll("([a-z])([A-Z])", "$1 $2"));
    }
    for (String f : forms) {
      if (!f.isEmpty() && msg.contains(f.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  /** Whether a message quotes a mutated string value (its first 20 characters, at least 3). */
  private static boolean quotes(List<String> conditions, String value) {
    if (value == null) {
      return false;
    }
    String v = value.strip();
    int end = 0;
    while (end < v.length() && end < 20 && !Character.isISOControl(v.charAt(end))) {
      end++;
    }
    String head = v.substring(0, end);
    return head.length() >= 3 && conditions.stream().anyMatch(c -> c.contains(head));
  }

  private void report(long seed, long millis) throws IOException {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("seed", seed);
    s.put("cases", names.size());
    s.put("mutations", mutations);
    s.put("skipped", skipped);
    s.put("ops", ops);
    s.put("exceptions", exceptions.size());
    s.put("envoyStaticOutputs", outputs);
    s.put("distinctConfigs", hashes.size());
    s.put("mutationsWithoutStatus", noStatus);
    s.put("newRejections", rejections);
    s.put("rejectionsNamingField", named);
    s.put("rejectionsQuotingValueOnly", quoted);
    s.put("slowestMillis", slowestMillis);
    s.put("slowest", slowest);
    s.put("millis", millis);
    Files.writeString(out.resolve("summary.json"), Json.MAPPER.writeValueAsString(s));
    Files.writeString(out.resolve("baselines.txt"), baselines);
    Files.writeString(out.resolve("exceptions.txt"), String.join("\n\n", exceptions) + "\n");
    Files.writeString(out.resolve("unnamed.txt"), String.join("\n", unnamed) + "\n");
    System.out.printf(
        "fuzz: seed %d, %d mutations of %d cases (%s) in %.0f s%n",
        seed, mutations, names.size(), ops, millis / 1000.0);
    System.out.printf("fuzz: %d exceptions escaped translation%n", exceptions.size());
    for (String e : exceptions.subList(0, Math.min(20, exceptions.size()))) {
      System.out.println(
          "  EXCEPTION " + e.lines().limit(8).reduce((a, b) -> a + "\n    " + b).orElse(""));
    }
    System.out.printf(
        "fuzz: %d static Envoy configs produced; %d distinct, with the unmutated cases' (in %s)%n",
        outputs, hashes.size(), out.resolve("configs"));
    System.out.printf(
        "fuzz: %d mutations rejected (a condition newly False on the mutated object); %d name the"
            + " mutated field in a status message, %d do not (%d of them quote the mutated value;"
            + " all listed in %s)%n",
        rejections, named, unnamed.size(), quoted, out.resolve("unnamed.txt"));
    System.out.printf(
        "fuzz: slowest translation %d ms: %s%n", slowestMillis, slowest.replace('\n', ' '));
  }

  private static String sha(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)))
          .substring(0, 20);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String trace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString()
        .lines()
        .limit(25)
        .map(l -> "  " + l)
        .reduce((a, b) -> a + "\n" + b)
        .orElse("");
  }
}
