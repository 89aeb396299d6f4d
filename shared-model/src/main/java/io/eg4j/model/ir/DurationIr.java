package io.eg4j.model.ir;

/**
 * A duration in milliseconds, parsed from a Gateway API duration string such as {@code 1h30m5s} or
 * {@code 500ms}.
 *
 * @param millis the duration in milliseconds, not negative
 */
public record DurationIr(long millis) {
  public DurationIr {
    if (millis < 0) {
      throw new IllegalArgumentException("negative duration");
    }
  }

  /**
   * Parses a Go duration, as Kubernetes {@code metav1.Duration} fields take it ({@code 0.2s},
   * {@code 1m30s}, {@code 250ms}): decimal numbers each with a unit of ns, us, µs, ms, s, m or h.
   * The result is rounded down to milliseconds.
   */
  public static DurationIr parseGo(String text) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h)")
            .matcher(text == null ? "" : text);
    double nanos = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double n = Double.parseDouble(m.group(1));
      nanos +=
          n
              * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 6e10;
                default -> 3.6e12;
              };
      end = m.end();
    }
    if (text == null || text.isEmpty() || end != text.length()) {
      throw new IllegalArgumentException("invalid duration: " + text);
    }
    return new DurationIr((long) (nanos / 1e6));
  }

  /**
   * Parses a Gateway API duration (GEP-2257): one or more number-unit pairs, units h, m, s, ms.
   *
   * @throws IllegalArgumentException if the text is not a valid duration
   */
  public static DurationIr parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    long total = 0;
    int i = 0;
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && Character.isDigit(text.charAt(i))) {
        i++;
      }
      if (start == i) {
        throw new IllegalArgumentException("invalid duration: " + text);
      }
      long n = Long.parseLong(text.substring(start, i));
      if (text.startsWith("ms", i)) {
        total += n;
        i += 2;
      } else if (i < text.length() && text.charAt(i) == 'h') {
        total += n * 3_600_000L;
        i++;
      } else if (i < text.length() && text.charAt(i) == 'm') {
        total += n * 60_000L;
        i++;
      } else if (i < text.length() && text.charAt(i) == 's') {
        total += n * 1000L;
        i++;
      } else {
        throw new IllegalArgumentException("invalid duration: " + text);
      }
    }
    return new DurationIr(total);
  }
}
