package io.pilotfish.collector.dogstatsd.listen;

/** How a DogStatsD packet reached the agent. */
public enum Transport {
    UDP("udp", "udp"),
    UNIX_DATAGRAM("uds", "unixgram"),
    UNIX_STREAM("uds_stream", "unix");

    private final String tag;
    private final String socketType;

    Transport(String tag, String socketType) {
        this.tag = tag;
        this.socketType = socketType;
    }

    /** The value of the {@code transport:} tag on the agent's own DogStatsD metrics: udp, uds, uds_stream. */
    public String tag() {
        return tag;
    }

    /** The socket type as status and doctor name it ({@code PluginHealth.listening}): udp, unixgram, unix. */
    public String socketType() {
        return socketType;
    }
}
