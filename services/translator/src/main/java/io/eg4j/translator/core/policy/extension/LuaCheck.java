package io.eg4j.translator.core.policy.extension;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * The check of a Lua script before it reaches Envoy, which refuses a whole listener whose Lua
 * filter does not compile. Three levels, as the EnvoyProxy's {@code lua.validationType}:
 *
 * <ul>
 *   <li>{@code Disabled}: what Envoy itself needs is still checked, as for {@code InsecureSyntax}:
 *       Envoy compiles every script when it loads the listener and refuses the whole listener
 *       (every route of every policy on it) when one does not compile. Envoy Gateway checks nothing
 *       at this level and lets Envoy refuse; eg4j refuses the one policy instead (DESIGN.md
 *       invariant 10);
 *   <li>{@code InsecureSyntax}: the script must tokenize (strings and comments closed) and its
 *       blocks must be well formed ({@code if … then … end}, {@code for/while … do … end}, {@code
 *       function … end}, {@code repeat … until}), and the chunk itself (outside any function) must
 *       not {@code require} a module that LuaJIT lacks: Envoy runs the chunk when it loads the
 *       filter, and such a {@code require} makes it refuse the listener;
 *   <li>{@code Strict} (the default): also, it must define {@code envoy_on_request} or {@code
 *       envoy_on_response}, and every method those call on their stream handle ({@code
 *       handle:name(…)}) must be one of Envoy's stream handle API.
 * </ul>
 *
 * <p>This is a structural check, not a Lua compiler: Envoy Gateway runs scripts in a Lua VM with
 * mocked Envoy APIs, which also catches errors in expressions. A script that passes here and still
 * fails in Envoy is refused by Envoy, and that object is withheld (DESIGN.md invariant 10).
 */
final class LuaCheck {
  /** Envoy's Lua stream handle API (the methods of the handle passed to the entry points). */
  static final Set<String> HANDLE_API =
      Set.of(
          "headers",
          "body",
          "bodyChunks",
          "trailers",
          "metadata",
          "streamInfo",
          "connection",
          "connectionStreamInfo",
          "logTrace",
          "logDebug",
          "logInfo",
          "logWarn",
          "logErr",
          "logCritical",
          "httpCall",
          "respond",
          "importPublicKey",
          "verifySignature",
          "base64Escape",
          "timestamp",
          "timestampString",
          "setUpstreamOverrideHost",
          "filterContext",
          "route",
          "virtualHost",
          "clearRouteCache");

  private static final Set<String> STATEMENT_KEYWORDS =
      Set.of("end", "local", "return", "else", "elseif", "until", "for", "while", "repeat", "if");

  private LuaCheck() {}

  /** A problem with {@code source} at {@code validation} level, or null when it passes. */
  static String check(String source, String validation) {
    boolean disabled = "Disabled".equals(validation);
    List<Token> tokens;
    String problem;
    try {
      tokens = tokenize(source);
      problem = blocks(tokens);
      if (problem == null) {
        problem = chunkRequires(tokens);
      }
    } catch (IllegalArgumentException e) {
      tokens = null;
      problem = e.getMessage();
    }
    if (disabled) {
      return problem == null
          ? null
          : problem
              + " (Lua validation is Disabled, but Envoy compiles every script when it loads the"
              + " listener and would refuse the whole listener)";
    }
    if (problem != null || "InsecureSyntax".equals(validation)) {
      return problem;
    }
    return entryPoints(tokens);
  }

  /** A token; {@code value} is a string literal's text (escapes left as written), else null. */
  private record Token(String text, boolean name, int line, String value) {
    Token(String text, boolean name, int line) {
      this(text, name, line, null);
    }
  }

  /**
   * The modules LuaJIT (Envoy's Lua) has built in: what {@code require} can load in a proxy, which
   * has no Lua search path of its own.
   */
  static final Set<String> BUILTIN_MODULES =
      Set.of(
          "_G",
          "string",
          "table",
          "math",
          "os",
          "io",
          "coroutine",
          "debug",
          "package",
          "bit",
          "jit",
          "jit.opt",
          "jit.util",
          "jit.profile",
          "ffi");

