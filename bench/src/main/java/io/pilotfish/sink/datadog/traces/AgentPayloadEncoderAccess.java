package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.signal.Signal;
import java.util.List;

/**
 * The benchmarks' door to the package-private {@link AgentPayloadEncoder} and {@link Gzip} of the
 * {@code datadog-traces} sink (it lives in the sink's package for that reason alone; the benchmarks run from the class
 * path, where a package may span jars). Each method does what {@code DatadogTracesSink.export} does with a batch,
 * minus the HTTP request, with the sink's default payload limit.
 */
public final class AgentPayloadEncoderAccess {

    private final AgentPayloadEncoder encoder = new AgentPayloadEncoder(DatadogTracesConfig.INTAKE_MAX_PAYLOAD_BYTES);
    private final AgentPayloadEncoder.AgentFields agent = new AgentPayloadEncoder.AgentFields("i-0bench0000000000",
            "prod", "0.1.0", DatadogTracesConfig.DEFAULTS.targetTps(), DatadogTracesConfig.DEFAULTS.errorTps(),
            DatadogTracesConfig.DEFAULTS.rareSamplerEnabled());

    /** The protobuf {@code AgentPayload} of the batch, uncompressed; returns its length in bytes. */
    public int encode(List<? extends Signal> batch) {
        return encoded(batch).length();
    }

    /** The protobuf {@code AgentPayload} of the batch and its gzip body; returns the compressed length. */
    public int encodeAndGzip(List<? extends Signal> batch) {
        AgentPayloadEncoder.Encoded encoded = encoded(batch);
        int length = Gzip.compress(encoded.payload(), 0, encoded.length()).length();
        AgentPayloadEncoder.releaseLarge();
        return length;
    }

    /** The protobuf bytes of the batch, for checks. */
    public byte[] payload(List<? extends Signal> batch) {
        AgentPayloadEncoder.Encoded encoded = encoded(batch);
        return java.util.Arrays.copyOf(encoded.payload(), encoded.length());
    }

    private AgentPayloadEncoder.Encoded encoded(List<? extends Signal> batch) {
        AgentPayloadEncoder.Outcome outcome = encoder.encode(batch, agent);
        if (outcome instanceof AgentPayloadEncoder.Encoded encoded) {
            return encoded;
        }
        throw new IllegalStateException("the batch cannot be sent: " + outcome);
    }
}
