package io.pilotfish.sink.datadog.common;

import io.pilotfish.spi.SelfTelemetry;

/**
 * The request figures every Datadog sink reports: {@code sink.requests} by {@code status_class}
 * ({@code 2xx}/{@code 3xx}/{@code 4xx}/{@code 5xx}, and {@code error} for no answer) and {@code sink.bytes.sent}
 * (body bytes as sent, of requests that got an answer from the intake); {@code sink.requests.proxy_refused} counts
 * the 407 answers of a proxy on the way.
 */
public final class RequestCounters {

    private final SelfTelemetry.Counter requests2xx;
    private final SelfTelemetry.Counter requests3xx;
    private final SelfTelemetry.Counter requests4xx;
    private final SelfTelemetry.Counter requests5xx;
    private final SelfTelemetry.Counter requestsFailed;
    private final SelfTelemetry.Counter proxyRefused;
    private final SelfTelemetry.Counter bytesSent;

    public RequestCounters(SelfTelemetry telemetry) {
        this.requests2xx = telemetry.counter("sink.requests", "status_class:2xx");
        this.requests3xx = telemetry.counter("sink.requests", "status_class:3xx");
        this.requests4xx = telemetry.counter("sink.requests", "status_class:4xx");
        this.requests5xx = telemetry.counter("sink.requests", "status_class:5xx");
        this.requestsFailed = telemetry.counter("sink.requests", "status_class:error");
        this.proxyRefused = telemetry.counter("sink.requests.proxy_refused");
        this.bytesSent = telemetry.counter("sink.bytes.sent");
    }

    /** A request that got an answer. */
    public void answered(int status, int sentBytes) {
        bytesSent.add(sentBytes);
        switch (status / 100) {
            case 2 -> requests2xx.increment();
            case 3 -> requests3xx.increment();
            case 4 -> requests4xx.increment();
            case 5 -> requests5xx.increment();
            default -> requestsFailed.increment();
        }
    }

    /** A request the proxy refused with 407: a 4xx answer, but the body never reached the intake. */
    public void proxyRefused() {
        requests4xx.increment();
        proxyRefused.increment();
    }

    /** A request that got no answer, or could not be built. */
    public void failed() {
        requestsFailed.increment();
    }
}
