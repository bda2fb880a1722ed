package io.pilotfish.agent.config;

import io.pilotfish.config.ssm.PathStatus;
import io.pilotfish.config.ssm.SecretReference;
import io.pilotfish.config.ssm.SsmConfigLoader;
import io.pilotfish.config.ssm.SsmLoad;
import io.pilotfish.config.ssm.SsmPaths;
import io.pilotfish.config.ssm.SsmSettings;
import io.pilotfish.core.config.ConfigLoader;
import io.pilotfish.core.config.ConfigValue;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.ecs.TaskMetadata;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Puts the configuration together from every source, strongest first: system properties, {@code PILOTFISH_*}
 * variables, the Datadog Agent's {@code DD_*} variables, SSM Parameter Store (paths templated from the task's
 * metadata, read with the task role), the packaged defaults. {@code pilotfish.datadog.api-key-from} is resolved
 * here, so the key can live in SSM or Secrets Manager and never in the task definition.
 */
public final class ConfigAssembly {

    private static final System.Logger LOG = System.getLogger(ConfigAssembly.class.getName());
    private static final String API_KEY = "pilotfish.datadog.api-key";
    private static final String API_KEY_FROM = "pilotfish.datadog.api-key-from";

    /** How reading SSM went; a reload retries the states that can change by waiting. */
    public enum SsmState {
        /** {@code pilotfish.ssm.enabled=false}. */
        DISABLED,
        /** No credential source is visible (no task role): SSM is not tried. */
        NO_CREDENTIALS,
        /** The task metadata (cluster, family) the paths are made from could not be read. */
        NO_TASK_METADATA,
        /** The region or endpoint settings are unusable. */
        NOT_CONFIGURED,
        /** SSM could not be read at all (unreachable, no credentials from the role, throttled). */
        FAILED,
        /** Read; single paths may still have failed (see {@link SsmLoad#paths}). */
        READ;

        /** Whether trying again later may give a different answer. */
        public boolean retryable() {
            return this == NO_TASK_METADATA || this == FAILED;
        }
    }

    /**
     * @param config        the validated (or not) configuration
     * @param ssm           what SSM gave, when it was read
     * @param notes         what a user should know about the sources: SSM skipped and why, paths not readable
     * @param apiKeyProblem why {@code api-key-from} could not be read, when it could not
     */
    public record Assembled(LoadedConfig config, Map<String, ConfigValue> values, Optional<SsmLoad> ssm,
                            List<String> notes, SsmState ssmState, Optional<String> apiKeyProblem) {

        /** Whether SSM was switched off by configuration (rather than not reachable). */
        public boolean ssmDisabled() {
            return ssmState == SsmState.DISABLED;
        }

        /** Whether SSM is this agent's source at all: it was read, or reading it failed in a way worth retrying. */
        public boolean ssmInUse() {
            return ssmState == SsmState.READ || ssmState.retryable();
        }

        /** Whether SSM throttled the read of a path. */
        public boolean throttled() {
            return ssm.map(load -> load.paths().stream().anyMatch(p -> p.state() == PathStatus.State.THROTTLED))
                    .orElse(false);
        }
    }

    private ConfigAssembly() {
    }

    /**
     * Every source but SSM, read once at start: system properties, the packaged defaults, the {@code DD_*} and
     * {@code PILOTFISH_*} variables. None of them changes while the process runs, so a reload reuses this reading
     * and differs from the start only in what SSM says. (Reading them again on another thread is what once lost the
     * packaged defaults: the config provider is looked up by the thread's class loader.)
     *
     * @param values      {@code pilotfish.*} keys from system properties, the DD_* mapping and the packaged defaults
     * @param environment the {@code PILOTFISH_*} variables, resolved later against the keys plugins read
     * @param processEnv  the process environment (credentials, metadata endpoint, region for SSM)
     */
    public record LocalSources(Map<String, ConfigValue> values, Map<String, ConfigValue> environment,
                               Map<String, String> processEnv) {

        public LocalSources {
            values = java.util.Collections.unmodifiableMap(new TreeMap<>(values));
            environment = java.util.Collections.unmodifiableMap(new TreeMap<>(environment));
            processEnv = Map.copyOf(processEnv);
        }

        /**
         * Reads the sources now.
         *
         * @param overrides keys that win over everything (the demo's wiring), reported as {@code overrideSource}
         */
        public static LocalSources read(Map<String, String> processEnv, Map<String, String> overrides,
                                        String overrideSource) {
            return new LocalSources(ConfigKeys.read(overrides, overrideSource), ConfigKeys.environment(processEnv),
                    processEnv);
        }
    }

