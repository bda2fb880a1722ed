package io.pilotfish.collector.dogstatsd;

/** The DogStatsD metric types, by their wire code. */
public enum StatsdType {
    GAUGE("g"), COUNT("c"), HISTOGRAM("h"), TIMING("ms"), DISTRIBUTION("d"), SET("s");

    private final String code;

    StatsdType(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** The type for the bytes {@code [from, to)}, or null when they name none (an exact match, as the Agent does). */
    static StatsdType of(byte[] line, int from, int to) {
        int length = to - from;
        if (length == 1) {
            return switch (line[from]) {
                case 'g' -> GAUGE;
                case 'c' -> COUNT;
                case 'h' -> HISTOGRAM;
                case 'd' -> DISTRIBUTION;
                case 's' -> SET;
                default -> null;
            };
        }
        return length == 2 && line[from] == 'm' && line[from + 1] == 's' ? TIMING : null;
    }
}
