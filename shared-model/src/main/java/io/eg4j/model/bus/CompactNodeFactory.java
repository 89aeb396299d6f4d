package io.eg4j.model.bus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Jackson tree nodes that take less memory: an object node keeps its fields in one array of keys
 * and values, in insertion order, instead of a {@link LinkedHashMap} (a table plus one entry object
 * per field); an array node's list starts with room for two elements instead of ten.
 *
 * <p>The services keep JSON trees for as long as they are current: the translator holds every input
 * resource and every status it computed, so at 5,000 routes some 80,000 object nodes live at once,
 * most with one to six fields. Each costs about 250 bytes with Jackson's default map and about 90
 * with this one (issue #16, bench/duel/results.md). Lookups scan the keys, which for a handful of
 * fields is as fast as hashing; an object that grows past {@link #LINEAR_MAX} fields (a large
 * ConfigMap's data, a long annotation list) moves to a {@link LinkedHashMap}, so no input makes a
 * lookup slow.
 *
 * <p>Behaviour is Jackson's: the same field order, equality ({@link AbstractMap#equals} compares
 * with any map), replacement and removal. Numbers are read as by {@link JsonNodeFactory#instance}.
 */
public final class CompactNodeFactory extends JsonNodeFactory {
  private static final long serialVersionUID = 1L;

  /** The factory {@link Json#MAPPER} reads trees with. */
  public static final CompactNodeFactory INSTANCE = new CompactNodeFactory();

  /** Fields an object keeps in its array before it moves to a hash map. */
  static final int LINEAR_MAX = 16;

  private CompactNodeFactory() {
    super(false);
  }

  @Override
  public ObjectNode objectNode() {
    return new ObjectNode(this, new FieldMap());
  }

  @Override
  public ArrayNode arrayNode() {
    return new ArrayNode(this, new ArrayList<>(2));
  }

  @Override
  public ArrayNode arrayNode(int capacity) {
    return new ArrayNode(this, new ArrayList<>(capacity));
  }

  /**
   * An object node's fields: keys and values alternate in one array, in insertion order, until
   * there are more than {@link #LINEAR_MAX} of them; then a {@link LinkedHashMap} holds them.
   */
  static final class FieldMap extends AbstractMap<String, JsonNode> {
    private static final Object[] EMPTY = {};

    private Object[] kv = EMPTY;
    private int size;
    private int modCount;
    private LinkedHashMap<String, JsonNode> big;

    private int indexOf(Object key) {
      if (key == null) {
        return -1;
      }
      for (int i = 0; i < size; i++) {
        if (key.equals(kv[2 * i])) {
          return i;
        }
      }
      return -1;
    }

    @Override
    public int size() {
      return big != null ? big.size() : size;
    }

    @Override
    public boolean isEmpty() {
      return size() == 0;
    }

    @Override
    public boolean containsKey(Object key) {
      return big != null ? big.containsKey(key) : indexOf(key) >= 0;
    }

    @Override
    public JsonNode get(Object key) {
      if (big != null) {
        return big.get(key);
      }
      int i = indexOf(key);
      return i < 0 ? null : (JsonNode) kv[2 * i + 1];
    }

    @Override
    public JsonNode put(String key, JsonNode value) {
      if (big != null) {
        return big.put(key, value);
      }
      int i = indexOf(key);
      if (i >= 0) {
        JsonNode old = (JsonNode) kv[2 * i + 1];
        kv[2 * i + 1] = value;
        return old;
      }
      if (size == LINEAR_MAX) {
        big = new LinkedHashMap<>(2 * LINEAR_MAX);
        for (int j = 0; j < size; j++) {
          big.put((String) kv[2 * j], (JsonNode) kv[2 * j + 1]);
        }
        kv = EMPTY;
        size = 0;
        modCount++;
        return big.put(key, value);
      }
      if (2 * size == kv.length) {
        int entries = size == 0 ? 2 : size + (size >> 1) + 1;
        kv = Arrays.copyOf(kv, 2 * Math.min(entries, LINEAR_MAX));
      }
      kv[2 * size] = key;
      kv[2 * size + 1] = value;
      size++;
      modCount++;
      return null;
    }

    @Override
    public JsonNode remove(Object key) {
      if (big != null) {
        return big.remove(key);
      }
      int i = indexOf(key);
      if (i < 0) {
        return null;
      }
      JsonNode old = (JsonNode) kv[2 * i + 1];
      removeAt(i);
      return old;
    }

    private void removeAt(int i) {
      System.arraycopy(kv, 2 * i + 2, kv, 2 * i, 2 * (size - i - 1));
      size--;
      kv[2 * size] = null;
      kv[2 * size + 1] = null;
      modCount++;
    }

    @Override
    public void clear() {
      big = null;
      kv = EMPTY;
      size = 0;
      modCount++;
    }

    @Override
    public Set<Entry<String, JsonNode>> entrySet() {
      if (big != null) {
        return big.entrySet();
      }
      return new AbstractSet<>() {
        @Override
        public int size() {
          return FieldMap.this.size();
        }

        @Override
        public Iterator<Entry<String, JsonNode>> iterator() {
          return big != null ? big.entrySet().iterator() : new Entries();
        }
      };
    }

    /** Iterates the array in order; {@code remove} and {@code setValue} write through. */
    private final class Entries implements Iterator<Entry<String, JsonNode>> {
      private int next;
      private int last = -1;
      private int expected = modCount;

      @Override
      public boolean hasNext() {
        return next < size;
      }

      @Override
      public Entry<String, JsonNode> next() {
        if (expected != modCount) {
          throw new ConcurrentModificationException();
        }
        if (next >= size) {
          throw new NoSuchElementException();
        }
        last = next++;
        return new Field(last);
      }

      @Override
      public void remove() {
        if (last < 0) {
          throw new IllegalStateException();
        }
        if (expected != modCount) {
          throw new ConcurrentModificationException();
        }
        removeAt(last);
        next = last;
        last = -1;
        expected = modCount;
      }
    }

    /** One field, read from and written to the array at its index. */
    private final class Field implements Entry<String, JsonNode> {
      private final int index;

      Field(int index) {
        this.index = index;
      }

      @Override
      public String getKey() {
        return (String) kv[2 * index];
      }

      @Override
      public JsonNode getValue() {
        return (JsonNode) kv[2 * index + 1];
      }

      @Override
      public JsonNode setValue(JsonNode value) {
        JsonNode old = getValue();
        kv[2 * index + 1] = value;
        return old;
      }

      @Override
      public boolean equals(Object o) {
        return o instanceof Entry<?, ?> e
            && getKey().equals(e.getKey())
            && java.util.Objects.equals(getValue(), e.getValue());
      }

      @Override
      public int hashCode() {
        return getKey().hashCode() ^ java.util.Objects.hashCode(getValue());
      }

      @Override
      public String toString() {
        return getKey() + "=" + getValue();
      }
    }
  }
}
