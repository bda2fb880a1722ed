package io.pilotfish.config.ssm;

import io.pilotfish.core.http.BodyTooLargeException;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.signal.TagSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.exception.NonRetryableException;

/**
 * The most the agent reads of an SSM answer and of a task-role credentials answer, and the count of answers refused
 * for being larger. SSM and the credentials endpoint are read at start-up, before the agent's telemetry exists, and
 * by every reload, so the counts are process-wide; the running agent reports them with {@link #countIn}.
 */
public final class ResponseLimits {

    /**
     * One SSM answer: a page of GetParametersByPath holds at most 10 parameters of at most 8 KB (advanced tier),
     * about 100 KB with their metadata, so 2 MiB is twenty times the largest real answer.
     */
    public static final long SSM_MAX_BODY_BYTES = 2L << 20;
    /** A task-role credentials answer is about 1.5 KB (keys, a session token, the role and the expiration). */
    public static final long CREDENTIALS_MAX_BODY_BYTES = 64L << 10;

    /** Where the refused answer came from; the {@code answers_dropped} figure of each. */
    public enum Route {
        SSM("ssm.answers_dropped", "SSM"),
        CREDENTIALS("credentials.answers_dropped", "the task-role credentials endpoint");

        private final String figure;
        private final String description;
        private final LongAdder refused = new LongAdder();

        Route(String figure, String description) {
            this.figure = figure;
            this.description = description;
        }

        /** Answers refused for their size since the process started. */
        public long refused() {
            return refused.sum();
        }
    }

    private static final System.Logger LOG = System.getLogger(ResponseLimits.class.getName());
    private static final Set<Route> LOGGED = ConcurrentHashMap.newKeySet();

    private ResponseLimits() {
    }

    /**
     * Counts a refusal and logs the first of each route (the count says how often since); returns the exception for
     * the SDK: not retried (the answer would be as large again), and with no I/O error among its causes, which the
     * SDK would retry.
     */
    static NonRetryableException refused(Route route, BodyTooLargeException refusal) {
        route.refused.increment();
        if (LOGGED.add(route)) {
            LOG.log(System.Logger.Level.WARNING, refusal.getMessage() + ": " + route.description + " answered with "
                    + "more than Pilotfish reads; nothing from it is applied (a running agent keeps its "
                    + "configuration). Further refusals are only counted (pilotfish." + route.figure + ")");
        }
        return NonRetryableException.create(refusal.getMessage(), new Refused(route, refusal.getMessage()));
    }

    /** The refusal behind an SDK failure, if it was one. */
    static Optional<Refused> refusal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Refused refused) {
                return Optional.of(refused);
            }
        }
        return Optional.empty();
    }

    /** Reports each route's refusals in {@code registry} as {@code pilotfish.<route>.answers_dropped}. */
    public static void countIn(TelemetryRegistry registry) {
        for (Route route : Route.values()) {
            registry.gauge(route.figure, TagSet.of("reason:body_too_large"), route::refused);
        }
    }

    /**
     * Marks an SDK failure as a size refusal, so the SSM loader can name it. Deliberately not an I/O exception: the
     * SDK retries any failure with one among its causes.
     */
    static final class Refused extends RuntimeException {
        private final Route route;

        Refused(Route route, String message) {
            super(message, null, false, false);
            this.route = route;
        }

        Route route() {
            return route;
        }
    }
}
