package io.pilotfish.spi.signal;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.RandomAccess;
import java.util.TreeSet;

/**
 * An immutable, sorted, de-duplicated set of {@code key:value} (or bare {@code key}) tags. The hash is computed
 * once, so tag sets are cheap map keys for aggregation.
 */
public final class TagSet extends AbstractList<String> implements RandomAccess {

    public static final TagSet EMPTY = new TagSet(new String[0]);

    private final String[] tags;
    private final int hash;
    private final int encodedLength;

    private TagSet(String[] sortedUnique) {
        this.tags = sortedUnique;
        this.hash = Arrays.hashCode(sortedUnique);
        int length = 0;
        for (String tag : sortedUnique) {
            length += tag.length() + 3;
        }
        this.encodedLength = length;
    }

    public static TagSet of(String... tags) {
        return of(Arrays.asList(tags));
    }

    public static TagSet of(Collection<String> tags) {
        if (tags.isEmpty()) {
            return EMPTY;
        }
        TreeSet<String> sorted = new TreeSet<>();
        for (String tag : tags) {
            if (tag != null && !tag.isEmpty()) {
                sorted.add(tag);
            }
        }
        return sorted.isEmpty() ? EMPTY : new TagSet(sorted.toArray(new String[0]));
    }

    /** A new set holding the tags of both. */
    public TagSet with(TagSet other) {
        if (other.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return other;
        }
        TreeSet<String> merged = new TreeSet<>(this);
        merged.addAll(other);
        return new TagSet(merged.toArray(new String[0]));
    }

    public TagSet with(String... more) {
        return with(of(more));
    }

    /** The value of the first tag {@code key:value} with this key, or null. */
    public String valueOf(String key) {
        String prefix = key + ":";
        for (String tag : tags) {
            if (tag.startsWith(prefix)) {
                return tag.substring(prefix.length());
            }
        }
        return null;
    }

    /** Rough JSON-encoded length, used for byte budgets. */
    public int encodedLength() {
        return encodedLength;
    }

    /**
     * Estimated heap bytes of this set and its strings (compact Latin-1 strings, compressed references), for memory
     * budgets. Strings shared with other sets are counted in each: an upper bound.
     */
    public long heapBytes() {
        long bytes = 32 + 4L * tags.length;
        for (String tag : tags) {
            bytes += 48 + tag.length();
        }
        return bytes;
    }

    @Override
    public String get(int index) {
        return tags[index];
    }

    @Override
    public int size() {
        return tags.length;
    }

    @Override
    public boolean contains(Object o) {
        return o instanceof String s && Arrays.binarySearch(tags, s) >= 0;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (o instanceof TagSet other) {
            return hash == other.hash && Arrays.equals(tags, other.tags);
        }
        return super.equals(o);
    }

    @Override
    public String toString() {
        return String.join(",", tags);
    }

    /** Convenience for callers that want a plain list. */
    public List<String> asList() {
        return this;
    }
}
