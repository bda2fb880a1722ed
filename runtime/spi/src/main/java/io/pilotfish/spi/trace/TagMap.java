package io.pilotfish.spi.trace;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * An immutable map of a span's few tags, kept in two arrays (the keys' hashes; keys and values side by side): about
 * 12 bytes an entry on the heap where a {@link HashMap} takes 40 to 50, and a fraction of its cost to build. A span
 * carries 5 to 30 tags and a queue may hold tens of thousands of spans, so the difference is most of a queued span's
 * weight. Lookups compare the keys' cached hashes one after the other, which for this few entries is as quick as
 * hashing into a table.
 *
 * <p>Maps of more than {@link #MAX_ENTRIES} entries (a hostile or unusual tracer) are built as an unmodifiable
 * {@code HashMap}, so that neither building nor a lookup ever scans a long array. Keys are never null; values may be
 * anything the caller puts, nulls included, as with {@code HashMap}.
 */
public final class TagMap<V> extends AbstractMap<String, V> {

    /** Past this many entries a builder gives a hashed map. */
    public static final int MAX_ENTRIES = 32;

    private final int[] hashes;
    /** Key i at 2i, its value at 2i + 1. */
    private final Object[] entries;
    private final int size;
    /** One bit per key, chosen by its hash: most lookups are for tags a span does not have, and end here. */
    private final long present;

    private TagMap(int[] hashes, Object[] entries, int size) {
        this.hashes = hashes;
        this.entries = entries;
        this.size = size;
        long bits = 0;
        for (int i = 0; i < size; i++) {
            bits |= bit(hashes[i]);
        }
        this.present = bits;
    }

    private static long bit(int hash) {
        return 1L << (hash ^ (hash >>> 6) ^ (hash >>> 12));
    }

    /** A builder for a map that will hold about {@code expected} entries (a msgpack map's declared size). */
    public static <V> Builder<V> builder(int expected) {
        return new Builder<>(expected);
    }

    /** A copy of {@code map} with {@code key} set to {@code value}. */
    public static <V> Map<String, V> with(Map<String, V> map, String key, V value) {
        Builder<V> copy = new Builder<>(map.size() + 1);
        map.forEach(copy::put);
        return copy.put(key, value).build();
    }

    /** Builds a map entry by entry; a key put twice keeps its last value, as {@code HashMap.put} does. */
    public static final class Builder<V> {
        private int[] hashes;
        private Object[] entries;
        private int size;
        /** Non-null once the map has outgrown {@link #MAX_ENTRIES}. */
        private Map<String, V> large;

        private Builder(int expected) {
            int room = Math.max(1, Math.min(expected, MAX_ENTRIES));
            hashes = new int[room];
            entries = new Object[2 * room];
        }

        public Builder<V> put(String key, V value) {
            Objects.requireNonNull(key, "key");
            if (large != null) {
                large.put(key, value);
                return this;
            }
            int hash = key.hashCode();
            for (int i = 0; i < size; i++) {
                if (hashes[i] == hash && key.equals(entries[2 * i])) {
                    entries[2 * i + 1] = value;
                    return this;
                }
            }
            if (size == MAX_ENTRIES) {
                large = HashMap.newHashMap(MAX_ENTRIES * 2);
                for (int i = 0; i < size; i++) {
                    large.put((String) entries[2 * i], cast(entries[2 * i + 1]));
                }
                large.put(key, value);
                return this;
            }
            if (size == hashes.length) {
                int room = Math.min(MAX_ENTRIES, size * 2);
                hashes = java.util.Arrays.copyOf(hashes, room);
                entries = java.util.Arrays.copyOf(entries, 2 * room);
            }
            hashes[size] = hash;
            entries[2 * size] = key;
            entries[2 * size + 1] = value;
            size++;
            return this;
        }

        /** The map; the builder must not be used afterwards. */
        public Map<String, V> build() {
            if (large != null) {
                return Collections.unmodifiableMap(large);
            }
            if (size == 0) {
                return Map.of();
            }
            return new TagMap<>(hashes, entries, size);
        }
    }

    @SuppressWarnings("unchecked")
    private static <V> V cast(Object value) {
        return (V) value;
    }

    private int indexOf(Object key) {
        if (key instanceof String k) {
            int hash = k.hashCode();
            if ((present & bit(hash)) == 0) {
                return -1;
            }
            for (int i = 0; i < size; i++) {
                if (hashes[i] == hash && (entries[2 * i] == k || k.equals(entries[2 * i]))) {
                    return i;
                }
            }
        }
        return -1;
    }

    @Override
    public V get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : cast(entries[2 * i + 1]);
    }

    @Override
    public V getOrDefault(Object key, V defaultValue) {
        int i = indexOf(key);
        return i < 0 ? defaultValue : cast(entries[2 * i + 1]);
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    /** The key of entry {@code index}, 0 to {@code size() - 1}, in the order the entries were put. */
    public String keyAt(int index) {
        Objects.checkIndex(index, size);
        return (String) entries[2 * index];
    }

    /** The value of entry {@code index}, for loops over the entries that call no lambda. */
    public V valueAt(int index) {
        Objects.checkIndex(index, size);
        return cast(entries[2 * index + 1]);
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super V> action) {
        for (int i = 0; i < size; i++) {
            action.accept((String) entries[2 * i], cast(entries[2 * i + 1]));
        }
    }

    @Override
    public Set<Entry<String, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, V>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < size;
                    }

                    @Override
                    public Entry<String, V> next() {
                        if (next >= size) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return new SimpleImmutableEntry<>((String) entries[2 * i], cast(entries[2 * i + 1]));
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }
}
