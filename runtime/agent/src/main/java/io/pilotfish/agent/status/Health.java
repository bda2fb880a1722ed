package io.pilotfish.agent.status;

import io.pilotfish.health.HealthAnswer;
import java.util.List;
import java.util.Objects;

/**
 * The health check's verdict, as {@code GET /health} answers it and {@code pilotfish health} prints it: every
 * configured listener, collector and sink works ({@code ok}); some part failed or stopped and the user chose
 * {@code pilotfish.health.degraded=report} ({@code degraded}, still healthy for ECS); some part failed or stopped
 * ({@code unhealthy}); or the agent is shutting down ({@code stopping}).
 *
 * @param problems one line per part that does not work, naming it and why
 */
public record Health(Status status, List<String> problems) {

    public enum Status {
        OK(200, HealthAnswer.OK), DEGRADED(200, HealthAnswer.DEGRADED), UNHEALTHY(503, HealthAnswer.UNHEALTHY),
        STOPPING(503, HealthAnswer.STOPPING);

        private final int httpStatus;
        private final String wireName;

        Status(int httpStatus, String wireName) {
            this.httpStatus = httpStatus;
            this.wireName = wireName;
        }

        public int httpStatus() {
            return httpStatus;
        }

        /** As {@code GET /health} and {@code pilotfish status} name it. */
        public String wireName() {
            return wireName;
        }
    }

    public Health {
        Objects.requireNonNull(status, "status");
        problems = List.copyOf(problems);
    }

    /** @param degradedIsHealthy the user's {@code pilotfish.health.degraded=report} */
    public static Health of(boolean running, List<String> deadParts, boolean degradedIsHealthy) {
        if (!running) {
            return new Health(Status.STOPPING, List.of());
        }
        if (deadParts.isEmpty()) {
            return new Health(Status.OK, List.of());
        }
        return new Health(degradedIsHealthy ? Status.DEGRADED : Status.UNHEALTHY, deadParts);
    }

    public boolean healthy() {
        return status.httpStatus() == 200;
    }

    /** The body of {@code GET /health}. */
    public String json() {
        return HealthAnswer.json(status.wireName(), problems);
    }
}
