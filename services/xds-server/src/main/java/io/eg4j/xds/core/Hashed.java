package io.eg4j.xds.core;

/**
 * A value as a map key with its hash computed once. The translators key their reuse maps by IR
 * records (a route IR, a cluster reference with its endpoints): a record's hash walks every
 * component, and each lookup would walk the whole value again.
 *
 * @param value the value
 * @param hash its hash
 * @param <T> the value's type
 */
record Hashed<T>(T value, int hash) {
  /** The value with its hash. */
  static <T> Hashed<T> of(T value) {
    return new Hashed<>(value, value.hashCode());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Hashed<?> h
        && hash == h.hash
        && (value == h.value || value.equals(h.value));
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
