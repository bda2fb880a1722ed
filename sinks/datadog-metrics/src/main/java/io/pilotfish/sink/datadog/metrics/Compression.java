package io.pilotfish.sink.datadog.metrics;

/** Body compressions the series intake accepts (OpenAPI {@code MetricContentEncoding}) that the JDK can write. */
public enum Compression {
    /** gzip (RFC 1952). */
    GZIP("gzip"),
    /** zlib-wrapped deflate (RFC 1950), which is what HTTP {@code deflate} means and what the Agent sends. */
    DEFLATE("deflate");

    private final String contentEncoding;

    Compression(String contentEncoding) {
        this.contentEncoding = contentEncoding;
    }

    /** The {@code Content-Encoding} header value. */
    public String contentEncoding() {
        return contentEncoding;
    }
}
