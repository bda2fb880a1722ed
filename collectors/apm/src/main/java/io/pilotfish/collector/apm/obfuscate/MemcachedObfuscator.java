package io.pilotfish.collector.apm.obfuscate;

/** The Datadog Agent's Memcached rule ({@code pkg/obfuscate/memcached.go}). */
public final class MemcachedObfuscator {

    private MemcachedObfuscator() {
    }

    /**
     * The {@code memcached.command} tag: with {@code keepCommand} (off by default) the command line without the data
     * block that follows it ({@code set k 0 60 5\r\nvalue} gives {@code set k 0 60 5}); without it, the empty string,
     * which the trace-agent writes back in place of the command.
     */
    public static String obfuscate(String command, boolean keepCommand) {
        if (!keepCommand) {
            return "";
        }
        int end = command.indexOf("\r\n");
        return GoStrings.trimSpace(end < 0 ? command : command.substring(0, end));
    }
}
