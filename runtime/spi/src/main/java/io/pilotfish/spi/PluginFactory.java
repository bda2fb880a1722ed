package io.pilotfish.spi;

/**
 * A plugin type, found through {@code META-INF/services}. The factory turns the raw config of one named instance
 * into a typed, immutable config (reporting every problem through {@link PluginConfig#problem}) and later creates the
 * instance from it. {@link #configure} does no I/O: it runs for validation too (config checks, reloads).
 *
 * <p>The typed config should have value equality (a record): when the configuration is reloaded, an instance whose
 * config is equal to the running one keeps running untouched; any other is flushed and created anew.
 *
 * @param <C> the plugin's typed config
 */
public interface PluginFactory<C> {

    /** The type name users write in {@code pilotfish.collectors.<name>.type}, e.g. {@code container-stats}. */
    String type();

    /**
     * Reads and validates this plugin's keys. Every key the plugin reads is marked known; keys that no plugin read
     * are reported by the platform as unknown. Problems are reported with {@link PluginConfig#problem}, all of them,
     * not just the first.
     */
    C configure(PluginConfig config);

    /**
     * The most heap this instance holds in its own queues, tables and caches with this config, in bytes. The agent
     * adds it to the sinks' queue budgets and refuses to start when they cannot fit the heap together, naming the
     * numbers; so a plugin that buffers or aggregates says how much here. Zero for one that holds nothing of note.
     */
    default long memoryBytes(C config) {
        return 0;
    }
}
