package io.pilotfish.agent.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StatusCommandTest {

    @Test
    void theTextSaysWhereConfigCameFromAndWhatIsWrong() throws Exception {
        String json = """
                {"version":"0.1.0","uptime_seconds":75,
                 "config":{"applied_at":"2026-11-25T01:00:00Z","notes":[],
                   "ssm":{"state":"read","reload_interval_seconds":300,"next_read":"2026-11-25T01:04:00Z",
                     "consecutive_failures":0,
                     "paths":[{"path":"/pilotfish/defaults","state":"read","parameters":3,"detail":"read 3 parameter(s)"}],
                     "last_reload":{"at":"2026-11-25T01:00:00Z","trigger":"SIGHUP","outcome":"refused",
                       "details":["pilotfish.telemetry.ship=\\"maybe\\" (from ssm:/pilotfish/defaults/telemetry/ship): expected true or false"]}},
                   "api_key":{"configured":true,"source":"ssm:/pilotfish/secrets/dd-api-key (api-key-from)"}},
                 "collectors":[
                   {"name":"ecs-metadata","type":"ecs-metadata","state":"running","detail":null,"listening":[]},
                   {"name":"dogstatsd","type":"dogstatsd","state":"failed",
                    "detail":"failed to start: udp 127.0.0.1:8125 already in use","listening":[]},
                   {"name":"statsd-uds","type":"dogstatsd","state":"running","detail":null,
                    "listening":[{"transport":"unixgram","address":"/var/run/datadog/dsd.socket"}]}],
                 "sinks":[{"name":"datadog-metrics","type":"datadog-metrics","state":"running","detail":null,
                   "listening":[],"queue_items":2,"queue_bytes":512,"sent":40,"retried":1,"dropped":0,
                   "last_failure":null}],
                 "telemetry":{"shipped":false,"metrics_path":"/metrics"},
                 "health":{"status":"unhealthy","problems":["collector dogstatsd is not running: failed to start"]},
                 "warnings":["collector container-stats: GET /task/stats failed (2 warnings since start)"],
                 "problems":["the last configuration reload was refused"],"ok":false}
                """;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StatusCommand.print(new ObjectMapper().readTree(json), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("Pilotfish 0.1.0, up 75 s"), out);
        assertTrue(out.contains("SSM read, re-read every 300 s"), out);
        assertTrue(out.contains("/pilotfish/defaults") && out.contains("read 3 parameter(s)"), out);
        assertTrue(out.contains("last reload: refused (SIGHUP"), out);
        assertTrue(out.contains("pilotfish.telemetry.ship"), out);
        assertTrue(out.contains("API key: from ssm:/pilotfish/secrets/dd-api-key"), out);
        assertTrue(out.contains("Health: unhealthy (see problems)"), out);
        assertTrue(out.matches("(?s).*ecs-metadata\\s+ecs-metadata, running\\R.*"), out);
        assertTrue(out.matches("(?s).*dogstatsd\\s+dogstatsd, failed: failed to start: udp 127.0.0.1:8125 already in "
                + "use\\R.*"), out);
        assertTrue(out.contains("dogstatsd, running; listening on unixgram /var/run/datadog/dsd.socket"), out);
        assertTrue(out.matches("(?s).*datadog-metrics\\s+datadog-metrics, running; queued 2 \\(512 bytes\\), sent 40, "
                + "retried 1, dropped 0\\R.*"), out);
        assertTrue(out.contains("Own figures: on /metrics of this port; not shipped to Datadog"), out);
        assertTrue(out.contains("  - the last configuration reload was refused"), out);
        assertTrue(out.contains("Warnings (logged in the last 5 minutes):\n  - collector container-stats: GET "
                + "/task/stats failed"), out);
    }
}