    /** Reads the local sources now and assembles; for the one-shot commands ({@code config}, {@code doctor}). */
    public static Assembled assemble(Map<String, String> processEnv, Map<String, String> overrides,
                                     String overrideSource, PluginCatalog catalog, Duration metadataTimeout) {
        return assemble(LocalSources.read(processEnv, overrides, overrideSource), catalog, metadataTimeout);
    }

    /**
     * The configuration from the given local sources plus SSM, read now.
     *
     * @param metadataTimeout how long to wait for the task metadata the SSM paths are made from
     */
    public static Assembled assemble(LocalSources local, PluginCatalog catalog, Duration metadataTimeout) {
        Map<String, String> processEnv = local.processEnv();
        Map<String, ConfigValue> values = new TreeMap<>(local.values());
        Map<String, ConfigValue> environment = local.environment();
        ConfigLoader loader = new ConfigLoader(catalog);
        LoadedConfig withoutSsm = loader.load(values, environment);
        List<String> notes = new ArrayList<>();
        if (!withoutSsm.agent().ssm().enabled()) {
            return new Assembled(withoutSsm, values, Optional.empty(), notes, SsmState.DISABLED, Optional.empty());
        }
        boolean forced = !"default".equals(withoutSsm.effective().getOrDefault("pilotfish.ssm.enabled",
                new io.pilotfish.core.config.MapPluginConfig.Effective("", "default", false)).source());
        if (!forced && !hasCredentialSource(processEnv)) {
            // Without a task role the SDK's credential chain only wastes start-up time before failing.
            notes.add("SSM not read: the task has no task role (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not set); "
                    + "set taskRoleArn in the task definition, or pilotfish.ssm.enabled=true to try other "
                    + "credentials");
            return new Assembled(withoutSsm, values, Optional.empty(), notes, SsmState.NO_CREDENTIALS, Optional.empty());
        }
        if (blank(processEnv.get("ECS_CONTAINER_METADATA_URI_V4")) && blank(processEnv.get("ECS_CONTAINER_METADATA_URI"))) {
            notes.add("SSM not read: no ECS task metadata endpoint (SSM paths are made from the task's cluster "
                    + "and family)");
            return new Assembled(withoutSsm, values, Optional.empty(), notes, SsmState.NOT_CONFIGURED, Optional.empty());
        }
        Optional<TaskMetadata> task = taskMetadata(processEnv, metadataTimeout, notes);
        if (task.isEmpty()) {
            return new Assembled(withoutSsm, values, Optional.empty(), notes, SsmState.NO_TASK_METADATA,
                    Optional.empty());
        }
        SsmSettings settings;
        try {
            settings = SsmSettings.fromEnvironment(processEnv, task.get());
        } catch (IllegalArgumentException e) {
            notes.add("SSM not read: " + e.getMessage());
            return new Assembled(withoutSsm, values, Optional.empty(), notes, SsmState.NOT_CONFIGURED, Optional.empty());
        }
        SsmPaths paths = withoutSsm.agent().ssm().paths().isEmpty() ? SsmPaths.defaults()
                : new SsmPaths(withoutSsm.agent().ssm().paths());
        SsmPaths.Resolved resolved = paths.resolve(task.get());
        resolved.skipped().forEach(skip -> notes.add("SSM path " + skip.template() + " skipped: " + skip.reason()));
        try (SsmClient client = settings.createClient()) {
            SsmLoad load = new SsmConfigLoader(client, settings).load(resolved.paths());
            for (PathStatus status : load.paths()) {
                if (!status.ok()) {
                    notes.add("SSM " + status.describe());
                }
            }
            load.problems().forEach(problem -> notes.add("SSM parameter ignored: " + problem.describe()));
            load.values().forEach((key, value) -> values.merge(key, value,
                    (existing, fromSsm) -> existing.ordinal() >= fromSsm.ordinal() ? existing : fromSsm));
            if (load.paths().stream().noneMatch(PathStatus::ok)) {
                // Not one path answered: this is SSM failing, not an empty layout.
                notes.add("SSM not read (no path answered): starting on the other sources; retrying in the "
                        + "background");
                return new Assembled(withoutSsm, values, Optional.of(load), notes, SsmState.FAILED, Optional.empty());
            }
            Optional<String> keyProblem = resolveApiKey(values, environment, client);
            keyProblem.ifPresent(notes::add);
            return new Assembled(loader.load(values, environment), values, Optional.of(load), notes, SsmState.READ,
                    keyProblem);
        } catch (RuntimeException e) {
            // The agent starts on the other sources rather than crash-looping on SSM.
            notes.add("SSM not read (" + e.getClass().getSimpleName() + "): starting on the other sources; "
                    + "retrying in the background");
            return new Assembled(withoutSsm, values, Optional.empty(), notes, SsmState.FAILED, Optional.empty());
        }
    }

