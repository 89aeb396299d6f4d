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
