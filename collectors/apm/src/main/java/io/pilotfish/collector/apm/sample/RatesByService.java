package io.pilotfish.collector.apm.sample;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;

/**
 * The rates tracers receive in responses, with the Agent's versioning: a new version whenever a key appears,
 * disappears or changes rate, {@code <epoch seconds hex>-<counter hex>}, so a tracer that sends the version it has
 * gets {@code {}} until something changes. The body is built once per change; responses only read a volatile
 * snapshot.
 */
final class RatesByService {

    static final String HEADER = "Datadog-Rates-Payload-Version";
    private static final byte[] UNCHANGED = "{}".getBytes(StandardCharsets.US_ASCII);

    private record State(Map<String, Double> rates, String version, byte[] body) {
    }

    private volatile State state = new State(Map.of(), "", body(Map.of()));
    private long counter;

    /** Replaces every rate (each clamped to [0, 1]); keys not given are removed. */
    synchronized void setAll(SortedMap<String, Double> rates, long epochSecond) {
        for (Map.Entry<String, Double> e : rates.entrySet()) {
            e.setValue(Math.min(Math.max(e.getValue(), 0.0), 1.0));
        }
        State current = state;
        if (current.rates.equals(rates)) {
            return;
        }
        Map<String, Double> snapshot = Collections.unmodifiableSortedMap(rates);
        String version = Long.toString(epochSecond, 16) + "-" + Long.toString(++counter, 16);
        state = new State(snapshot, version, body(snapshot));
    }

    /** The response for a request that carried {@code requestVersion} (null or empty when it had none). */
    RatesResponse response(String requestVersion) {
        State current = state;
        if (requestVersion == null || requestVersion.isEmpty()) {
            return new RatesResponse(current.body.clone(), null);
        }
        byte[] body = requestVersion.equals(current.version) ? UNCHANGED.clone() : current.body.clone();
        return new RatesResponse(body, current.version);
    }

    String version() {
        return state.version;
    }

    private static byte[] body(Map<String, Double> rates) {
        StringBuilder json = new StringBuilder(32 + rates.size() * 48).append("{\"rate_by_service\":{");
        boolean first = true;
        for (Map.Entry<String, Double> e : rates.entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            GoJson.appendString(json, e.getKey());
            json.append(':').append(GoJson.formatFloat(e.getValue()));
        }
        return json.append("}}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
