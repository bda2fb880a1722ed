package io.pilotfish.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.agent.config.ConfigAssembly;
import io.pilotfish.agent.config.DatadogEnvironment;
import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.platform.PluginRegistry;
import io.pilotfish.spi.SafeText;
import jakarta.inject.Inject;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The effective configuration: every key the agent reads, its value (secrets and the credentials of URLs masked, as
 * every output masks them: {@link io.pilotfish.core.config.ConfigValue#shown}) and where it came from.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Print the effective configuration, each value with its source; secrets masked.")
public class ConfigCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Inject
    PluginRegistry registry;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = System.getenv();
        ConfigAssembly.Assembled assembled = ConfigAssembly.assemble(env, Map.of(), "",
                PluginCatalogs.of(registry), RunCommand.METADATA_WAIT);
        return print(assembled, env, json, System.out);
    }

    /** Prints the assembled configuration as text or JSON; the exit code: 0 when it is valid. */
    static int print(ConfigAssembly.Assembled assembled, Map<String, String> env, boolean json, PrintStream out)
            throws Exception {
        LoadedConfig config = assembled.config();
        if (json) {
            out.println(toJson(config, env, assembled.notes()));
        } else {
            int width = config.effective().keySet().stream().mapToInt(String::length).max().orElse(10);
            config.effective().forEach((key, value) -> out.printf("%-" + width + "s = %-24s %s%n", key,
                    value.value(), value.source()));
            DatadogEnvironment.ignored(env).forEach(line -> out.println("note: " + line));
            assembled.notes().forEach(line -> out.println("note: " + SafeText.clean(line)));
            if (!config.valid()) {
                out.println();
                out.println(config.describeProblems());
            }
        }
        return config.valid() ? 0 : RunCommand.EXIT_CONFIG;
    }

    private static String toJson(LoadedConfig config, Map<String, String> env, java.util.List<String> notes)
            throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ObjectNode keys = root.putObject("keys");
        for (Map.Entry<String, MapPluginConfig.Effective> entry : config.effective().entrySet()) {
            ObjectNode key = keys.putObject(entry.getKey());
            key.put("value", entry.getValue().value());
            key.put("source", entry.getValue().source());
            key.put("secret", entry.getValue().secret());
        }
        ArrayNode problems = root.putArray("problems");
        for (ConfigProblem problem : config.problems()) {
            problems.add(problem.describe());
        }
        ArrayNode ignored = root.putArray("ignored");
        DatadogEnvironment.ignored(env).forEach(ignored::add);
        ArrayNode sourceNotes = root.putArray("notes");
        notes.forEach(note -> sourceNotes.add(SafeText.clean(note)));
        root.put("valid", config.valid());
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }
}
