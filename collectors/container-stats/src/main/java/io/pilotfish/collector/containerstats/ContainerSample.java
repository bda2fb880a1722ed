package io.pilotfish.collector.containerstats;

import java.time.Instant;
import java.util.Map;

/**
 * The cumulative counters of one container at one stats {@code read} time: the baseline for the next rates.
 * Never modified after construction.
 */
final class ContainerSample {

    static final int CPU_TOTAL = 0;
    static final int CPU_USER = 1;
    static final int CPU_SYSTEM = 2;
    static final int MEM_PGPGIN = 3;
    static final int MEM_PGPGOUT = 4;
    static final int MEM_PGFAULT = 5;
    static final int MEM_PGMAJFAULT = 6;
    static final int IO_READ_BYTES = 7;
    static final int IO_WRITE_BYTES = 8;
    static final int IO_READ_OPS = 9;
    static final int IO_WRITE_OPS = 10;
    static final int COUNTERS = 11;

    static final int NET_RX_BYTES = 0;
    static final int NET_TX_BYTES = 1;
    static final int NET_RX_PACKETS = 2;
    static final int NET_TX_PACKETS = 3;
    static final int NET_COUNTERS = 4;

    final Instant read;
    /** Indexed by the constants above; NaN where the payload had no value. */
    final double[] counters;
    /** Interface name to counters indexed by the {@code NET_*} constants. */
    final Map<String, double[]> interfaces;

    ContainerSample(Instant read, double[] counters, Map<String, double[]> interfaces) {
        this.read = read;
        this.counters = counters;
        this.interfaces = interfaces;
    }

    double counter(int index) {
        return counters[index];
    }

    double interfaceCounter(String name, int index) {
        double[] values = interfaces.get(name);
        return values == null ? Double.NaN : values[index];
    }
}
