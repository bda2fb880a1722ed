package io.pilotfish.sink.datadog.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.ExportResult;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ResponseClassifierTest {

    private static final long NOW = 1_700_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final String KEY = java.util.UUID.randomUUID().toString().replace("-", ""); // a fresh 32-hex key per run
    private static final Redactor MASK_KEY = text -> text.replace(KEY, "****cdef");

    private final ResponseClassifier classifier = new ResponseClassifier(CLOCK, Duration.ofMillis(1500));

    private static HttpHeaders headers(Map<String, String> values) {
        return HttpHeaders.of(values.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                Map.Entry::getKey, e -> List.of(e.getValue()))), (name, value) -> true);
    }

    private ExportResult classify(int status, Map<String, String> headers, String body) {
        return classifier.classify(status, headers(headers), body.getBytes(StandardCharsets.UTF_8),
                "api.datadoghq.eu", "datadoghq.eu", 1234, MASK_KEY);
    }

    @ParameterizedTest
    @CsvSource({
        "200, Success", "202, Success", "204, Success",
        "413, TooLarge",
        "429, Retryable", "503, Retryable", "408, Retryable", "500, Retryable", "502, Retryable", "504, Retryable",
        "401, CredentialsRejected", "403, CredentialsRejected",
        "400, Permanent", "404, Permanent", "422, Permanent",
        "301, Permanent", "302, Permanent"})
    void statusesAreClassified(int status, String expected) {
        ExportResult result = classify(status, Map.of(), "{\"errors\":[\"x\"]}");
        assertEquals(expected, result.getClass().getSimpleName(), String.valueOf(result));
    }

    @Test
    void tooLargeNamesTheBodySize() {
        String reason = assertInstanceOf(ExportResult.TooLarge.class, classify(413, Map.of(), "")).reason();
        assertTrue(reason.contains("HTTP 413") && reason.contains("1234 bytes"), reason);
    }

    @Test
    void forbiddenNamesTheKeyAndTheSiteToCheck() {
        String reason = assertInstanceOf(ExportResult.CredentialsRejected.class, classify(403, Map.of(), "")).reason();
        assertTrue(reason.startsWith("api.datadoghq.eu answered HTTP 403"), reason);
        assertTrue(reason.contains("API key was rejected") && reason.contains("DD_API_KEY"), reason);
        assertTrue(reason.contains("\"datadoghq.eu\"") && reason.contains("DD_SITE"), reason);
    }

    @Test
    void aRedirectNamesItsTargetWithTheKeyMasked() {
        String reason = assertInstanceOf(ExportResult.Permanent.class, classify(302,
                Map.of("Location", "https://elsewhere.example/?api_key=" + KEY), "")).reason();
        assertTrue(reason.contains("to https://elsewhere.example/?api_key=****cdef"), reason);
        assertTrue(reason.contains("set url or DD_DD_URL"), reason);
    }

    @Test
    void retryAfterIsPassedOnInSecondsOrAsADate() {
        ExportResult.Retryable seconds = assertInstanceOf(ExportResult.Retryable.class,
                classify(429, Map.of("Retry-After", "120"), ""));
        assertEquals(Optional.of(Duration.ofSeconds(120)), seconds.retryAfter());
        assertTrue(seconds.reason().contains("too many requests") && seconds.reason().contains("retry after 120s"),
                seconds.reason());

        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                Instant.ofEpochSecond(NOW + 90).atZone(ZoneOffset.UTC));
        ExportResult.Retryable dated = assertInstanceOf(ExportResult.Retryable.class,
                classify(503, Map.of("Retry-After", date), ""));
        assertEquals(Optional.of(Duration.ofSeconds(90)), dated.retryAfter());

        assertEquals(Optional.empty(), assertInstanceOf(ExportResult.Retryable.class,
                classify(500, Map.of("Retry-After", "5"), "")).retryAfter(), "only 429 and 503 carry a wait");
    }

    @Test
    void anErrorBodyIsShownAsAShortOneLineExcerptWithTheKeyMasked() {
        String body = "{\"errors\":[\"bad key " + KEY + "\"]}\n\n\t" + "x".repeat(5000);
        String reason = assertInstanceOf(ExportResult.Permanent.class, classify(400, Map.of(), body)).reason();

        assertTrue(reason.contains("{\"errors\":[\"bad key ****cdef\"]}"), reason);
        assertFalse(reason.contains(KEY));
        assertFalse(reason.contains("\n") || reason.contains("\t"), reason);
        assertTrue(reason.endsWith("...(cut at 200 characters)"), reason);
        assertTrue(reason.length() < 300, "excerpt is short: " + reason.length());
    }

    @Test
    void anErrorBodyThatEchoesTheKeyInAnyFormShowsItMaskedWithControlCharactersEscaped() {
        ApiKey key = ((ApiKey.Usable) ApiKey.lookup(new io.pilotfish.spi.AgentSettings("1", "",
                io.pilotfish.spi.signal.TagSet.EMPTY, "datadoghq.eu", Optional.empty(),
                () -> Optional.of(new io.pilotfish.spi.Secret(KEY))))).key();
        java.util.List<String> leaked = new java.util.ArrayList<>();
        io.pilotfish.testkit.SecretEchoes.of(KEY).forEach((name, form) -> {
            String reason = assertInstanceOf(ExportResult.Permanent.class, classifier.classify(400,
                    headers(Map.of()), ("{\"errors\":[\"\u001b[31mkey " + form + "\r\nWARN forged\"]}")
                            .getBytes(StandardCharsets.UTF_8), "api.datadoghq.eu", "datadoghq.eu", 10, key)).reason();
            if (reason.contains(form) || !reason.contains("****" + KEY.substring(KEY.length() - 4))
                    || reason.chars().anyMatch(c -> c < 0x20) || !reason.contains("\\x1b[31mkey")) {
                leaked.add(name + ": " + reason);
            }
        });
        assertTrue(leaked.isEmpty(), String.join("\n", leaked));
    }

    @Test
    void anEmptyBodyAddsNothing() {
        assertEquals("", ResponseClassifier.excerpt(new byte[0], Redactor.NONE));
        assertEquals("", ResponseClassifier.excerpt(null, Redactor.NONE));
        assertEquals("", ResponseClassifier.excerpt(" \n ".getBytes(StandardCharsets.UTF_8), Redactor.NONE));
        assertEquals("api.datadoghq.eu answered HTTP 500",
                assertInstanceOf(ExportResult.Retryable.class, classify(500, Map.of(), "")).reason());
    }

    @Test
    void transportFailuresAreRetryableAndSayWhatHappened() {
        String refused = assertInstanceOf(ExportResult.Retryable.class, classifier.transportFailure(
                new CompletionException(new ConnectException("Connection refused")), "h.example", MASK_KEY)).reason();
        assertTrue(refused.startsWith("could not connect to h.example") && refused.contains("proxy"), refused);

        String connectTimeout = assertInstanceOf(ExportResult.Retryable.class, classifier.transportFailure(
                new HttpConnectTimeoutException("x"), "h.example", MASK_KEY)).reason();
        assertEquals("could not connect to h.example within 1500ms", connectTimeout);

        String timeout = assertInstanceOf(ExportResult.Retryable.class, classifier.transportFailure(
                new HttpTimeoutException("x"), "h.example", MASK_KEY)).reason();
        assertEquals("no answer from h.example within 1500ms", timeout);

        String other = assertInstanceOf(ExportResult.Retryable.class, classifier.transportFailure(
                new java.io.IOException("reset " + KEY), "h.example", MASK_KEY)).reason();
        assertEquals("request to h.example failed (IOException: reset ****cdef)", other);
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-5", "1.5", "Tue, 99 Foo 2023 00:00:00 GMT", "", "9999999999999999999"})
    void garbageRetryAfterIsIgnored(String value) {
        assertEquals(Optional.empty(), RetryAfter.parse(Optional.of(value), CLOCK));
    }

    @Test
    void retryAfterInThePastMeansNoWait() {
        assertEquals(Optional.of(Duration.ZERO),
                RetryAfter.parse(Optional.of("Wed, 01 Nov 2023 00:00:00 GMT"), CLOCK));
        assertEquals(Optional.empty(), RetryAfter.parse(Optional.empty(), CLOCK));
        assertEquals(Optional.of(Duration.ofSeconds(7)), RetryAfter.parse(Optional.of(" 7 "), CLOCK));
    }
}
