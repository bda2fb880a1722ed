package io.pilotfish.agent.doctor;

import io.pilotfish.agent.status.StatusServer;
import java.util.Objects;

/**
 * The agent's status endpoint listens on a loopback address: bound anywhere else, {@code /status}, {@code /health}
 * and {@code /metrics} answer whoever reaches the task, without authentication. A warning, not a failure: a user may
 * mean it (a scraper in another task) and restrict the port in the security group.
 */
public final class StatusEndpointCheck implements DoctorCheck {

    private final String host;
    private final int port;

    /** @param host the configured {@code pilotfish.status.host}; {@code port} 0 when the endpoint is off */
    public StatusEndpointCheck(String host, int port) {
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
    }

    @Override
    public String id() {
        return "status-endpoint";
    }

    @Override
    public String title() {
        return "status endpoint exposure";
    }

    @Override
    public CheckResult run(DoctorContext context) {
        if (port <= 0) {
            return CheckResult.skip(this, "the status endpoint is turned off (pilotfish.status.port=0)");
        }
        if (StatusServer.isLoopback(host)) {
            return CheckResult.pass(this, host + ":" + port + ", loopback only: nothing outside the task reaches it");
        }
        return CheckResult.warn(this, "pilotfish.status.host=" + host + ": the status endpoint on port " + port
                        + " is not bound to a loopback address, so /status, /health and /metrics answer anyone who "
                        + "can reach the task, without authentication",
                "Unset PILOTFISH_STATUS_HOST (default 127.0.0.1); if another task must read it, allow port " + port
                        + " only from that source in the task's security group");
    }
}