  /**
   * A {@code require} of a module LuaJIT lacks, made by the chunk itself rather than inside a
   * function: the chunk runs when Envoy loads the filter, so the failed {@code require} makes Envoy
   * refuse the whole listener. Inside a function it would fail per request instead, which Envoy
   * answers with a Lua error for that request only; that is left to the script's author.
   */
  private static String chunkRequires(List<Token> tokens) {
    int functions = 0; // function bodies open around the token
    Deque<Boolean> open = new ArrayDeque<>(); // per open block: is it a function body?
    boolean loopHeader = false; // after for/while, their 'do' opens no block of its own
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (!t.name()) {
        continue;
      }
      switch (t.text()) {
        case "function" -> {
          open.push(true);
          functions++;
        }
        case "if", "repeat" -> open.push(false);
        case "for", "while" -> {
          open.push(false);
          loopHeader = true;
        }
        case "do" -> {
          if (loopHeader) {
            loopHeader = false;
          } else {
            open.push(false);
          }
        }
        case "end", "until" -> {
          Boolean fn = open.poll();
          if (Boolean.TRUE.equals(fn)) {
            functions--;
          }
        }
        case "require" -> {
          if (functions > 0) {
            continue;
          }
          int at = i + 1;
          if (at < tokens.size() && tokens.get(at).text().equals("(")) {
            at++;
          }
          if (at < tokens.size() && tokens.get(at).value() != null) {
            String module = tokens.get(at).value();
            if (!BUILTIN_MODULES.contains(module)) {
              return "line "
                  + t.line()
                  + ": require(\""
                  + module
                  + "\") runs when Envoy loads the script, and Envoy's LuaJIT has no module \""
                  + module
                  + "\": Envoy would refuse the whole listener";
            }
          }
        }
        default -> {}
      }
    }
    return null;
  }

  private static String blocks(List<Token> tokens) {
    Deque<String> open = new ArrayDeque<>();
    String awaiting = null; // "then" after if/elseif, "do" after for/while
    Token prev = null;
    int nesting = 0; // brackets open in the condition
    for (Token t : tokens) {
      Token before = prev;
      prev = t;
      if (!t.name()) {
        if (awaiting != null) {
          switch (t.text()) {
            case "(", "[", "{" -> nesting++;
            case ")", "]", "}" -> nesting--;
            default -> {}
          }
        }
        continue;
      }
      String w = t.text();
      if (awaiting != null) {
        if (w.equals(awaiting)) {
          awaiting = null;
          continue;
        }
        if (STATEMENT_KEYWORDS.contains(w) || (awaiting.equals("then") && w.equals("do"))) {
          return "line " + t.line() + ": '" + awaiting + "' expected near '" + w + "'";
        }
        // In an expression a name never follows a complete operand without an operator
        // between them (`if x > 0 print(x)`): Lua wants the 'then' there.
        if (nesting == 0 && !KEYWORDS.contains(w) && operand(before)) {
          return "line " + t.line() + ": '" + awaiting + "' expected near '" + w + "'";
        }
        continue;
      }
      switch (w) {
        case "function", "repeat" -> open.push(w);
        case "if" -> {
          open.push(w);
          awaiting = "then";
          nesting = 0;
        }
        case "elseif" -> {
          if (!"if".equals(open.peek())) {
            return "line " + t.line() + ": unexpected 'elseif'";
          }
          awaiting = "then";
          nesting = 0;
        }
        case "else", "then" -> {
          if (!"if".equals(open.peek())) {
            return "line " + t.line() + ": unexpected '" + w + "'";
          }
        }
        case "for", "while" -> {
          open.push("loop");
          awaiting = "do";
          nesting = 0;
        }
        case "do" -> open.push("do");
        case "end" -> {
          String b = open.poll();
          if (b == null || b.equals("repeat")) {
            return "line " + t.line() + ": unexpected 'end'";
          }
        }
        case "until" -> {
          if (!"repeat".equals(open.poll())) {
            return "line " + t.line() + ": unexpected 'until'";
          }
        }
        default -> {}
      }
    }
    if (awaiting != null) {
      return "'" + awaiting + "' expected at the end of the script";
    }
    if (!open.isEmpty()) {
      return "'end' expected at the end of the script (to close '" + open.peek() + "')";
    }
    return null;
  }

  /** Lua's reserved words. */
  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "break",
          "do",
          "else",
          "elseif",
          "end",
          "false",
          "for",
          "function",
          "goto",
          "if",
          "in",
          "local",
          "nil",
          "not",
          "or",
          "repeat",
          "return",
          "then",
          "true",
          "until",
          "while");

  /** True when {@code t} ends an operand: a name, a literal, or a closing bracket. */
  private static boolean operand(Token t) {
    if (t == null) {
      return false;
    }
    if (t.name()) {
      return !KEYWORDS.contains(t.text()) || Set.of("nil", "true", "false").contains(t.text());
    }
    return Set.of("<number>", "<string>", ")", "]", "}").contains(t.text());
  }

  private static String entryPoints(List<Token> tokens) {
    boolean found = false;
    for (int i = 0; i + 3 < tokens.size(); i++) {
      if (!tokens.get(i).text().equals("function")) {
        continue;
      }
      String fn = tokens.get(i + 1).text();
      if (!fn.equals("envoy_on_request") && !fn.equals("envoy_on_response")) {
        continue;
      }
      found = true;
      if (!tokens.get(i + 2).text().equals("(") || !tokens.get(i + 3).name()) {
        continue;
      }
      String handle = tokens.get(i + 3).text();
      int depth = 0;
      for (int j = i; j + 2 < tokens.size(); j++) {
        Token t = tokens.get(j);
        if (t.name() && Set.of("function", "if", "do", "repeat").contains(t.text())) {
          depth++;
        } else if (t.name() && (t.text().equals("end") || t.text().equals("until"))) {
          if (--depth == 0) {
            break;
          }
        }
        if (t.name()
            && t.text().equals(handle)
            && tokens.get(j + 1).text().equals(":")
            && tokens.get(j + 2).name()
            && !HANDLE_API.contains(tokens.get(j + 2).text())) {
          return "line "
              + t.line()
              + ": "
              + fn
              + " calls "
              + handle
              + ":"
              + tokens.get(j + 2).text()
              + ", which is not a method of Envoy's Lua stream handle";
        }
      }
    }
    return found ? null : "expected one of envoy_on_request() or envoy_on_response() to be defined";
  }

  private static List<Token> tokenize(String s) {
    List<Token> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '-' && s.startsWith("--", i)) {
        int level = longBracket(s, i + 2);
        if (level >= 0) {
          int close = closeLongBracket(s, i + 2, level, line);
          line += count(s, i, close);
          i = close;
        } else {
          while (i < s.length() && s.charAt(i) != '\n') {
            i++;
          }
        }
      } else if (c == '[' && longBracket(s, i) >= 0) {
        int level = longBracket(s, i);
        int close = closeLongBracket(s, i, level, line);
        line += count(s, i, close);
        out.add(new Token("<string>", false, line, s.substring(i + level + 2, close - level - 2)));
        i = close;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != c) {
          if (s.charAt(j) == '\\') {
            j++;
          } else if (s.charAt(j) == '\n') {
            throw new IllegalArgumentException("line " + line + ": unfinished string");
          }
          j++;
        }
        if (j >= s.length()) {
          throw new IllegalArgumentException("line " + line + ": unfinished string");
        }
        out.add(new Token("<string>", false, line, s.substring(i + 1, j)));
        i = j + 1;
      } else if (Character.isLetter(c) || c == '_') {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
          j++;
        }
        out.add(new Token(s.substring(i, j), true, line));
        i = j;
      } else if (Character.isDigit(c)) {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '.')) {
          j++;
        }
        out.add(new Token("<number>", false, line));
        i = j;
      } else {
        out.add(new Token(String.valueOf(c), false, line));
        i++;
      }
    }
    return out;
  }

  /** The level of a long bracket opening at {@code i} ({@code [[} is 0, {@code [=[} 1), or -1. */
  private static int longBracket(String s, int i) {
    if (i >= s.length() || s.charAt(i) != '[') {
      return -1;
    }
    int j = i + 1;
    while (j < s.length() && s.charAt(j) == '=') {
      j++;
    }
    return j < s.length() && s.charAt(j) == '[' ? j - i - 1 : -1;
  }

  private static int closeLongBracket(String s, int open, int level, int line) {
    String close = "]" + "=".repeat(level) + "]";
    int end = s.indexOf(close, open + level + 2);
    if (end < 0) {
      throw new IllegalArgumentException("line " + line + ": unfinished long string or comment");
    }
    return end + close.length();
  }

  private static int count(String s, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == '\n') {
        n++;
      }
    }
    return n;
  }
}
