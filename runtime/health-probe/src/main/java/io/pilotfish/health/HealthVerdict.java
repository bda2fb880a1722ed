package io.pilotfish.health;

import java.util.List;
import java.util.Map;

/**
 * What {@code pilotfish health} prints (one line) and its exit code: 0 for {@code healthy} and
 * {@code degraded: ...}, 1 for {@code unhealthy: ...}.
 */
public record HealthVerdict(boolean healthy, String line) {

    public int exitCode() {
        return healthy ? 0 : 1;
    }

    static HealthVerdict unhealthy(String reason) {
        return new HealthVerdict(false, "unhealthy: " + oneLine(reason));
    }

    /**
     * The agent's answer on {@code GET /health}: {@code 200 {"status":"ok"}}, {@code 200 {"status":"degraded",
     * "problems":[...]}}, {@code 503 {"status":"unhealthy","problems":[...]}} or {@code 503 {"status":"stopping"}}.
     * Any other status code means something else answers on the port.
     */
    static HealthVerdict of(StatusEndpoint endpoint, HttpGet.Answer answer) {
        if (answer.status() != 200 && answer.status() != 503) {
            return unhealthy("no agent answers on " + endpoint.authority() + " (HTTP " + answer.status() + ")");
        }
        String unreadable = "unreadable answer from " + endpoint.authority() + " (HTTP " + answer.status() + ": ";
        Map<?, ?> document;
        try {
            Object parsed = Json.parse(answer.body());
            if (!(parsed instanceof Map<?, ?> map)) {
                return unhealthy(unreadable + "expected a JSON object)");
            }
            document = map;
        } catch (Json.MalformedJsonException e) {
            return unhealthy(unreadable + e.getMessage() + ")");
        }
        if (!(document.get("status") instanceof String status)) {
            return unhealthy(unreadable + "no \"status\" string)");
        }
        Object problemsValue = document.get("problems");
        String problems;
        if (problemsValue == null) {
            problems = "";
        } else if (problemsValue instanceof List<?> list) {
            StringBuilder joined = new StringBuilder();
            for (Object problem : list) {
                if (!(problem instanceof String text)) {
                    return unhealthy(unreadable + "\"problems\" holds a value that is not a string)");
                }
                joined.append(joined.isEmpty() ? "" : "; ").append(text);
            }
            problems = joined.toString();
        } else {
            return unhealthy(unreadable + "\"problems\" is not an array)");
        }
        if (answer.status() == 200 && status.equals(HealthAnswer.OK)) {
            return new HealthVerdict(true, "healthy");
        }
        if (answer.status() == 200 && status.equals(HealthAnswer.DEGRADED)) {
            return new HealthVerdict(true, "degraded: " + oneLine(problems.isEmpty() ? "no problem listed" : problems));
        }
        if (answer.status() == 503 && status.equals(HealthAnswer.UNHEALTHY)) {
            return unhealthy(problems.isEmpty() ? "the agent reports itself unhealthy, no problem listed" : problems);
        }
        if (answer.status() == 503 && status.equals(HealthAnswer.STOPPING)) {
            return unhealthy("the agent is stopping");
        }
        // Not a state this probe knows: fail closed, a health check that cannot tell must not say healthy.
        return unhealthy(unreadable + "unknown status \"" + status + "\")");
    }

    /** Line breaks in an agent's problem text would split the one line ECS keeps; they become spaces. */
    private static String oneLine(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        return out.toString();
    }
}
