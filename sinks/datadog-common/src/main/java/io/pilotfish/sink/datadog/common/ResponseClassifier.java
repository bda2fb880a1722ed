package io.pilotfish.sink.datadog.common;

import io.pilotfish.spi.ExportResult;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Maps a Datadog intake answer (or a transport failure) to an {@link ExportResult}:
 *
 * <ul>
 *   <li>2xx: Success; 413: TooLarge; 429 and 503: Retryable with the {@code Retry-After} wait; 408 and other 5xx:
 *   Retryable;</li>
 *   <li>401 and 403: CredentialsRejected (the data is kept while the agent re-reads a rotated key), naming the API
 *   key and site to check; other 4xx: Permanent with a short excerpt of
 *   the answer; 3xx (redirects are not followed): Permanent, naming the target;</li>
 *   <li>no answer at all (refused, reset, TLS, timeout): Retryable.</li>
 * </ul>
 *
 * Reasons name the host and what to check; outside text goes through a {@link Redactor} so a key echoed by a proxy
 * never reaches a log.
 */
public final class ResponseClassifier {

    /** How much of an answer body a reason shows. */
    public static final int EXCERPT_CHARS = 200;

    private final Clock clock;
    private final Duration requestTimeout;

    /**
     * @param clock          resolves an HTTP-date {@code Retry-After}
     * @param requestTimeout the timeout requests are sent with, named in timeout reasons
     */
    public ResponseClassifier(Clock clock, Duration requestTimeout) {
        this.clock = clock;
        this.requestTimeout = requestTimeout;
    }

    /**
     * @param host      the host the request went to, named in every reason
     * @param site      the site in use, shown in the 401/403 advice
     * @param sentBytes the body size as sent, shown in the 413 reason
     */
    public ExportResult classify(int status, HttpHeaders headers, byte[] body, String host, String site, int sentBytes,
                          Redactor redactor) {
        if (status >= 200 && status < 300) {
            return ExportResult.SUCCESS;
        }
        String prefix = host + " answered HTTP " + status;
        if (status == 413) {
            return new ExportResult.TooLarge(prefix + " (payload too large) to a body of " + sentBytes
                    + " bytes compressed");
        }
        if (status == 429 || status == 503) {
            Optional<Duration> retryAfter = RetryAfter.parse(headers.firstValue("Retry-After"), clock);
            String what = status == 429 ? " (too many requests)" : " (service unavailable)";
            return new ExportResult.Retryable(prefix + what + retryAfter.map(d -> "; retry after " + d.toSeconds()
                    + "s").orElse(""), retryAfter);
        }
        if (status == 408) {
            return new ExportResult.Retryable(prefix + " (request timeout)");
        }
        if (status >= 500) {
            return new ExportResult.Retryable(prefix + excerpt(body, redactor));
        }
        if (status == 401 || status == 403) {
            return new ExportResult.CredentialsRejected(prefix + ": the API key was rejected. Check that DD_API_KEY holds a "
                    + "valid Datadog API key (not an application key) of the organisation on site \"" + site
                    + "\", and that DD_SITE names that site");
        }
        if (status >= 400) {
            return new ExportResult.Permanent(prefix + excerpt(body, redactor));
        }
        String location = headers.firstValue("Location").map(l -> " to " + redactor.redact(l)).orElse("");
        return new ExportResult.Permanent(prefix + location + ": expected 2xx from the Datadog intake; set url or "
                + "DD_DD_URL to the final intake address");
    }

    /** A request that got no answer: connection refused, reset, TLS failure, timeout. Always worth a retry. */
    public ExportResult transportFailure(Throwable failure, String host, Redactor redactor) {
        Throwable cause = unwrap(failure);
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        String reason;
        if (cause instanceof HttpConnectTimeoutException) {
            reason = "could not connect to " + host + " within " + readable(requestTimeout);
        } else if (cause instanceof HttpTimeoutException) {
            reason = "no answer from " + host + " within " + readable(requestTimeout);
        } else if (cause instanceof ConnectException) {
            reason = "could not connect to " + host + " (" + detail + "); check the network path and proxy";
        } else {
            reason = "request to " + host + " failed (" + detail + ")";
        }
        return new ExportResult.Retryable(redactor.redact(reason));
    }

    private static String readable(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /** {@code ": <first 200 characters of the body>"} on one line, or nothing for an empty body. */
    public static String excerpt(byte[] body, Redactor redactor) {
        if (body == null || body.length == 0) {
            return "";
        }
        // Redact before cutting, so a key split by the cut cannot slip through.
        String text = redactor.redact(new String(body, StandardCharsets.UTF_8));
        StringBuilder line = new StringBuilder(Math.min(text.length(), EXCERPT_CHARS + 1));
        boolean lastWasSpace = false;
        for (int i = 0; i < text.length() && line.length() <= EXCERPT_CHARS; i++) {
            char c = text.charAt(i);
            boolean space = Character.isWhitespace(c) || Character.isISOControl(c);
            if (space) {
                if (!lastWasSpace && !line.isEmpty()) {
                    line.append(' ');
                }
            } else {
                line.append(c);
            }
            lastWasSpace = space;
        }
        String shown = line.toString().strip();
        if (shown.length() > EXCERPT_CHARS) {
            shown = shown.substring(0, EXCERPT_CHARS) + "...";
        }
        return shown.isEmpty() ? "" : ": " + shown;
    }
}
