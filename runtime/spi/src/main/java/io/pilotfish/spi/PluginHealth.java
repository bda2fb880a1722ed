package io.pilotfish.spi;

/**
 * What a plugin instance tells {@code pilotfish status}, {@code pilotfish health} and {@code pilotfish doctor}
 * about itself beyond having started: the sockets it holds, and a part of it that stopped working while the rest
 * runs (one of two listeners, say). A start that fails as a whole is a failed {@code start} stage instead; the
 * platform sees that on its own. Thread-safe and cheap: call it from any thread, as often as the state changes.
 */
public interface PluginHealth {

    /** Does nothing: for contexts that report to no one. */
    PluginHealth NONE = new PluginHealth() {
        @Override
        public void listening(String transport, String address) {
        }

        @Override
        public void degraded(String reason) {
        }

        @Override
        public void healthy() {
        }
    };

    /**
     * A socket this instance now listens on: {@code transport} is {@code udp}, {@code tcp}, {@code unixgram} or
     * {@code unix}; {@code address} is {@code host:port} or a socket path. Doctor compares its port checks with it.
     */
    void listening(String transport, String address);

    /**
     * Part of the instance does not work. The reason names the part and the fix; it is shown (and fails the health
     * check) until {@link #healthy} is called.
     */
    void degraded(String reason);

    /** Everything works again. */
    void healthy();
}
