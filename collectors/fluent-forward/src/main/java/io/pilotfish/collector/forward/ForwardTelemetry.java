package io.pilotfish.collector.forward;

import io.pilotfish.spi.SelfTelemetry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The receiver's figures, shown by {@code pilotfish status}. Refusals are {@code forward.errors} by reason, so that
 * status lists each kind of bad input apart.
 */
final class ForwardTelemetry {

    private final SelfTelemetry telemetry;
    private final Map<String, SelfTelemetry.Counter> counters = new ConcurrentHashMap<>();
    /** Counted per frame or per read: kept, so that the hot path builds no key. */
    private final SelfTelemetry.Counter recordsReceived;
    private final SelfTelemetry.Counter acksSent;

    ForwardTelemetry(SelfTelemetry telemetry) {
        this.telemetry = telemetry;
        this.recordsReceived = counter("forward.records_received");
        this.acksSent = counter("forward.acks_sent");
    }

    private SelfTelemetry.Counter counter(String name, String... tags) {
        String key = name + '|' + String.join(",", tags);
        return counters.computeIfAbsent(key, k -> telemetry.counter(name, tags));
    }

    /** The bytes counter of one transport, for a connection to keep. */
    SelfTelemetry.Counter bytes(String transport) {
        return counter("forward.bytes_received", "transport:" + transport);
    }

    void connectionOpened(String transport) {
        counter("forward.connections", "transport:" + transport).increment();
    }

    void frame(ForwardDecoder.Decoded decoded) {
        counter("forward.frames", "mode:" + decoded.mode().tag()).increment();
        if (decoded.otherSignal()) {
            counter("forward.frames_ignored", "reason:not_logs").increment();
        }
        if (decoded.cut() > 0) {
            counter("forward.records_cut", "reason:line_too_long").add(decoded.cut());
        }
        if (decoded.unrouted() > 0) {
            counter("forward.records_dropped", "reason:no_datadog_output").add(decoded.unrouted());
        }
        if (decoded.filtered() > 0) {
            counter("forward.records_dropped", "reason:firelens_filter").add(decoded.filtered());
        }
    }

    /** Records handed to the pipeline, counted as they go (a frame that fails later keeps those before). */
    void records(long n) {
        if (n > 0) {
            recordsReceived.add(n);
        }
    }

    void ackSent() {
        acksSent.increment();
    }

    void heartbeat() {
        counter("forward.heartbeats").increment();
    }

    void error(String reason) {
        counter("forward.errors", "reason:" + reason).increment();
    }
}
