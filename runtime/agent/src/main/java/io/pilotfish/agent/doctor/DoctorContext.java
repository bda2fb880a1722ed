package io.pilotfish.agent.doctor;

import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.spi.ecs.TaskMetadata;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the checks share: the environment, the per-check timeout, the Datadog target, one HTTP client, and one
 * fetch of the task metadata (the metadata and network-mode checks both need it; it is fetched once).
 */
public final class DoctorContext implements AutoCloseable {

    private final Map<String, String> env;
    private final Duration timeout;
    private final DatadogTarget datadog;
    private final HttpClient http;
    private final ScheduledExecutorService scheduler;
    private final EcsMetadataClient metadata;
    private CompletableFuture<TaskMetadata> task;

    /**
     * @param env     the process environment ({@code System.getenv()}), a parameter so tests can point it anywhere
     * @param timeout how long each check may take
     */
    public DoctorContext(Map<String, String> env, Duration timeout, DatadogTarget datadog) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        this.datadog = Objects.requireNonNull(datadog, "datadog");
        // As the agent's: through DD_PROXY_HTTPS with its credentials, so doctor sees what the sinks will see.
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        this.http = datadog.proxy()
                .map(proxy -> io.pilotfish.agent.net.ProxyAuthorizingClient.build(builder, proxy))
                .orElseGet(builder::build);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pilotfish-doctor-timer");
            thread.setDaemon(true);
            return thread;
        });
        // One attempt: doctor reports what happens now, within its timeout, rather than retrying quietly.
        this.metadata = new EcsMetadataClient(this.env, http, scheduler, Clock.systemUTC(),
                new EcsMetadataClient.Options(timeout, 0, Duration.ofMillis(100), Duration.ofMillis(100)));
    }

    public Map<String, String> env() {
        return env;
    }

    /** A variable's value, trimmed; empty when unset or blank. */
    public Optional<String> env(String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    public Duration timeout() {
        return timeout;
    }

    public DatadogTarget datadog() {
        return datadog;
    }

    public HttpClient http() {
        return http;
    }

    public EcsMetadataClient metadata() {
        return metadata;
    }

    /**
     * The task's {@code /task} metadata, fetched once for all checks.
     *
     * @throws ExecutionException wrapping the {@code MetadataException} that says what went wrong
     * @throws TimeoutException   when the endpoint does not answer within the timeout
     */
    public TaskMetadata task() throws ExecutionException, TimeoutException, InterruptedException {
        CompletableFuture<TaskMetadata> fetch;
        synchronized (this) {
            if (task == null) {
                task = metadata.refresh().thenApply(snapshot -> snapshot.task()).toCompletableFuture();
            }
            fetch = task;
        }
        return fetch.get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
