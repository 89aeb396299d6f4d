package io.eg4j.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The PromQL queries of {@code deploy/dashboards/*.json} and {@code deploy/alerts/*.yaml}, and the
 * metric names and fixed-label selectors in them.
 *
 * <p>Names are compared with what {@code /actuator/prometheus} exposes sample by sample, never by
 * stripping suffixes: Prometheus stores a Micrometer Timer as {@code <name>_seconds_count}, {@code
 * _sum} and a separate {@code _max} gauge, and {@code _bucket} only when a histogram is published,
 * so a query on {@code x_seconds_bucket} must fail when only the summary exists.
 */
final class DashboardQueries {
  private static final Set<String> WORDS =
      Set.of(
          "sum",
          "min",
          "max",
          "avg",
          "count",
          "stddev",
          "stdvar",
          "topk",
          "bottomk",
          "quantile",
          "count_values",
          "group",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "inf",
          "nan");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*\\}");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\w+");
  private static final Pattern LABEL_VALUES =
      Pattern.compile(
          "label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(?:\\{[^}]*\\})?\\s*,[^)]*\\)");
  private static final Pattern IDENT =
      Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\\w.])\\s*(\\()?");
  private static final Pattern SELECTOR =
      Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)\\}");
  private static final Pattern EQUALS =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One query, where it comes from. */
  record Query(String source, String expr) {}

  /** A selector that asks for one label value, e.g. {@code eg4j_leader{service="translator"}}. */
  record FixedSeries(String metric, String label, String value) {
    @Override
    public String toString() {
      return metric + "{" + label + "=\"" + value + "\"}";
    }
  }

  private DashboardQueries() {}

  /** Every query of the dashboards (targets, nested panels, query variables) and alert rules. */
  static List<Query> load(Path deployDir) throws IOException {
    List<Query> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> s = Files.list(deployDir.resolve("dashboards"))) {
      for (Path f : s.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        JsonNode d = json.readTree(f.toFile());
        panels(f.getFileName().toString(), d.path("panels"), out);
        for (JsonNode v : d.path("templating").path("list")) {
          JsonNode q = v.path("query");
          String text = q.isObject() ? q.path("query").asText("") : q.asText("");
          if ("query".equals(v.path("type").asText()) && !text.isBlank()) {
            out.add(new Query(f.getFileName() + " variable " + v.path("name").asText(), text));
          }
        }
      }
    }
    ObjectMapper yaml = new YAMLMapper();
    try (Stream<Path> s = Files.list(deployDir.resolve("alerts"))) {
      for (Path f : s.filter(p -> p.toString().matches(".*\\.ya?ml")).sorted().toList()) {
        for (JsonNode g : yaml.readTree(f.toFile()).path("groups")) {
          for (JsonNode r : g.path("rules")) {
            String name = r.has("alert") ? r.path("alert").asText() : r.path("record").asText();
            out.add(new Query(f.getFileName() + " " + name, r.path("expr").asText()));
          }
        }
      }
    }
    return out;
  }

  private static void panels(String file, JsonNode panels, List<Query> out) {
    for (JsonNode p : panels) {
      for (JsonNode t : p.path("targets")) {
        if (t.hasNonNull("expr")) {
          out.add(new Query(file + " panel " + p.path("title").asText(), t.path("expr").asText()));
        }
      }
      panels(file, p.path("panels"), out);
    }
  }

  /**
   * The metric names in a PromQL expression: identifiers that are not functions, keywords, label
   * names (inside {@code {...}} or {@code by (...)}), durations, Grafana variables or strings.
   */
  static Set<String> metricNames(String expr) {
    Set<String> names = new LinkedHashSet<>();
    Matcher lv = LABEL_VALUES.matcher(expr);
    while (lv.find()) {
      names.add(lv.group(1));
    }
    String e = LABEL_VALUES.matcher(expr).replaceAll(" ");
    e = STRING.matcher(e).replaceAll("\"\"");
    e = MATCHERS.matcher(e).replaceAll("{}");
    e = GROUPING.matcher(e).replaceAll(" ");
    e = RANGE.matcher(e).replaceAll("");
    e = VARIABLE.matcher(e).replaceAll("");
    Matcher m = IDENT.matcher(e);
    while (m.find()) {
      if (m.group(2) == null && !WORDS.contains(m.group(1).toLowerCase(Locale.ROOT))) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** The selectors with an equality matcher on a fixed value (not a Grafana variable). */
  static Set<FixedSeries> fixedSeries(String expr) {
    Set<FixedSeries> out = new LinkedHashSet<>();
    Matcher s = SELECTOR.matcher(expr);
    while (s.find()) {
      // EQUALS matches only "=" (a name followed by "=~" or "!=" does not fit it).
      Matcher eq = EQUALS.matcher(s.group(2));
      while (eq.find()) {
        if (!eq.group(2).contains("$")) {
          out.add(new FixedSeries(s.group(1), eq.group(1), eq.group(2)));
        }
      }
    }
    return out;
  }

  /**
   * The sample names and their label sets in a Prometheus text exposition: {@code name -> [labels
   * of each sample]}.
   */
  static Map<String, List<Map<String, String>>> samples(String exposition) {
    Map<String, List<Map<String, String>>> out = new LinkedHashMap<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      int end = brace >= 0 && (space < 0 || brace < space) ? brace : space;
      String name = end < 0 ? line : line.substring(0, end);
      Map<String, String> labels = new LinkedHashMap<>();
      if (end == brace && brace >= 0) {
        Matcher m = EQUALS.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          labels.put(m.group(1), m.group(2));
        }
      }
      out.computeIfAbsent(name, k -> new ArrayList<>()).add(labels);
    }
    return out;
  }
}
