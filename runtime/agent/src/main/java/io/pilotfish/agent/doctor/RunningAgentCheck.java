package io.pilotfish.agent.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.agent.status.StatusClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * What the agent already running in this task reports about itself (its status endpoint): SSM not readable at
 * start or on a reload, a reload refused, no API key, a sink failing. Skipped when no agent answers: doctor is also
 * run before the agent, and checks the configuration on its own then.
 */
public final class RunningAgentCheck implements DoctorCheck {

    private final String host;
    private final int port;

    public RunningAgentCheck(String host, int port) {
        this.host = host;
        this.port = port;
    }

    @Override
    public String id() {
        return "running-agent";
    }

    @Override
    public String title() {
        return "Running agent";
    }

    @Override
    public CheckResult run(DoctorContext context) throws Exception {
        if (port <= 0) {
            return CheckResult.skip(this, "the status endpoint is turned off (pilotfish.status.port=0)");
        }
        String where = host + ":" + port;
        HttpResponse<String> answer;
        try {
            answer = StatusClient.get(host, port, "/status", context.timeout());
        } catch (java.io.IOException e) {
            return CheckResult.skip(this, "no agent answers on " + where + " (not started yet, or another "
                    + "pilotfish.status.port); the checks above stand on their own");
        }
        if (answer.statusCode() != 200) {
            return CheckResult.warn(this, "the agent on " + where + " answered HTTP " + answer.statusCode(),
                    "Run pilotfish status for details; restart the task if it stays so");
        }
        JsonNode status = new ObjectMapper().readTree(answer.body());
        List<String> problems = new ArrayList<>();
        status.path("problems").forEach(p -> problems.add(p.asText()));
        String ssm = status.path("config").path("ssm").path("state").asText();
        List<String> warnings = new ArrayList<>();
        status.path("warnings").forEach(w -> warnings.add(w.asText()));
        if (problems.isEmpty() && !warnings.isEmpty()) {
            return CheckResult.warn(this, "running " + status.path("version").asText() + "; no problems, but "
                    + warnings.size() + " part(s) logged warnings lately: " + String.join("; ", warnings),
                    "Read the warning: the checks above often name its cause (the metadata endpoint, the intake); "
                            + "pilotfish status shows it with the time it was last logged");
        }
        if (problems.isEmpty()) {
            return CheckResult.pass(this, "running " + status.path("version").asText() + " for "
                    + status.path("uptime_seconds").asLong() + " s; SSM " + ssm.replace('_', ' ') + "; no problems");
        }
        return CheckResult.fail(this, problems.size() + " problem(s) reported by the running agent: "
                + String.join("; ", problems), fixFor(problems.get(0)));
    }

    /** The first problem decides the advice; pilotfish status shows them all. */
    static String fixFor(String problem) {
        if (problem.startsWith("SSM")) {
            return "Fix what the SSM check above says (task role policy, region, network path to SSM); the agent "
                    + "retries on its own and applies the configuration once SSM answers, no restart needed";
        }
        if (problem.startsWith("no Datadog API key")) {
            return "Set pilotfish.datadog.api-key-from (or DD_API_KEY); the agent keeps the data until a key arrives";
        }
        if (problem.contains("refused")) {
            return "Correct the parameters named above in SSM; the running configuration stays until then. "
                    + "kill -HUP 1 (or wait for the next reload) applies the fix";
        }
        if (problem.contains(" is dropping data ")) {
            return "Data is being lost now, for the reasons named above: a sink's queue_full (the intake is slow or "
                    + "unreachable; a larger queue budget rides out longer outages), DogStatsD parse_errors (a client "
                    + "sends malformed lines), context_limit (a tag with unbounded values), oversized_packet (raise "
                    + "buffer-size). pilotfish status lists every drop by reason";
        }
        if ((problem.startsWith("collector ") || problem.startsWith("sink ")) && (problem.contains(" is not running: ")
                || problem.contains(" stopped: ") || problem.contains(" is degraded: "))) {
            return "A part of the agent is down and pilotfish health fails for it: fix the cause named above (a port "
                    + "taken by another process is in the ports check). A DogStatsD listener binds on its own once it "
                    + "can (it is retried); another part needs a restart of the task. pilotfish status shows every "
                    + "part's state";
        }
        if (problem.contains("API key was rejected")) {
            return "Store a valid API key of the organisation on the configured site where api-key-from points; "
                    + "the agent re-reads it on the next refusal and resends what it kept";
        }
        return "Run pilotfish status for details";
    }
}
