package io.pilotfish.collector.containerstats;

import com.fasterxml.jackson.core.JacksonException;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.ServiceCheck.Status;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The {@code fargate_check} service check of Datadog's ecs_fargate check: OK when a scrape read both the task and its
 * stats; CRITICAL when {@code /task} did not answer (timeout, connection error, an HTTP error status); WARNING when
 * {@code /task} answered with something that is not task metadata or lacks {@code Cluster}/{@code Containers}, or
 * when {@code /task/stats} failed in any way. The check asks {@code /task} first and stops at its first problem, so
 * the first problem of a scrape decides.
 */
final class FargateCheck {

    static final String NAME = "fargate_check";

    private FargateCheck() {
    }

    /** What one scrape found; messages say what failed and what to do. */
    record Verdict(Status status, String message) {

        static final Verdict OK = new Verdict(Status.OK, "");

        /** This verdict if it is already a problem, else {@code next}. */
        Verdict then(Verdict next) {
            return status == Status.OK ? next : this;
        }

        /**
         * @param taskTags the task's tags at low cardinality: the check gives it only its instance's tags (none
         *                 here), and the Agent's aggregator adds its tagger's global tags, which on Fargate are the
         *                 task's, to every service check without an origin
         */
        ServiceCheck toServiceCheck(long timestamp, String host, TagSet taskTags) {
            return new ServiceCheck(NAME, status, timestamp, taskTags, message, host);
        }
    }

    /** The refresh of {@code /task} failed; the scrape goes on with the snapshot read earlier. */
    static Verdict taskNotRead(Throwable failure, TaskSnapshot lastRead) {
        String detail = describe(failure);
        String fallback = " Metrics keep being tagged from the task metadata read at " + lastRead.fetchedAt() + ".";
        if (isUnreadableAnswer(failure)) {
            return new Verdict(Status.WARNING, "GET /task answered with something that is not task metadata ("
                    + detail + ")." + fallback + " Check that ECS_CONTAINER_METADATA_URI_V4 is the value ECS set "
                    + "(not overridden in the task definition) and that no proxy answers for 169.254.170.2.");
        }
        return new Verdict(Status.CRITICAL, "The ECS task metadata endpoint did not answer GET /task (" + detail
                + ")." + fallback + " ECS serves this endpoint inside the task; if it stays unanswered, the task's "
                + "ECS agent is failing: replace the task.");
    }

    /** {@code /task} answered but without what every task has. */
    static Verdict taskIncomplete(List<String> missingFields) {
        return new Verdict(Status.WARNING, "GET /task answered without " + String.join(" and ", missingFields)
                + ", which every ECS task has; container metrics cannot all be tagged. Check that "
                + "ECS_CONTAINER_METADATA_URI_V4 is the value ECS set and that no proxy answers for 169.254.170.2.");
    }

    static Verdict statsNotRead(Throwable failure) {
        String what = failure instanceof MalformedStatsException
                ? "GET /task/stats answered with something that is not container stats (" + describe(failure) + ")"
                : "GET /task/stats failed (" + describe(failure) + ")";
        return new Verdict(Status.WARNING, what + "; no container stats this interval, only the limits and "
                + "ephemeral storage from the task metadata. Fargate serves a container's stats about a second after "
                + "it starts; if this lasts, replace the task.");
    }

    /**
     * Whether {@code /task} answered, but with a body that is not task metadata. Core's client reports transport
     * errors with their IOException or timeout as cause and HTTP errors as "returned HTTP n"; its parser rejects a
     * body with a Jackson cause (not JSON) or a message about "The /task response" (wrong shape, no TaskARN).
     */
    static boolean isUnreadableAnswer(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof JacksonException) {
                return true; // before IOException, which it extends
            }
            if (cause instanceof IOException || cause instanceof TimeoutException) {
                return false;
            }
            if (cause instanceof MetadataException && cause.getMessage() != null
                    && cause.getMessage().startsWith("The /task response")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }
}
