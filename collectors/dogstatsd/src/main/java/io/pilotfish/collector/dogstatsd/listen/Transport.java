package io.pilotfish.collector.dogstatsd.listen;

/** How a DogStatsD packet reached the agent. */
public enum Transport {
    UDP("udp"),
    UNIX_DATAGRAM("uds"),
    UNIX_STREAM("uds_stream");

    private final String tag;

    Transport(String tag) {
        this.tag = tag;
    }

    /** The value of the {@code transport:} tag on the agent's own DogStatsD metrics: udp, uds, uds_stream. */
    public String tag() {
        return tag;
    }
}
