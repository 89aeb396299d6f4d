package io.eg4j.model.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ResourceKeyOrderTest {

  /** Characters around '/' in ASCII order, so prefixes and separators are exercised. */
  private static final String ALPHABET = "-./0a";

  private static String part(Random r) {
    int len = r.nextInt(4);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < len; i++) {
      b.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }

  private static ResourceKey key(Random r) {
    String kind = part(r);
    return new ResourceKey(part(r), kind.isEmpty() ? "K" : kind, part(r), part(r));
  }

  @Test
  void keysOrderAsTheirStringFormsOrder() {
    Random r = new Random(42);
    for (int n = 0; n < 200_000; n++) {
      ResourceKey a = key(r);
      ResourceKey b =
          r.nextInt(8) == 0 ? new ResourceKey(a.group(), a.kind(), a.namespace(), part(r)) : key(r);
      assertThat(Integer.signum(a.compareTo(b)))
          .as("%s vs %s", a, b)
          .isEqualTo(Integer.signum(a.toString().compareTo(b.toString())));
    }
  }

  @Test
  void aPartThatIsAPrefixOfAnotherSortsByTheSeparatorAfterIt() {
    // "ns/x" against "ns-a/x": '-' sorts before '/', so the longer namespace comes first
    ResourceKey shortNs = new ResourceKey("g", "Kind", "ns", "x");
    ResourceKey longNs = new ResourceKey("g", "Kind", "ns-a", "x");
    assertThat(longNs.compareTo(shortNs)).isNegative();
    assertThat(shortNs.compareTo(longNs)).isPositive();
    assertThat(
            new ResourceKey("g", "Kind", "ns", "route-1")
                .compareTo(new ResourceKey("g", "Kind", "ns", "route-10")))
        .isNegative();
  }
}
