package io.pilotfish.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.agent.config.ConfigAssembly;
import io.pilotfish.agent.config.ConfigKeys;
import io.pilotfish.agent.config.DatadogEnvConfigSource;
import io.pilotfish.agent.config.DatadogEnvironment;
import io.pilotfish.core.config.ConfigValue;
import io.pilotfish.core.plugin.PluginCatalog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** What {@code pilotfish config} prints for a task definition's environment. */
class ConfigCommandTest {

    private static final List<String> CREDENTIALS = List.of("ddpass", "ddu:", "pxpass", "pxu:");

    private record Printed(int exitCode, String text) {
    }

    /** The command's output for this environment, as the DD_* config source maps it; SSM off. */
    private static Printed config(Map<String, String> env, boolean json) throws Exception {
        Map<String, ConfigValue> values = new TreeMap<>();
        DatadogEnvironment.translate(env).forEach((key, value) -> values.put(key, new ConfigValue(value,
                DatadogEnvConfigSource.NAME, ConfigValue.DATADOG_ENV)));
        values.put("pilotfish.ssm.enabled", new ConfigValue("false", "test"));
        ConfigAssembly.Assembled assembled = ConfigAssembly.assemble(new ConfigAssembly.LocalSources(values,
                ConfigKeys.environment(env), env), PluginCatalog.of(List.of(), List.of()), Duration.ofSeconds(1));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exitCode = ConfigCommand.print(assembled, env, json, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return new Printed(exitCode, bytes.toString(StandardCharsets.UTF_8));
    }

    private static void assertNoCredentials(String output) {
        for (String credential : CREDENTIALS) {
            assertFalse(output.contains(credential), "\"" + credential + "\" printed:\n" + output);
        }
    }

    @Test
    void urlCredentialsAreMaskedInTheTextAndTheJsonKeepingHostPortAndPath() throws Exception {
        Map<String, String> env = Map.of("DD_DD_URL", "http://ddu:ddpass@intake.example:8080/prefix",
                "DD_PROXY_HTTPS", "http://pxu:pxpass@proxy.internal:3128", "DD_API_KEY", "0123456789abcdef");

        Printed text = config(env, false);
        assertEquals(0, text.exitCode(), text.text());
        assertNoCredentials(text.text());
        assertTrue(text.text().matches("(?s).*pilotfish\\.datadog\\.url\\s+= http://\\*\\*\\*@intake\\.example:8080"
                + "/prefix\\s+Datadog environment.*"), text.text());
        assertTrue(text.text().matches("(?s).*pilotfish\\.proxy\\.https\\s+= http://\\*\\*\\*@proxy\\.internal:3128"
                + "\\s+Datadog environment.*"), text.text());

        Printed json = config(env, true);
        assertEquals(0, json.exitCode(), json.text());
        assertNoCredentials(json.text());
        JsonNode keys = new ObjectMapper().readTree(json.text()).path("keys");
        assertEquals("http://***@intake.example:8080/prefix", keys.at("/pilotfish.datadog.url/value").asText());
        assertEquals("http://***@proxy.internal:3128", keys.at("/pilotfish.proxy.https/value").asText());
        assertEquals("****", keys.at("/pilotfish.datadog.api-key/value").asText());
    }

    @Test
    void theErrorForAUrlWithAWrongOrMissingSchemeMasksItsCredentials() throws Exception {
        Map<String, String> env = Map.of("DD_DD_URL", "ftp://ddu:ddpass@intake.example/prefix",
                "DD_PROXY_HTTPS", "pxu:pxpass@proxy.internal:3128");

        Printed text = config(env, false);
        assertEquals(RunCommand.EXIT_CONFIG, text.exitCode(), text.text());
        assertNoCredentials(text.text());
        assertTrue(text.text().contains("pilotfish.datadog.url=\"ftp://***@intake.example/prefix\" (from Datadog "
                + "environment (DD_*)): expected an http(s) URL"), text.text());
        assertTrue(text.text().contains("pilotfish.proxy.https=\"***@proxy.internal:3128\""), text.text());

        Printed json = config(env, true);
        assertNoCredentials(json.text());
        JsonNode problems = new ObjectMapper().readTree(json.text()).path("problems");
        assertEquals(2, problems.size(), json.text());
    }
}
