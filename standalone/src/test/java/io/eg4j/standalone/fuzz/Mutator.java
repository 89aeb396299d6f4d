package io.eg4j.standalone.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded mutations of one Kubernetes object's parsed YAML tree: one change per mutation, at one
 * path (a scalar's value or type, a removed field, a duplicated list entry, an unknown field, a
 * list replaced by a huge one). The same object and random source give the same mutation.
 */
final class Mutator {
  /** Entries of a huge list. */
  static final int HUGE_LIST = 1_000;

  /** Characters of a huge string. */
  static final int HUGE_STRING = 100_000;

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** One applied mutation: what was done, where, and the field it names. */
  record Mutation(String op, String path, String field, String value, String text) {
    Mutation(String op, String path, String field, String value) {
      this(op, path, field, value, null);
    }
  }

  private record Site(JsonNode parent, String key, int index, JsonNode node, String path) {}

  private Mutator() {}

  /**
   * Mutates {@code obj} in place at one random path (never its {@code apiVersion} or {@code kind},
   * which the watcher uses to deliver an object at all).
   *
   * @return the mutation, or null when the object has no field to mutate
   */
  static Mutation mutate(ObjectNode obj, Random r) {
    List<Site> sites = new ArrayList<>();
    obj.fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("apiVersion") && !e.getKey().equals("kind")) {
                collect(obj, e.getKey(), -1, e.getValue(), e.getKey(), sites);
              }
            });
    if (sites.isEmpty()) {
      return null;
    }
    Site s = sites.get(r.nextInt(sites.size()));
    String field = fieldName(s.path);
    int dice = r.nextInt(100);
    if (dice < 50) {
      JsonNode v = replacement(s.node, r);
      set(s, v);
      return new Mutation("value", s.path, field, describe(v), v.isTextual() ? v.asText() : null);
    }
    if (dice < 65) {
      if (s.parent instanceof ObjectNode p) {
        p.remove(s.key);
      } else {
        ((ArrayNode) s.parent).remove(s.index);
      }
      return new Mutation("remove", s.path, field, "");
    }
    if (dice < 77) {
      // Duplicate a list entry: the node itself when it is one, else an entry of the node's list.
      if (s.parent instanceof ArrayNode p) {
        p.insert(s.index + 1, s.node.deepCopy());
        return new Mutation("duplicate", s.path, field, "");
      }
      if (s.node instanceof ArrayNode a && !a.isEmpty()) {
        a.add(a.get(r.nextInt(a.size())).deepCopy());
        return new Mutation("duplicate", s.path + "[*]", field, "");
      }
      JsonNode v = replacement(s.node, r);
      set(s, v);
      return new Mutation("value", s.path, field, describe(v));
    }
    if (dice < 88) {
      ObjectNode target = s.node instanceof ObjectNode o ? o : null;
      String path = s.path;
      if (target == null && s.parent instanceof ObjectNode p) {
        target = p;
        path = parentPath(s.path);
      }
      if (target != null) {
        String name = "fuzzUnknown" + r.nextInt(1000);
        target.set(name, pick(r, F.textNode("x"), F.numberNode(1), F.objectNode().put("a", 1)));
        return new Mutation("unknown-field", path.isEmpty() ? name : path + "." + name, name, "");
      }
      JsonNode v = replacement(s.node, r);
      set(s, v);
      return new Mutation("value", s.path, field, describe(v));
    }
    // A huge list: a list grows to HUGE_LIST copies of its entries, anything else becomes a list
    // of HUGE_LIST copies of itself.
    ArrayNode huge = F.arrayNode();
    if (s.node instanceof ArrayNode a && !a.isEmpty()) {
      for (int i = 0; i < HUGE_LIST; i++) {
        huge.add(a.get(i % a.size()).deepCopy());
      }
    } else {
      for (int i = 0; i < HUGE_LIST; i++) {
        huge.add(s.node.deepCopy());
      }
    }
    set(s, huge);
    return new Mutation("huge-list", s.path, field, "list of " + HUGE_LIST);
  }

  private static void collect(
      JsonNode parent, String key, int index, JsonNode node, String path, List<Site> out) {
    out.add(new Site(parent, key, index, node, path));
    if (node instanceof ObjectNode o) {
      o.fields()
          .forEachRemaining(
              e -> collect(o, e.getKey(), -1, e.getValue(), path + "." + e.getKey(), out));
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        collect(a, null, i, a.get(i), path + "[" + i + "]", out);
      }
    }
  }

  private static void set(Site s, JsonNode v) {
    if (s.parent instanceof ObjectNode p) {
      p.set(s.key, v);
    } else {
      ((ArrayNode) s.parent).set(s.index, v);
    }
  }

  /** The last field name of a path ({@code spec.rules[0].matches[1]} names {@code matches}). */
  static String fieldName(String path) {
    String p = path;
    while (p.endsWith("]")) {
      p = p.substring(0, p.lastIndexOf('['));
    }
    int dot = p.lastIndexOf('.');
    return dot < 0 ? p : p.substring(dot + 1);
  }

  private static String parentPath(String path) {
    int dot = path.lastIndexOf('.');
    int br = path.lastIndexOf('[');
    int cut = Math.max(dot, br);
    return cut < 0 ? "" : path.substring(0, cut);
  }

  /** A value of a wrong type, a boundary value or an awkward string for {@code old}. */
  private static JsonNode replacement(JsonNode old, Random r) {
    String text = old.isValueNode() ? old.asText() : "x";
    return switch (r.nextInt(24)) {
      case 0 -> F.textNode("");
      case 1 -> F.textNode(text + "a".repeat(HUGE_STRING));
      case 2 -> F.numberNode(-1);
      case 3 -> F.numberNode(0);
      case 4 -> F.numberNode(Long.MAX_VALUE);
      case 5 -> F.numberNode(new BigInteger("123456789012345678901234567890"));
      case 6 -> F.numberNode(-2_147_483_649L);
      case 7 -> F.numberNode(1e308);
      case 8 -> F.numberNode(0.5);
      case 9 -> F.booleanNode(r.nextBoolean());
      case 10 -> F.textNode(String.valueOf(r.nextBoolean()));
      case 11 -> F.arrayNode().add(old.deepCopy());
      case 12 -> F.objectNode().set("value", old.deepCopy());
      case 13 -> F.arrayNode();
      case 14 -> F.objectNode();
      case 15 -> F.textNode(text + "\r\nX-Injected: 1");
      case 16 -> F.textNode(text + "\u0000");
      case 17 -> F.textNode(text + "é☃\uD834\uDD1E\u202E");
      case 18 -> F.textNode(text + "(.*[");
      case 19 -> F.textNode("*" + text + "?+{}|\\$^");
      case 20 -> F.textNode("../" + text + "/%2F..");
      case 21 -> F.textNode(" " + text + " \t");
      case 22 -> F.nullNode();
      default -> F.textNode(old.isNumber() ? "12abc" : old.isBoolean() ? "1" : text.toUpperCase());
    };
  }

  @SafeVarargs
  private static <T> T pick(Random r, T... options) {
    return options[r.nextInt(options.length)];
  }

  private static String describe(JsonNode v) {
    String s = v.toString();
    return s.length() > 60 ? s.substring(0, 60) + "...(" + s.length() + " chars)" : s;
  }
}
