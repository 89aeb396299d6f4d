package io.eg4j.translator.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A syntax check of a Common Expression Language (CEL) expression, as Envoy Gateway makes on the
 * {@code matches} of an EnvoyProxy access log (it parses each expression, without type-checking it,
 * and refuses the EnvoyProxy when one does not parse). This is a parser of CEL's grammar
 * (github.com/google/cel-spec, langdef.md): literals (numbers, strings and bytes with their
 * escapes, raw and triple-quoted strings), identifiers and reserved words, member selection, calls,
 * indexing, lists, maps, message construction, the unary, binary and conditional operators with
 * their precedence, and the argument rules of the macros {@code has}, {@code all}, {@code exists},
 * {@code exists_one}, {@code map} and {@code filter}. It builds no tree: it only says whether, and
 * where, the text fails to parse. Nesting deeper than {@link #MAX_DEPTH} is refused, as CEL parsers
 * refuse it.
 */
final class CelSyntax {
  static final int MAX_DEPTH = 250;

  private static final Set<String> RESERVED =
      Set.of(
          "as",
          "break",
          "const",
          "continue",
          "else",
          "for",
          "function",
          "if",
          "import",
          "let",
          "loop",
          "package",
          "namespace",
          "return",
          "var",
          "void",
          "while",
          "in",
          "true",
          "false",
          "null");

  private enum T {
    IDENT,
    NUMBER,
    STRING,
    PUNCT,
    EOF
  }

  private record Tok(T type, String text, int pos) {}

  private final List<Tok> toks;
  private int i;
  private int depth;

  private CelSyntax(List<Tok> toks) {
    this.toks = toks;
  }

  /** Null when {@code expr} is a syntactically valid CEL expression, else why it is not. */
  static String error(String expr) {
    if (expr == null) {
      return "empty expression";
    }
    try {
      CelSyntax p = new CelSyntax(lex(expr));
      p.expr();
      if (p.peek().type != T.EOF) {
        throw p.fail("unexpected '" + p.peek().text + "'");
      }
      return null;
    } catch (Bad e) {
      return e.getMessage();
    }
  }

  private static final class Bad extends Exception {
    Bad(String message) {
      super(message, null, false, false);
    }
  }

  // ---- lexer ----

  private static List<Tok> lex(String s) throws Bad {
    List<Tok> out = new ArrayList<>();
    int n = s.length();
    int p = 0;
    while (p < n) {
      char c = s.charAt(p);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        p++;
        continue;
      }
      if (c == '/' && p + 1 < n && s.charAt(p + 1) == '/') {
        while (p < n && s.charAt(p) != '\n') {
          p++;
        }
        continue;
      }
      int start = p;
      // String and bytes literals, with optional r/b prefixes.
      int q = p;
      boolean raw = false;
      boolean sawPrefix = false;
      while (q < n && q - p < 2 && "rRbB".indexOf(s.charAt(q)) >= 0) {
        if (s.charAt(q) == 'r' || s.charAt(q) == 'R') {
          raw = true;
        }
        q++;
        sawPrefix = true;
      }
      if (q < n && (s.charAt(q) == '"' || s.charAt(q) == '\'')) {
        if (sawPrefix
            && q - p == 2
            && Character.toLowerCase(s.charAt(p)) == Character.toLowerCase(s.charAt(p + 1))) {
          throw new Bad("invalid string prefix at " + p);
        }
        p = string(s, q, raw);
        out.add(new Tok(T.STRING, s.substring(start, p), start));
        continue;
      }
      if (Character.isLetter(c) && c < 128 || c == '_') {
        while (p < n && (isIdentPart(s.charAt(p)))) {
          p++;
        }
        out.add(new Tok(T.IDENT, s.substring(start, p), start));
        continue;
      }
      if (isDigit(c) || (c == '.' && p + 1 < n && isDigit(s.charAt(p + 1)))) {
        p = number(s, p);
        out.add(new Tok(T.NUMBER, s.substring(start, p), start));
        continue;
      }
      String two = p + 1 < n ? s.substring(p, p + 2) : "";
      if (two.equals("<=")
          || two.equals(">=")
          || two.equals("==")
          || two.equals("!=")
          || two.equals("&&")
          || two.equals("||")) {
        out.add(new Tok(T.PUNCT, two, p));
        p += 2;
        continue;
      }
      if ("()[]{}.,?:!-+*/%<>".indexOf(c) >= 0) {
        out.add(new Tok(T.PUNCT, String.valueOf(c), p));
        p++;
        continue;
      }
      throw new Bad("unexpected character '" + c + "' at " + p);
    }
    out.add(new Tok(T.EOF, "<end>", n));
    return out;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isIdentPart(char c) {
    return c < 128 && (Character.isLetterOrDigit(c) || c == '_');
  }

  private static int number(String s, int p) throws Bad {
    int n = s.length();
    if (s.startsWith("0x", p) || s.startsWith("0X", p)) {
      int q = p + 2;
      while (q < n && Character.digit(s.charAt(q), 16) >= 0) {
        q++;
      }
      if (q == p + 2) {
        throw new Bad("invalid hex literal at " + p);
      }
      if (q < n && (s.charAt(q) == 'u' || s.charAt(q) == 'U')) {
        q++;
      }
      return q;
    }
    int q = p;
    while (q < n && isDigit(s.charAt(q))) {
      q++;
    }
    boolean real = false;
    if (q < n && s.charAt(q) == '.' && q + 1 < n && isDigit(s.charAt(q + 1))) {
      real = true;
      q++;
      while (q < n && isDigit(s.charAt(q))) {
        q++;
      }
    }
    if (q < n && (s.charAt(q) == 'e' || s.charAt(q) == 'E')) {
      int e = q + 1;
      if (e < n && (s.charAt(e) == '+' || s.charAt(e) == '-')) {
        e++;
      }
      if (e < n && isDigit(s.charAt(e))) {
        real = true;
        q = e;
        while (q < n && isDigit(s.charAt(q))) {
          q++;
        }
      }
    }
    if (!real && q < n && (s.charAt(q) == 'u' || s.charAt(q) == 'U')) {
      q++;
    }
    return q;
  }

  /** Returns the index just past the closing quote of the literal opening at {@code p}. */
  private static int string(String s, int p, boolean raw) throws Bad {
    int n = s.length();
    char quote = s.charAt(p);
    String q3 = String.valueOf(quote).repeat(3);
    boolean triple = s.startsWith(q3, p);
    int i = p + (triple ? 3 : 1);
    while (i < n) {
      char c = s.charAt(i);
      if (triple ? s.startsWith(q3, i) : c == quote) {
        return i + (triple ? 3 : 1);
      }
      if (!triple && (c == '\n' || c == '\r')) {
        throw new Bad("unterminated string at " + p);
      }
      if (c == '\\' && !raw) {
        i = escape(s, i);
        continue;
      }
      i++;
    }
    throw new Bad("unterminated string at " + p);
  }

  private static int escape(String s, int i) throws Bad {
    int n = s.length();
    if (i + 1 >= n) {
      throw new Bad("unterminated escape at " + i);
    }
    char e = s.charAt(i + 1);
    switch (e) {
      case '\\', '?', '"', '\'', '`', 'a', 'b', 'f', 'n', 'r', 't', 'v' -> {
        return i + 2;
      }
      case 'x', 'X' -> {
        return hex(s, i + 2, 2, i);
      }
      case 'u' -> {
        return hex(s, i + 2, 4, i);
      }
      case 'U' -> {
        return hex(s, i + 2, 8, i);
      }
      default -> {
        if (e >= '0' && e <= '3' && i + 3 < n && isOct(s.charAt(i + 2)) && isOct(s.charAt(i + 3))) {
          return i + 4;
        }
        throw new Bad("invalid escape sequence at " + i);
      }
    }
  }

  private static boolean isOct(char c) {
    return c >= '0' && c <= '7';
  }

  private static int hex(String s, int from, int count, int at) throws Bad {
    if (from + count > s.length()) {
      throw new Bad("invalid escape sequence at " + at);
    }
    for (int k = from; k < from + count; k++) {
      if (Character.digit(s.charAt(k), 16) < 0) {
        throw new Bad("invalid escape sequence at " + at);
      }
    }
    return from + count;
  }

  // ---- parser: each method consumes one production and reports what it parsed ----

  /** What an expression turned out to be, for the macros' argument rules. */
  private enum Shape {
    IDENT,
    SELECT,
    OTHER
  }

  private Tok peek() {
    return toks.get(i);
  }

  private boolean at(String punct) {
    Tok t = peek();
    return t.type == T.PUNCT && t.text.equals(punct);
  }

  private boolean accept(String punct) {
    if (at(punct)) {
      i++;
      return true;
    }
    return false;
  }

  private void expect(String punct) throws Bad {
    if (!accept(punct)) {
      throw fail("expected '" + punct + "' but found '" + peek().text + "'");
    }
  }

  private Bad fail(String message) {
    return new Bad("syntax error at " + peek().pos + ": " + message);
  }

  private void enter() throws Bad {
    if (++depth > MAX_DEPTH) {
      throw fail("expression nested too deeply");
    }
  }

  private Shape expr() throws Bad {
    enter();
    try {
      Shape s = conditionalOr();
      if (accept("?")) {
        conditionalOr();
        expect(":");
        expr();
        return Shape.OTHER;
      }
      return s;
    } finally {
      depth--;
    }
  }

  private Shape conditionalOr() throws Bad {
    Shape s = conditionalAnd();
    while (accept("||")) {
      conditionalAnd();
      s = Shape.OTHER;
    }
    return s;
  }

  private Shape conditionalAnd() throws Bad {
    Shape s = relation();
    while (accept("&&")) {
      relation();
      s = Shape.OTHER;
    }
    return s;
  }

  private Shape relation() throws Bad {
    Shape s = addition();
    while (true) {
      Tok t = peek();
      boolean relop =
          (t.type == T.PUNCT && Set.of("<", "<=", ">", ">=", "==", "!=").contains(t.text))
              || (t.type == T.IDENT && t.text.equals("in"));
      if (!relop) {
        return s;
      }
      i++;
      addition();
      s = Shape.OTHER;
    }
  }

  private Shape addition() throws Bad {
    Shape s = multiplication();
    while (at("+") || at("-")) {
      i++;
      multiplication();
      s = Shape.OTHER;
    }
    return s;
  }

  private Shape multiplication() throws Bad {
    Shape s = unary();
    while (at("*") || at("/") || at("%")) {
      i++;
      unary();
      s = Shape.OTHER;
    }
    return s;
  }

  private Shape unary() throws Bad {
    if (at("!") || at("-")) {
      while (at("!") || at("-")) {
        i++;
      }
      member();
      return Shape.OTHER;
    }
    return member();
  }

  private Shape member() throws Bad {
    enter();
    try {
      boolean[] qualified = {false};
      Shape s = primary(qualified);
      boolean name = qualified[0];
      while (true) {
        if (accept(".")) {
          Tok field = peek();
          if (field.type != T.IDENT) {
            throw fail("expected a field name after '.'");
          }
          i++;
          if (at("(")) {
            i++;
            List<Shape> args = args(")");
            receiverMacro(field.text, args);
            s = Shape.OTHER;
            name = false;
          } else {
            if (RESERVED.contains(field.text)) {
              throw fail("reserved identifier '" + field.text + "'");
            }
            s = Shape.SELECT;
          }
        } else if (accept("[")) {
          expr();
          expect("]");
          s = Shape.OTHER;
          name = false;
        } else if (name && at("{")) {
          i++;
          fieldInits();
          s = Shape.OTHER;
          name = false;
        } else {
          return s;
        }
      }
    } finally {
      depth--;
    }
  }

  /** Parses a primary; {@code qualified[0]} says whether it is a (possibly dotted) name. */
  private Shape primary(boolean[] qualified) throws Bad {
    Tok t = peek();
    if (at(".")) {
      i++;
      t = peek();
      if (t.type != T.IDENT) {
        throw fail("expected an identifier after leading '.'");
      }
    }
    switch (t.type) {
      case IDENT -> {
        i++;
        if (t.text.equals("true") || t.text.equals("false") || t.text.equals("null")) {
          return Shape.OTHER;
        }
        if (RESERVED.contains(t.text)) {
          throw new Bad("syntax error at " + t.pos + ": reserved identifier '" + t.text + "'");
        }
        if (accept("(")) {
          List<Shape> args = args(")");
          if (t.text.equals("has") && (args.size() != 1 || args.get(0) != Shape.SELECT)) {
            throw new Bad("syntax error at " + t.pos + ": invalid argument to has() macro");
          }
          return Shape.OTHER;
        }
        qualified[0] = true;
        return Shape.IDENT;
      }
      case NUMBER, STRING -> {
        i++;
        return Shape.OTHER;
      }
      case PUNCT -> {
        if (accept("(")) {
          expr();
          expect(")");
          return Shape.OTHER;
        }
        if (accept("[")) {
          args("]");
          return Shape.OTHER;
        }
        if (accept("{")) {
          mapInits();
          return Shape.OTHER;
        }
        throw fail("unexpected '" + t.text + "'");
      }
      default -> throw fail("unexpected end of expression");
    }
  }

  /** A comma-separated list closed by {@code close}, a trailing comma allowed after an element. */
  private List<Shape> args(String close) throws Bad {
    List<Shape> shapes = new ArrayList<>();
    if (accept(close)) {
      return shapes;
    }
    while (true) {
      shapes.add(expr());
      if (accept(close)) {
        return shapes;
      }
      expect(",");
      if (accept(close)) {
        return shapes;
      }
    }
  }

  private void mapInits() throws Bad {
    if (accept("}")) {
      return;
    }
    while (true) {
      expr();
      expect(":");
      expr();
      if (accept("}")) {
        return;
      }
      expect(",");
      if (accept("}")) {
        return;
      }
    }
  }

  private void fieldInits() throws Bad {
    if (accept("}")) {
      return;
    }
    while (true) {
      if (peek().type != T.IDENT) {
        throw fail("expected a field name");
      }
      i++;
      expect(":");
      expr();
      if (accept("}")) {
        return;
      }
      expect(",");
      if (accept("}")) {
        return;
      }
    }
  }

  /** The comprehension macros take a simple name as their first argument. */
  private void receiverMacro(String fn, List<Shape> args) throws Bad {
    boolean macro =
        switch (fn) {
          case "all", "exists", "exists_one", "filter" -> args.size() == 2;
          case "map" -> args.size() == 2 || args.size() == 3;
          default -> false;
        };
    if (macro && args.get(0) != Shape.IDENT) {
      throw fail("argument of " + fn + "() must be a simple name");
    }
  }
}
