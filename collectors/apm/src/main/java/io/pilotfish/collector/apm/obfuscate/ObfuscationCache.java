package io.pilotfish.collector.apm.obfuscate;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cache of obfuscation results bounded by a byte budget, as the Agent's {@code apm_config.obfuscation.cache}
 * (applications repeat the same few hundred queries, and obfuscating one costs far more than a look-up). Two
 * generations: entries go into the young one; when it has used half the budget it becomes the old one and the
 * previous old one is dropped whole, and an entry found in the old generation moves back to the young one. That keeps
 * the queries in use, holds at most the budget, and costs no lock on a look-up. Safe for concurrent use.
 */
final class ObfuscationCache<V> {

    /** What an entry costs besides its strings: map node, key and value objects (the Agent counts 320 bytes). */
    static final long ENTRY_OVERHEAD = 160;

    private final long generationBudget;
    private volatile Generation<V> young = new Generation<>();
    private volatile Generation<V> old = new Generation<>();

    /** @param maxBytes the whole cache's budget; 0 caches nothing */
    ObfuscationCache(long maxBytes) {
        this.generationBudget = maxBytes / 2;
    }

    V get(String key) {
        Entry<V> entry = young.entries.get(key);
        if (entry != null) {
            return entry.value();
        }
        entry = old.entries.get(key);
        if (entry != null) {
            put(key, entry.value(), entry.cost());
            return entry.value();
        }
        return null;
    }

    /** @param cost the entry's size in bytes, strings included */
    void put(String key, V value, long cost) {
        if (cost > generationBudget) {
            return;
        }
        Generation<V> current = young;
        if (current.entries.putIfAbsent(key, new Entry<>(value, cost)) == null
                && current.used.addAndGet(cost) > generationBudget) {
            rotate(current);
        }
    }

    private synchronized void rotate(Generation<V> full) {
        if (young == full) {
            old = full;
            young = new Generation<>();
        }
    }

    /** How many entries are held, for tests and status. */
    int size() {
        return young.entries.size() + old.entries.size();
    }

    private record Entry<V>(V value, long cost) {
    }

    private static final class Generation<V> {
        final ConcurrentHashMap<String, Entry<V>> entries = new ConcurrentHashMap<>();
        final AtomicLong used = new AtomicLong();
    }
}
