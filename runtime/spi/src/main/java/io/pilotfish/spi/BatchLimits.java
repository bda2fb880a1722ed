package io.pilotfish.spi;

/**
 * Upper bounds for one batch handed to {@link Sink#export}.
 *
 * @param maxItems  most signals in one batch
 * @param maxBytes  most estimated bytes ({@link io.pilotfish.spi.signal.Signal#estimatedBytes}) in one batch
 */
public record BatchLimits(int maxItems, long maxBytes) {

    public static final BatchLimits DEFAULT = new BatchLimits(10_000, 4L * 1024 * 1024);

    public BatchLimits {
        if (maxItems < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("batch limits must be positive: " + maxItems + ", " + maxBytes);
        }
    }
}
