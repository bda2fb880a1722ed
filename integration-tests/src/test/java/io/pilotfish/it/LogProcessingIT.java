package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.RecordedLogs;
import io.pilotfish.testkit.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Processing as the Datadog Agent does it, on what a real JVM app writes: its stdout and stderr lines (an uncaught
 * exception's stack trace among them) are sent line by line by fluent-logger-golang exactly as the awsfirelens driver
 * sends a container's lines, to the packaged agent with DD_LOGS_CONFIG_PROCESSING_RULES set as a user would set it.
 * At the intake: the stack trace is one log; the card number never arrives, masked; the health check is excluded; the
 * JSON line's level, message and trace ids are its status, message and attributes.
 */
class LogProcessingIT {

    private static final String CARD = "4111111111111111";
    private static final String RULES = "[{\"type\":\"exclude_at_match\",\"name\":\"no_health_checks\","
            + "\"pattern\":\"GET /health\"},{\"type\":\"mask_sequences\",\"name\":\"mask_credit_cards\","
            + "\"replace_placeholder\":\"[masked_card]\",\"pattern\":\"(?:4[0-9]{12}(?:[0-9]{3})?|[25][1-7][0-9]{14}"
            + "|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\\\\d{3})"
            + "\\\\d{11})\"}]";

    /**
     * The packaged agent as a log router: logs on, the forward receiver on TCP {@code port} only, APM off, logs to the
     * fixture's intake, and one more variable; returned once the receiver listens.
     */
    private static AgentProcess logRouter(AgentFixture fixture, int port, String variable, String value)
            throws Exception {
        AgentProcess agent = fixture.start(fixture.agent()
                .env("DD_LOGS_ENABLED", "true")
                .env("DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:" + fixture.intake.uri().getPort())
                .env("DD_LOGS_CONFIG_LOGS_NO_SSL", "true")
                .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT", Integer.toString(port))
                .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET", "")
                .env("DD_APM_ENABLED", "false")
                .env(variable, value));
        assertTrue(agent.awaitLine(l -> l.contains("forward receiver listening on tcp"), Duration.ofSeconds(60)),
                agent.outputText());
        return agent;
    }

    @Test
    void aJavaStackTraceIsOneLogAndAMaskedCardNeverArrives(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // What the container writes: the app's real output, each line with its stream, as the driver reads them.
        Path app = Path.of(System.getProperty("pilotfish.log-apps.dir", "src/test/log-apps"), "Checkout.java");
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        // UTF-8 whatever the machine's locale, as a container's app writes it (the cart line holds Japanese).
        Process run = new ProcessBuilder(javaBin.toString(), "-Dstdout.encoding=UTF-8", "-Dstderr.encoding=UTF-8",
                app.toString()).redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile()).start();
        assertTrue(run.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the app ran");
        List<String> out = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        List<String> trace = Files.readAllLines(stderr, StandardCharsets.UTF_8);
        assertTrue(trace.size() >= 6 && trace.get(0).startsWith("Exception in thread \"main\"")
                && trace.stream().anyMatch(l -> l.startsWith("Caused by:")), "a real stack trace: " + trace);
        List<String> input = new ArrayList<>();
        out.forEach(l -> input.add("stdout " + l));
        trace.forEach(l -> input.add("stderr " + l));
        Path inputFile = Files.write(dir.resolve("container-output.txt"), input, StandardCharsets.UTF_8);
        // The driver sends a line longer than 16 KiB in pieces of 16 KiB, each a record, cutting bytes wherever they
        // fall: the cart line is five, and one cut falls inside a character.
        int records = 0;
        boolean cutInsideACharacter = false;
        for (String l : input) {
            byte[] text = l.substring("stdout ".length()).getBytes(StandardCharsets.UTF_8);
            records += Math.max(1, (text.length + 16_383) / 16_384);
            for (int cut = 16_384; cut < text.length; cut += 16_384) {
                cutInsideACharacter |= (text[cut] & 0xC0) == 0x80;
            }
        }
        assertTrue(records >= input.size() + 4 && cutInsideACharacter, "a line long enough to be cut, and a cut "
                + "inside a character: " + records + " records");

        FluentClients clients = FluentClients.installed();
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = AgentFixture.freePort();
            AgentProcess agent = logRouter(fixture, port, "DD_LOGS_CONFIG_PROCESSING_RULES", RULES);
            String output = clients.run(FluentClients.Client.GO, FluentClients.Target.tcp(port), false, "checkout",
                    input.size(), Map.of("APP_INPUT", inputFile.toString()), Duration.ofSeconds(120));
            assertTrue(output.contains(FluentClients.sentLine(records)), output);

            String joinedTrace = String.join("\\n", trace); // the Agent's separator: an escaped line feed
            AgentFixture.await("the app's logs at the intake", Duration.ofSeconds(90),
                    () -> RecordedLogs.all(fixture.intake).size() >= 5);
            // Then give the agent the time to send anything it should not (a late line would show here).
            agent.terminate();
            assertTrue(agent.awaitExit(Duration.ofSeconds(60)) != -1, agent.outputText());

            List<RecordedLogs.Log> logs = RecordedLogs.all(fixture.intake);
            List<String> messages = logs.stream().map(RecordedLogs.Log::message).toList();
            assertEquals(List.of("checkout started for order 7", "charging card [masked_card] for 12.50 EUR",
                    "payment slow", "cart snapshot", joinedTrace), messages,
                    "in the order written, the health check excluded, the card masked, the cut line whole, the stack "
                            + "trace one log");
            List<RecordedLogs.Log> fromStdout = logs.subList(0, 4);
            List<RecordedLogs.Log> traces = logs.subList(4, 5);

            RecordedLogs.Log cart = fromStdout.get(3);
            assertEquals("info", cart.status());
            List<?> items = (List<?>) cart.attributes().get("items");
            assertEquals(1500, items.size(), "every item of the 72 KB line, joined from its pieces");
            for (int i = 1; i <= 1500; i++) {
                Map<?, ?> item = (Map<?, ?>) items.get(i - 1);
                assertEquals(String.format("sku-%05d", i), item.get("sku"));
                assertEquals("緑茶 " + i, item.get("name"), "every character whole, also where the driver cut");
                assertEquals(i % 7 + 1, ((Number) item.get("qty")).intValue());
            }
            for (String field : List.of("partial_message", "partial_id", "partial_ordinal", "partial_last")) {
                assertFalse(cart.attributes().containsKey(field), field + " is the driver's, not the log's");
            }

            RecordedLogs.Log json = fromStdout.get(2);
            assertEquals("warn", json.status(), "the JSON line's level, not its stream's");
            assertEquals("1970180917108719801", String.valueOf(json.attributes().get("dd.trace_id")),
                    json.toString());
            assertEquals("7109819701810979101", String.valueOf(json.attributes().get("dd.span_id")));
            assertEquals(812, ((Number) json.attributes().get("duration_ms")).intValue());

            RecordedLogs.Log stack = traces.get(0);
            assertEquals("error", stack.status(), "stderr");
            assertTrue(stack.hasTags("ecs_container_name:app"), stack.toString());

            for (RecordedRequest request : fixture.intake.requests(RecordedLogs.LOGS_PATH)) {
                assertFalse(new String(request.body(), StandardCharsets.UTF_8).contains(CARD),
                        "the card number never reaches the intake");
            }
            assertFalse(agent.outputText().contains(CARD), "nor the agent's own output");
        }
    }

    /**
     * A task definition that includes AWS's {@code parse-json.conf} (AWS's FireLens examples use it for JSON logs):
     * ECS writes {@code @INCLUDE /fluent-bit/configs/parse-json.conf} into the configuration it generates, a file only
     * AWS's image has. The router starts, and a JSON line arrives with its fields.
     */
    @Test
    void aConfigurationThatIncludesAwssParseJsonStartsAndJsonLinesArriveLifted(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // Only AWS's Fluent Bit image has the file; where it exists it is read from disk and this test proves nothing.
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/fluent-bit/configs/parse-json.conf")),
                "this machine has AWS's own file");
        Path config = Files.writeString(dir.resolve("fluent-bit.conf"), """
                [INPUT]
                    Name forward
                    unix_path /var/run/fluent.sock
                [FILTER]
                    Name record_modifier
                    Match *
                    Record ecs_cluster pilotfish-it
                @INCLUDE /fluent-bit/configs/parse-json.conf
                [OUTPUT]
                    Name datadog
                    Match checkout-firelens*
                    dd_service checkout
                    dd_source java
                """);
        Path input = Files.write(dir.resolve("container-output.txt"), List.of(
                "stdout {\"level\":\"ERROR\",\"message\":\"card declined\",\"order\":7}", "stdout plain text"),
                StandardCharsets.UTF_8);
        FluentClients clients = FluentClients.installed();
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = AgentFixture.freePort();
            AgentProcess agent = logRouter(fixture, port, "PILOTFISH_COLLECTORS_FLUENT_FORWARD_FIRELENS_CONFIG",
                    config.toString());
            String output = clients.run(FluentClients.Client.GO, FluentClients.Target.tcp(port), false, "checkout",
                    2, Map.of("APP_INPUT", input.toString(), "APP_CONTAINER_NAME", "checkout"),
                    Duration.ofSeconds(120));
            assertTrue(output.contains(FluentClients.sentLine(2)), output);
            AgentFixture.await("both lines at the intake", Duration.ofSeconds(90),
                    () -> RecordedLogs.all(fixture.intake).size() >= 2);
            List<RecordedLogs.Log> logs = RecordedLogs.all(fixture.intake);
            assertEquals(List.of("card declined", "plain text"), logs.stream().map(RecordedLogs.Log::message).toList());
            assertEquals("error", logs.get(0).status(), "the JSON line's level");
            assertEquals(7, ((Number) logs.get(0).attributes().get("order")).intValue());
            assertTrue(logs.stream().allMatch(l -> l.service().equals("checkout")), logs.toString());
            assertFalse(agent.outputText().contains("parser for"), "the included filter is not listed as not applied:\n"
                    + agent.outputText());
        }
    }
}
