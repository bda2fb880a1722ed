package io.pilotfish.sink.datadog.common;

import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.SafeText;
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
import java.util.regex.Pattern;

/**
 * Maps a Datadog intake answer (or a transport failure) to an {@link ExportResult}:
 *
 * <ul>
 *   <li>2xx: Success; 413: TooLarge; 429 and 503: Retryable with the {@code Retry-After} wait; 408 and other 5xx:
 *   Retryable;</li>
 *   <li>401 and 403: CredentialsRejected (the data is kept while the agent re-reads a rotated key), naming the API
 *   key and site to check; other 4xx: Permanent with a short excerpt of
 *   the answer; 3xx (redirects are not followed): Permanent, naming the target;</li>
 *   <li>407 comes from a proxy, not the intake: {@link IntakeClient} reports it with {@link #proxyRefused};</li>
 *   <li>no answer at all (refused, reset, TLS, timeout): Retryable.</li>
 * </ul>
 *
 * Reasons name the host and what to check; outside text goes through a {@link Redactor} so a key echoed by a proxy
 * never reaches a log.
 */
public final class ResponseClassifier {

    /** How much of an answer body a reason shows. */
    public static final int EXCERPT_CHARS = 200;
    private static final Pattern WHITE_SPACE = Pattern.compile("[\\s\\u0085\\u00a0\\u2028\\u2029]+");

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
        String location = headers.firstValue("Location").map(l -> " to " + SafeText.excerpt(
                SafeText.maskCredentials(redactor.redact(l)), EXCERPT_CHARS)).orElse("");
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
        return new ExportResult.Retryable(SafeText.clean(redactor.redact(reason)));
    }

    /**
     * A 407 answer: the proxy on the way refused the request before it reached the intake, so the reason names the
     * proxy, not the intake. Retryable: the data is kept within the queue budget while the credentials are fixed, or
     * while the proxy's own authentication backend recovers.
     *
     * @param proxy          the proxy's {@code host:port} (never its credentials); empty when none is configured
     * @param credentialsSent whether the request carried {@code Proxy-Authorization}
     */
    public ExportResult.Retryable proxyRefused(Optional<String> proxy, boolean credentialsSent) {
        String who = proxy.map(p -> "the proxy at " + p).orElse("a proxy on the way to the intake");
        String reason = credentialsSent
                ? who + " refused the user and password of DD_PROXY_HTTPS (HTTP 407 Proxy Authentication Required): "
                        + "check the user and password in DD_PROXY_HTTPS (before the @ of the URL)"
                : who + " requires a user and password (HTTP 407 Proxy Authentication Required): set them in "
                        + "DD_PROXY_HTTPS: user, colon, password and @ before the host";
        return new ExportResult.Retryable(reason);
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

    /**
     * {@code ": <first 200 characters of the body>"} on one line, or nothing for an empty body: runs of white space
     * become one space, other control characters are escaped (a peer must not forge log lines or send terminal
     * sequences), and a longer body ends with a marker saying how much was cut ({@link SafeText#excerpt}).
     */
    public static String excerpt(byte[] body, Redactor redactor) {
        if (body == null || body.length == 0) {
            return "";
        }
        // Redact before cutting, so a key split by the cut cannot slip through.
        String text = redactor.redact(new String(body, StandardCharsets.UTF_8));
        String line = WHITE_SPACE.matcher(text).replaceAll(" ").strip();
        return line.isEmpty() ? "" : ": " + SafeText.excerpt(line, EXCERPT_CHARS);
    }
}
