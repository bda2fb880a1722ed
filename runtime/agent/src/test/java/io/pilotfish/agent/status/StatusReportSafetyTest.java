package io.pilotfish.agent.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.spi.Secret;
import io.pilotfish.testkit.SecretEchoes;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Whatever a part wrote into its failure or warning, status shows it without the key and on one line. */
class StatusReportSafetyTest {

    private static final String KEY = UUID.randomUUID().toString().replace("-", "");

    @Test
    void everyTextInTheReportIsScrubbedOfTheKeyInEveryFormAndOfControlCharacters() throws Exception {
        ObjectNode report = new ObjectMapper().createObjectNode();
        SecretEchoes.of(KEY).forEach((name, form) -> {
            ObjectNode sink = report.withArray("sinks").addObject();
            sink.put("name", name);
            sink.put("last_failure", "intake answered HTTP 400: key " + form + "\u001b[2J\r\nforged");
            sink.putObject("last_warning").put("message", "via http://user:pass@proxy:3128");
            report.withArray("problems").add("sink " + name + ": " + form);
        });

        StatusReport.makeSafe(report, Optional.of(new Secret(KEY)));

        String json = StatusReport.json(report);
        assertEquals(List.of(), SecretEchoes.leaked(KEY, List.of(json)), json);
        report.path("sinks").forEach(sink -> {
            String failure = sink.path("last_failure").asText();
            assertTrue(failure.contains("****" + KEY.substring(28)) && failure.endsWith("\\x1b[2J\\r\\nforged"),
                    failure);
            assertEquals("via http://***@proxy:3128", sink.path("last_warning").path("message").asText());
        });
        assertFalse(json.contains("pass@"), json);
    }
}
