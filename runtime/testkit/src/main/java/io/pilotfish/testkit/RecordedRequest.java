package io.pilotfish.testkit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One request {@link IntakeRecorder} received and how it answered. The API key is kept only for
 * {@link #apiKeyMatches(String)}: no accessor returns it and {@link #toString()} never shows it.
 */
public final class RecordedRequest {

    private final long sequence;
    private final Instant receivedAt;
    private final String method;
    private final String path;
    private final String query;
    private final Map<String, List<String>> headers;
    private final String contentEncoding;
    private final long wireBytes;
    private final byte[] body;
    private final int status;
    private final String rejection;
    private final List<RecordedSeries> series;
    private final List<RecordedSketch> sketches;
    private final String apiKey;

    RecordedRequest(long sequence, Instant receivedAt, String method, String path, String query,
                    Map<String, List<String>> headers, String contentEncoding, long wireBytes, byte[] body,
                    int status, String rejection, List<RecordedSeries> series, List<RecordedSketch> sketches,
                    String apiKey) {
        this.sequence = sequence;
        this.receivedAt = receivedAt;
        this.method = method;
        this.path = path;
        this.query = query;
        this.headers = Map.copyOf(headers);
        this.contentEncoding = contentEncoding;
        this.wireBytes = wireBytes;
        this.body = body;
        this.status = status;
        this.rejection = rejection;
        this.series = List.copyOf(series);
        this.sketches = List.copyOf(sketches);
        this.apiKey = apiKey;
    }

    /** 1 for the first request the recorder received. */
    public long sequence() {
        return sequence;
    }

    public Instant receivedAt() {
        return receivedAt;
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    public Optional<String> query() {
        return Optional.ofNullable(query);
    }

    /** Headers by lower-case name, without {@code dd-api-key} and {@code dd-application-key}. */
    public Map<String, List<String>> headers() {
        return headers;
    }

    public Optional<String> header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The {@code Content-Encoding} sent, {@code identity} when none. */
    public String contentEncoding() {
        return contentEncoding;
    }

    /** Body size as sent (compressed). */
    public long wireBytes() {
        return wireBytes;
    }

    /** The decompressed body; the raw bytes if they could not be decompressed; empty if over the size cap. */
    public byte[] body() {
        return body.clone();
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The status the recorder answered with. */
    public int status() {
        return status;
    }

    /** Answered 2xx: counted by {@link IntakeRecorder#series()} and {@link IntakeRecorder#sketches()}. */
    public boolean accepted() {
        return status >= 200 && status < 300;
    }

    /** Why a non-2xx answer was given (e.g. "unsupported Content-Encoding: br", "scripted 503"). */
    public Optional<String> rejection() {
        return Optional.ofNullable(rejection);
    }

    /** The series decoded from a JSON {@code /api/v2/series} body, whatever the answer; empty otherwise. */
    public List<RecordedSeries> series() {
        return series;
    }

    /** The sketches decoded from a protobuf {@code /api/beta/sketches} body, whatever the answer; empty otherwise. */
    public List<RecordedSketch> sketches() {
        return sketches;
    }

    public boolean hasApiKey() {
        return apiKey != null && !apiKey.isEmpty();
    }

    /** Whether the request carried exactly this {@code DD-API-KEY} (compared in constant time). */
    public boolean apiKeyMatches(String expected) {
        if (apiKey == null || expected == null) {
            return false;
        }
        return MessageDigest.isEqual(apiKey.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "#" + sequence + " " + method + " " + path + " -> " + status
                + (rejection == null ? "" : " (" + rejection + ")")
                + ", " + wireBytes + " B " + contentEncoding
                + (series.isEmpty() ? "" : ", " + series.size() + " series")
                + (sketches.isEmpty() ? "" : ", " + sketches.size() + " sketches")
                + (hasApiKey() ? ", api key present" : ", no api key");
    }
}
