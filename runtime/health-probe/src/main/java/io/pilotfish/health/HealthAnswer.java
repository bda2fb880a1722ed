package io.pilotfish.health;

import java.util.List;

/**
 * The body of the agent's {@code GET /health}, written by the agent and read by {@link HealthVerdict}: one place for
 * both sides of the contract. {@code {"status":"ok"}} and {@code {"status":"degraded","problems":[…]}} come with
 * 200, {@code {"status":"unhealthy","problems":[…]}} and {@code {"status":"stopping"}} with 503.
 */
public final class HealthAnswer {

    public static final String OK = "ok";
    public static final String DEGRADED = "degraded";
    public static final String UNHEALTHY = "unhealthy";
    public static final String STOPPING = "stopping";

    private HealthAnswer() {
    }

    /**
     * The JSON body. Written by hand: the check runs every 30 s for the task's whole life, and a JSON library would
     * load hundreds of classes into an agent that otherwise never needs them.
     *
     * @param problems left out of the body when empty
     */
    public static String json(String status, List<String> problems) {
        StringBuilder json = new StringBuilder(64).append("{\"status\":");
        Json.quote(status, json);
        if (!problems.isEmpty()) {
            json.append(",\"problems\":[");
            for (int i = 0; i < problems.size(); i++) {
                if (i > 0) {
                    json.append(',');
                }
                Json.quote(problems.get(i), json);
            }
            json.append(']');
        }
        return json.append('}').toString();
    }
}
