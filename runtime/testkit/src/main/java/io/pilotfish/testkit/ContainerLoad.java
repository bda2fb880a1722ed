package io.pilotfish.testkit;

/**
 * How fast a simulated container's counters grow.
 *
 * @param cpuVcpu             CPU used, in vCPU (0.05 adds 5e7 ns of {@code total_usage} per second)
 * @param memoryBytes         centre of the memory usage; samples swing ±8 % around it, within the limit
 * @param rxBytesPerSecond    received bytes per second on each interface
 * @param txBytesPerSecond    sent bytes per second on each interface
 * @param readBytesPerSecond  block-device bytes read per second
 * @param writeBytesPerSecond block-device bytes written per second
 */
public record ContainerLoad(double cpuVcpu, long memoryBytes, long rxBytesPerSecond, long txBytesPerSecond,
                            long readBytesPerSecond, long writeBytesPerSecond) {

    private static final long MIB = 1024L * 1024L;

    /** 0.05 vCPU, 64 MiB, 20 kB/s in, 8 kB/s out, 4 kB/s read, 16 kB/s written. */
    public static final ContainerLoad DEFAULT = new ContainerLoad(0.05, 64 * MIB, 20_000, 8_000, 4_096, 16_384);

    public ContainerLoad {
        if (!(cpuVcpu >= 0) || Double.isInfinite(cpuVcpu)) {
            throw new IllegalArgumentException("cpuVcpu must be a finite number >= 0, got " + cpuVcpu);
        }
        requireNotNegative("memoryBytes", memoryBytes);
        requireNotNegative("rxBytesPerSecond", rxBytesPerSecond);
        requireNotNegative("txBytesPerSecond", txBytesPerSecond);
        requireNotNegative("readBytesPerSecond", readBytesPerSecond);
        requireNotNegative("writeBytesPerSecond", writeBytesPerSecond);
    }

    /** The default load with the given CPU (vCPU) and memory centre (MiB). */
    public static ContainerLoad of(double cpuVcpu, long memoryMiB) {
        return DEFAULT.withCpu(cpuVcpu).withMemoryMiB(memoryMiB);
    }

    public ContainerLoad withCpu(double vcpu) {
        return new ContainerLoad(vcpu, memoryBytes, rxBytesPerSecond, txBytesPerSecond, readBytesPerSecond,
                writeBytesPerSecond);
    }

    public ContainerLoad withMemoryMiB(long mib) {
        requireNotNegative("memoryMiB", mib);
        return new ContainerLoad(cpuVcpu, mib * MIB, rxBytesPerSecond, txBytesPerSecond, readBytesPerSecond,
                writeBytesPerSecond);
    }

    public ContainerLoad withNetwork(long rxPerSecond, long txPerSecond) {
        return new ContainerLoad(cpuVcpu, memoryBytes, rxPerSecond, txPerSecond, readBytesPerSecond,
                writeBytesPerSecond);
    }

    public ContainerLoad withDisk(long readPerSecond, long writePerSecond) {
        return new ContainerLoad(cpuVcpu, memoryBytes, rxBytesPerSecond, txBytesPerSecond, readPerSecond,
                writePerSecond);
    }

    private static void requireNotNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }
}
