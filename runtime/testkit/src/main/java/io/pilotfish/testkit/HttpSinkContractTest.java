package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Sink;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of sinks that send to an HTTP intake, on top of {@link SinkContractTest}: each test points the sink
 * at an {@link IntakeRecorder} (which accepts only {@link #apiKey()}) through {@link #configFor(URI)} and the
 * agent's {@code ddUrl}, scripts an answer, and checks the sink's verdict:
 *
 * <table>
 *   <caption>intake answer and expected result</caption>
 *   <tr><td>202</td><td>Success; every request accepted and carrying the API key</td></tr>
 *   <tr><td>500, 503</td><td>Retryable, no more requests than a success takes (sinks never retry)</td></tr>
 *   <tr><td>429 with Retry-After: 3</td><td>Retryable with a 3 s retryAfter</td></tr>
 *   <tr><td>400, 403</td><td>Permanent</td></tr>
 *   <tr><td>413</td><td>TooLarge</td></tr>
 *   <tr><td>nothing listening</td><td>Retryable or an exceptionally completed stage; export() never throws</td></tr>
 * </table>
 *
 * Failure reasons name the status. Error bodies echo the API key (as a misbehaving proxy might): it must not show in
 * any result, log line, telemetry name, or the sink's or config's {@code toString}.
 *
 * @param <C> the plugin's typed config
 */
public abstract class HttpSinkContractTest<C> extends SinkContractTest<C> {

    private IntakeRecorder intake;

    /** Keys that send to {@code intake} (its {@code uri()} is the base, as for {@code DD_DD_URL}). */
    protected abstract Map<String, String> configFor(URI intake);

    /** A valid config aimed at a port nothing listens on; configure must not connect anywhere. */
    @Override
    protected Map<String, String> validConfig() {
        return configFor(URI.create("http://127.0.0.1:9"));
    }

    @Override
    protected Map<String, String> exportConfig() {
        return configFor(intake().uri());
    }

    @Override
    protected TestPluginContext exportContext() {
        return contextBuilder().ddUrl(intake().uri()).build();
    }

    /** The recorder, started on first use and closed after each test; it accepts only {@link #apiKey()}. */
    protected final IntakeRecorder intake() {
        if (intake == null) {
            intake = IntakeRecorder.builder().acceptKeys(apiKey()).start();
        }
        return intake;
    }

    @AfterEach
    public void closeIntake() {
        if (intake != null) {
            intake.close();
            intake = null;
        }
    }

    @Test
    public void accepted202IsSuccessAndCarriesTheApiKey() {
        ExportResult result = exportWith(null).resultOrFail();
        assertInstanceOf(ExportResult.Success.class, result, "intake answered 202");
        List<RecordedRequest> requests = intake().requests();
        assertFalse(requests.isEmpty(), "the sink reported success without sending anything to the intake");
        for (RecordedRequest request : requests) {
            assertTrue(request.apiKeyMatches(apiKey()), "request without the agent's API key: " + request);
            assertTrue(request.accepted(), "the intake refused a request: " + request + " "
                    + request.rejection().orElse(""));
            assertTrue(request.body().length > 0, "a request with an empty body: " + request);
        }
    }

    @Test
    public void serverError500IsRetryable() {
        assertRetryableWithoutRetrying(500);
    }

    @Test
    public void serviceUnavailable503IsRetryable() {
        assertRetryableWithoutRetrying(503);
    }

    @Test
    public void tooManyRequests429IsRetryableAfterTheIntakesDelay() {
        ExportResult result = exportWith(ScriptedResponse.status(429).withRetryAfter("3")).resultOrFail();
        ExportResult.Retryable retryable = assertInstanceOf(ExportResult.Retryable.class, result,
                "intake answered 429 with Retry-After: 3");
        assertEquals(Optional.of(Duration.ofSeconds(3)), retryable.retryAfter(), "the Retry-After hint: " + result);
        assertNamesStatus(retryable.reason(), 429);
    }

    @Test
    public void badRequest400IsPermanent() {
        ExportResult result = exportWith(echoingKey(400)).resultOrFail();
        assertNamesStatus(assertInstanceOf(ExportResult.Permanent.class, result, "intake answered 400").reason(),
                400);
    }

    @Test
    public void forbidden403RejectsTheCredentials() {
        ExportResult result = exportWith(echoingKey(403)).resultOrFail();
        assertNamesStatus(assertInstanceOf(ExportResult.CredentialsRejected.class, result,
                "intake answered 403: the key is re-read and the data kept").reason(), 403);
    }

    @Test
    public void payloadTooLarge413IsTooLarge() {
        ExportResult result = exportWith(echoingKey(413)).resultOrFail();
        assertNamesStatus(assertInstanceOf(ExportResult.TooLarge.class, result, "intake answered 413").reason(),
                413);
    }

    @Test
    public void unreachableIntakeIsRetryableAndNeverThrown() {
        URI closed = URI.create("http://127.0.0.1:" + FactoryChecks.closedPort());
        try (TestPluginContext context = contextBuilder().ddUrl(closed).build()) {
            Sink sink = create(configured(configFor(closed)), context);
            try {
                Outcome outcome = export(sink);
                if (outcome.failure() == null) {
                    ExportResult.Retryable retryable = assertInstanceOf(ExportResult.Retryable.class,
                            outcome.result(), "nothing listens at " + closed);
                    assertFalse(retryable.reason() == null || retryable.reason().isBlank(),
                            "a retryable result must say what went wrong");
                }
            } finally {
                closeTwice(sink);
            }
        }
    }

    /** Every answer above, plus an unreachable intake, in one sink: the key never shows. */
    @Test
    public void apiKeyNeverShownWhateverTheIntakeAnswers() {
        URI closed = URI.create("http://127.0.0.1:" + FactoryChecks.closedPort());
        try (TestPluginContext context = contextBuilder().ddUrl(intake().uri()).build()) {
            C config = configured(configFor(intake().uri()));
            Sink sink = create(config, context);
            List<String> seen = new ArrayList<>();
            try {
                for (int status : new int[] {202, 400, 403, 413, 429, 500, 503}) {
                    intake().reset();
                    if (status != 202) {
                        intake().alwaysRespond(echoingKey(status).withRetryAfter("3"));
                    }
                    seen.add(export(sink).describe());
                }
            } finally {
                closeTwice(sink);
            }
            Sink unreachable = create(configured(configFor(closed)), context);
            try {
                seen.add(export(unreachable).describe());
            } finally {
                closeTwice(unreachable);
            }
            seen.add(String.valueOf(config));
            seen.add(String.valueOf(sink));
            assertKeyNotShown(context, seen);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Exports the samples to the recorder, which answers every POST with {@code answer} (null: its default 202). */
    protected final Outcome exportWith(ScriptedResponse answer) {
        if (answer != null) {
            intake().alwaysRespond(answer);
        }
        try (TestPluginContext context = contextBuilder().ddUrl(intake().uri()).build()) {
            Sink sink = create(configured(configFor(intake().uri())), context);
            try {
                return export(sink);
            } finally {
                closeTwice(sink);
            }
        }
    }

    /** An error answer whose body repeats the API key, as a proxy or a verbose intake might. */
    protected final ScriptedResponse echoingKey(int status) {
        return ScriptedResponse.status(status).withBody("{\"errors\":[\"request with api key " + apiKey()
                + " refused\"]}");
    }

    private void assertRetryableWithoutRetrying(int status) {
        exportWith(null).resultOrFail();
        int requestsOfASuccess = intake().requests().size();
        intake().clear();
        ExportResult result = exportWith(echoingKey(status)).resultOrFail();
        ExportResult.Retryable retryable = assertInstanceOf(ExportResult.Retryable.class, result,
                "intake answered " + status);
        assertNamesStatus(retryable.reason(), status);
        int requests = intake().requests().size();
        assertTrue(requests >= 1, "the sink reported " + status + " without sending anything");
        assertTrue(requests <= requestsOfASuccess, "the sink sent " + requests + " requests for a batch that takes "
                + requestsOfASuccess + " when accepted: sinks must not retry on their own, the platform does");
    }

    private void assertNamesStatus(String reason, int status) {
        if (reason == null || !reason.contains(String.valueOf(status))) {
            fail("the reason should name the intake's answer (HTTP " + status + ") so operators can act on it; was: "
                    + (reason == null ? null : reason.replace(apiKey(), "<API KEY>")));
        }
    }
}
