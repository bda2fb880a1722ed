package io.pilotfish.agent.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The text of {@code pilotfish status} lists the drops of each part, by reason, as the JSON has them. */
class StatusDropsTextTest {

    private static String print(String json) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StatusCommand.print(new ObjectMapper().readTree(json), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dropsArePrintedPerPartWithTheirReasonsAndTheOnesStillGrowingMarked() throws Exception {
        String out = print("""
                {"version":"0.1.0","uptime_seconds":5,"collectors":[],"sinks":[],
                 "drops":[
                   {"part":"collector dogstatsd","figure":"dogstatsd.dropped","reason":"oversized_packet","tags":[],
                    "count":2,"bytes":null,"growing":true},
                   {"part":"collector dogstatsd","figure":"dogstatsd.parse_errors","reason":"malformed","tags":[],
                    "count":3,"bytes":null,"growing":false},
                   {"part":"sink datadog-metrics","figure":"sink.dropped","reason":"queue_full","tags":[],
                    "count":5,"bytes":640,"growing":true},
                   {"part":"collector dogstatsd","figure":"dogstatsd.kernel_drops","reason":"",
                    "tags":["listener:udp"],"count":7,"bytes":null,"growing":false}],
                 "problems":["collector dogstatsd is dropping data (within the last 60 s): ..."],"ok":false}
                """);

        assertTrue(out.contains("Dropped since start (by reason; * = still growing):\n"
                + "  collector dogstatsd  dogstatsd.dropped oversized_packet 2 *; dogstatsd.parse_errors malformed 3; "
                + "dogstatsd.kernel_drops 7 [listener:udp]\n"
                + "  sink datadog-metrics sink.dropped queue_full 5 (640 bytes) *\n"), out);
        assertTrue(out.contains("Problems:\n  - collector dogstatsd is dropping data"), out);
    }

    @Test
    void noDropsSaySo() throws Exception {
        assertTrue(print("{\"collectors\":[],\"sinks\":[],\"drops\":[],\"problems\":[]}")
                .contains("Dropped since start: nothing\n"));
        assertFalse(print("{\"collectors\":[],\"sinks\":[],\"problems\":[]}").contains("Dropped"),
                "an older agent without the list");
    }
}