    /**
     * Reads the key named by {@code api-key-from}; it takes the place of {@code api-key} with the strength of the
     * source that named it.
     */
    private static Optional<String> resolveApiKey(Map<String, ConfigValue> values,
                                                  Map<String, ConfigValue> environment, SsmClient client) {
        ConfigValue from = strongest(values.get(API_KEY_FROM), environment.get("PILOTFISH_DATADOG_API_KEY_FROM"));
        if (from == null || from.value().isBlank()) {
            return Optional.empty();
        }
        ConfigValue current = values.get(API_KEY);
        if (current != null && current.ordinal() > from.ordinal()) {
            return Optional.empty();
        }
        try {
            SecretReference reference = SecretReference.parse(from.value().trim());
            Secret key = reference.read(client);
            values.put(API_KEY, new ConfigValue(key.reveal(), "ssm:" + reference.parameterName()
                    + " (api-key-from)", from.ordinal(), true));
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of("API key not read from " + from.value().trim() + ": " + e.getMessage());
        }
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /** Whether any credential source the SDK would use is visibly configured. */
    static boolean hasCredentialSource(Map<String, String> env) {
        for (String variable : List.of("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_PROFILE")) {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                return true;
            }
        }
        return false;
    }

    private static ConfigValue strongest(ConfigValue a, ConfigValue b) {
        if (a == null) {
            return b;
        }
        return b == null || a.ordinal() >= b.ordinal() ? a : b;
    }

    private static Optional<TaskMetadata> taskMetadata(Map<String, String> env, Duration timeout, List<String> notes) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "pilotfish-config");
            thread.setDaemon(true);
            return thread;
        });
        try {
            EcsMetadataClient client = new EcsMetadataClient(env, HttpClient.newBuilder()
                    .connectTimeout(timeout).build(), scheduler, Clock.systemUTC());
            if (!client.available()) {
                notes.add("SSM not read: no ECS task metadata endpoint (SSM paths are made from the task's cluster "
                        + "and family)");
                return Optional.empty();
            }
            return Optional.of(client.refresh().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .task());
        } catch (Exception e) {
            notes.add("SSM not read: the task metadata endpoint did not answer within " + timeout.toSeconds()
                    + " s; starting on the other sources");
            return Optional.empty();
        } finally {
            scheduler.shutdownNow();
        }
    }

    /** Logs the notes at start-up. */
    public static void log(Assembled assembled) {
        // A note may quote what SSM or the metadata endpoint answered.
        assembled.notes().forEach(note -> LOG.log(System.Logger.Level.WARNING, SafeText.clean(note)));
        assembled.ssm().ifPresent(load -> LOG.log(System.Logger.Level.INFO, "SSM: " + load.values().size()
                + " keys from " + load.paths().stream().filter(PathStatus::ok).map(PathStatus::path).toList()));
    }
}
