package io.pilotfish.agent.config;

import io.pilotfish.agent.config.ConfigAssembly.Assembled;
import io.pilotfish.config.ssm.PathStatus;
import io.pilotfish.config.ssm.SsmLoad;
import io.pilotfish.core.config.AgentConfig;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.pipeline.Pipeline;
import io.pilotfish.spi.SafeText;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Reads the configuration again while the agent runs and applies what changed, without a restart.
 *
 * <ul>
 *   <li>Periodically while SSM is a source: every {@code pilotfish.ssm.reload-interval}, each wait drawn at random
 *   between half and all of it, so tasks started together do not poll SSM together;</li>
 *   <li>on SIGHUP, and at once when an intake refuses the API key (a rotated key), at most every
 *   {@link #KEY_REREAD_GAP};</li>
 *   <li>after a failed read (SSM unreachable, throttled, a path that was readable no longer is), sooner, backing off:
 *   {@link #RETRY_BASE} doubling up to the interval, and for throttling {@link #THROTTLED_BASE} doubling up to four
 *   intervals. The running configuration stays meanwhile: a partial read never removes settings.</li>
 * </ul>
 *
 * A reload whose configuration is invalid is refused as a whole and logged with every error; the running
 * configuration stays. All work happens on one thread of its own, never on a timer or event-loop thread.
 */
public final class ConfigReloader implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ConfigReloader.class.getName());

    static final Duration RETRY_BASE = Duration.ofSeconds(15);
    static final Duration THROTTLED_BASE = Duration.ofSeconds(60);
    static final Duration KEY_REREAD_GAP = Duration.ofSeconds(10);

    /** How one reload ended. */
    public enum Outcome {
        /** Something changed and is now running. */
        APPLIED,
        /** Read fine; nothing differs from what runs. */
        UNCHANGED,
        /** The new configuration is invalid (or a changed plugin could not be created): the running one stays. */
        REFUSED,
        /** A source could not be read completely: the running configuration stays and the read is retried. */
        SOURCE_FAILED
    }

    /** One reload: when, why, how it ended, and the lines a user needs (errors, what changed). No secret values. */
    public record Attempt(Instant at, String trigger, Outcome outcome, List<String> details) {
    }

    /** What the status endpoint shows about configuration. */
    public record Status(Assembled current, Instant appliedAt, Optional<Attempt> last, Optional<Instant> nextAttempt,
                         int consecutiveFailures, Duration interval) {
    }

    /** Re-assembles the configuration from every source. */
    @FunctionalInterface
    public interface Source {
        Assembled read();
    }

    /** The running agent. */
    public interface Target {
        Pipeline.Changes apply(LoadedConfig next);
    }

    private final Source source;
    private final Target target;
    private final Clock clock;
    private final ScheduledExecutorService thread;

    // Guarded by this.
    private Assembled current;
    private Instant appliedAt;
    private Attempt last;
    private Instant nextAttempt;
    private ScheduledFuture<?> scheduled;
    private int failures;
    private CompletableFuture<Attempt> queued;
    private Instant lastKeyReread = Instant.EPOCH;
    private boolean closed;
    private volatile java.util.function.Consumer<Attempt> onAttempt = attempt -> { };

    public ConfigReloader(Assembled initial, Source source, Target target, Clock clock) {
        this.current = initial;
        this.appliedAt = clock.instant();
        this.source = source;
        this.target = target;
        this.clock = clock;
        // The thread may be created from the JVM's signal thread (SIGHUP), whose context class loader does not see
        // the application's classes and resources; the SDK and config lookups made here need the application's.
        ClassLoader application = ConfigReloader.class.getClassLoader();
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "pilotfish-reload");
            t.setDaemon(true);
            t.setContextClassLoader(application);
            return t;
        });
    }

    /** Arranges the first periodic read: soon if SSM failed at start, else after a jittered interval. */
    public synchronized void start() {
        if (current.ssmState().retryable()) {
            failures = 1;
            scheduleIn(retryDelay(current.throttled()));
        } else {
            scheduleNormal();
        }
    }

    /**
     * Reads and applies now (SIGHUP, a test, the status endpoint). Requests made while one is waiting to run join
     * it; the future completes when the reload has ended.
     */
    public synchronized CompletableFuture<Attempt> reloadNow(String trigger) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("the agent is stopping"));
        }
        if (queued != null) {
            return queued;
        }
        CompletableFuture<Attempt> future = new CompletableFuture<>();
        queued = future;
        try {
            thread.execute(() -> {
                synchronized (this) {
                    queued = null;
                }
                future.complete(reload(trigger));
            });
        } catch (RejectedExecutionException e) {
            queued = null;
            future.completeExceptionally(e);
        }
        return future;
    }

    /** An intake refused the API key: read it again at once (it may have been rotated), at most every few seconds. */
    public void keyRejected() {
        synchronized (this) {
            Instant now = clock.instant();
            if (Duration.between(lastKeyReread, now).compareTo(KEY_REREAD_GAP) < 0) {
                return;
            }
            lastKeyReread = now;
        }
        reloadNow("the intake refused the API key");
    }

    /** Runs on the reload thread only. */
    Attempt reload(String trigger) {
        Assembled running;
        synchronized (this) {
            running = current;
        }
        Attempt attempt;
        boolean throttled = false;
        try {
            Assembled next = source.read();
            throttled = next.throttled();
            attempt = decide(trigger, running, next);
        } catch (RuntimeException e) {
            attempt = new Attempt(clock.instant(), trigger, Outcome.SOURCE_FAILED, List.of("reading the "
                    + "configuration failed: " + e.getClass().getSimpleName() + (e.getMessage() == null ? ""
                    : ": " + e.getMessage())));
        }
        log(attempt);
        try {
            onAttempt.accept(attempt);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "reload listener failed: " + e);
        }
        synchronized (this) {
            last = attempt;
            if (attempt.outcome() == Outcome.SOURCE_FAILED) {
                failures++;
                scheduleIn(retryDelay(throttled));
            } else {
                failures = 0;
                scheduleNormal();
            }
        }
        return attempt;
    }

    private Attempt decide(String trigger, Assembled running, Assembled next) {
        Instant now = clock.instant();
        List<String> lost = lostSources(running, next);
        if (!lost.isEmpty()) {
            return new Attempt(now, trigger, Outcome.SOURCE_FAILED, lost);
        }
        LoadedConfig config = next.config();
        List<String> errors = new ArrayList<>();
        config.problems().forEach(problem -> errors.add(problem.describe()));
        errors.addAll(newParameterProblems(running, next));
        if (!errors.isEmpty()) {
            return new Attempt(now, trigger, Outcome.REFUSED, errors);
        }
        LoadedConfig before = running.config();
        if (config.agent().equals(before.agent()) && config.collectors().equals(before.collectors())
                && config.sinks().equals(before.sinks())) {
            synchronized (this) {
                current = next; // same settings; keep the fresher SSM view for status
            }
            return new Attempt(now, trigger, Outcome.UNCHANGED, List.of());
        }
        Pipeline.Changes changes = target.apply(config);
        if (!changes.applied()) {
            return new Attempt(now, trigger, Outcome.REFUSED, changes.refused());
        }
        synchronized (this) {
            current = next;
            appliedAt = now;
        }
        List<String> details = new ArrayList<>();
        details.add(changes.describe());
        if (!config.agent().httpsProxy().equals(before.agent().httpsProxy())) {
            details.add("proxy.https changed: the intake proxy is chosen at start, restart the task to use it");
        }
        if (!config.agent().status().equals(before.agent().status())) {
            details.add("status.* changed: the status endpoint is opened at start, restart the task to move it");
        }
        return new Attempt(now, trigger, Outcome.APPLIED, details);
    }

    /**
     * What the new read lacks that the running configuration has: SSM not read at all, a path that was readable
     * and is not now, or an API key that could be read and now cannot. Applying such a read would silently remove
     * settings, so it is not applied.
     */
    static List<String> lostSources(Assembled running, Assembled next) {
        List<String> lost = new ArrayList<>();
        if (running.ssmInUse() && next.ssmState() != ConfigAssembly.SsmState.READ) {
            if (running.ssmState() == ConfigAssembly.SsmState.READ || next.ssmState().retryable()) {
                lost.add("SSM not read (" + next.ssmState().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                        + "); keeping the running configuration");
                next.ssm().ifPresent(load -> load.paths().stream().filter(p -> !p.ok())
                        .forEach(p -> lost.add("SSM " + p.describe())));
                next.notes().stream().filter(note -> note.startsWith("SSM not read")).forEach(lost::add);
                return lost;
            }
        }
        List<PathStatus> before = running.ssm().map(SsmLoad::paths).orElse(List.of());
        for (PathStatus path : next.ssm().map(SsmLoad::paths).orElse(List.of())) {
            if (path.ok()) {
                continue;
            }
            boolean wasReadable = running.ssmState() != ConfigAssembly.SsmState.READ || before.stream()
                    .anyMatch(old -> old.path().equals(path.path()) && old.ok());
            if (wasReadable) {
                lost.add("SSM " + path.describe());
            }
        }
        if (next.apiKeyProblem().isPresent() && running.config().agent().apiKey().isPresent()) {
            lost.add(next.apiKeyProblem().get() + "; keeping the key in use");
        }
        return lost;
    }

    /**
     * Parameters that do not parse (a broken properties document, a name that maps to no key) and were not there
     * when the running configuration was read. Ignoring them would quietly fall back to defaults for what they set,
     * so the reload is refused instead; problems already present at start were reported then and do not block.
     */
    static List<String> newParameterProblems(Assembled running, Assembled next) {
        java.util.Set<String> known = new java.util.HashSet<>();
        running.ssm().ifPresent(load -> load.problems().forEach(p -> known.add(p.describe())));
        List<String> fresh = new ArrayList<>();
        next.ssm().ifPresent(load -> load.problems().stream().map(p -> p.describe())
                .filter(p -> !known.contains(p)).forEach(fresh::add));
        return fresh;
    }

    private void log(Attempt attempt) {
        String head = "configuration reload (" + attempt.trigger() + "): ";
        // A detail may quote what SSM answered: each stays on its own line, whatever it holds.
        List<String> details = attempt.details().stream().map(SafeText::clean).toList();
        switch (attempt.outcome()) {
            case APPLIED -> LOG.log(System.Logger.Level.INFO, head + "applied; "
                    + String.join("; ", details));
            // A user who sent SIGHUP wants to see it was taken; timed reads that change nothing stay quiet.
            case UNCHANGED -> LOG.log(attempt.trigger().equals("SIGHUP") ? System.Logger.Level.INFO
                    : System.Logger.Level.DEBUG, head + "no change");
            case REFUSED -> LOG.log(System.Logger.Level.ERROR, head + "refused, the running configuration stays. "
                    + details.size() + " error(s):\n  - " + String.join("\n  - ", details));
            case SOURCE_FAILED -> LOG.log(System.Logger.Level.WARNING, head + "not applied, the running configuration "
                    + "stays; retrying in " + retryDelayHint() + ":\n  - " + String.join("\n  - ", details));
        }
    }

    private synchronized String retryDelayHint() {
        return nextAttempt == null ? "a while" : Duration.between(clock.instant(), nextAttempt).toSeconds() + " s";
    }

    private Duration interval() {
        return current.config().agent().ssm().reloadInterval();
    }

    /** Periodic reads only while SSM is a source: the environment and packaged defaults do not change. */
    private void scheduleNormal() {
        Duration interval = interval();
        if (interval.isZero() || !current.ssmInUse()) {
            cancelScheduled();
            nextAttempt = null;
            return;
        }
        long millis = interval.toMillis();
        scheduleIn(Duration.ofMillis(millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1)));
    }

    /** Backoff after a failed read; full jitter between half and all of the ceiling. */
    private Duration retryDelay(boolean throttled) {
        Duration interval = interval().isZero() ? AgentConfig.DEFAULT_RELOAD_INTERVAL : interval();
        Duration base = throttled ? THROTTLED_BASE : RETRY_BASE;
        Duration cap = throttled ? interval.multipliedBy(4) : interval;
        long ceiling = Math.min(cap.toMillis(), base.toMillis() << Math.min(Math.max(failures - 1, 0), 16));
        ceiling = Math.max(ceiling, 1);
        return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
    }

    private void scheduleIn(Duration delay) {
        if (closed) {
            return;
        }
        cancelScheduled();
        nextAttempt = clock.instant().plus(delay);
        try {
            String trigger = failures > 0 ? "retry after a failed read" : "periodic";
            scheduled = thread.schedule(() -> reload(trigger), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            nextAttempt = null;
        }
    }

    private void cancelScheduled() {
        if (scheduled != null) {
            scheduled.cancel(false);
            scheduled = null;
        }
    }

    /** Called after every reload, on the reload thread (self-telemetry counts them). */
    public void onAttempt(java.util.function.Consumer<Attempt> listener) {
        this.onAttempt = listener;
    }

    public synchronized Status status() {
        return new Status(current, appliedAt, Optional.ofNullable(last), Optional.ofNullable(nextAttempt), failures,
                interval());
    }

    @Override
    public synchronized void close() {
        closed = true;
        cancelScheduled();
        thread.shutdownNow();
    }

    @Override
    public synchronized String toString() {
        return "ConfigReloader[ssm=" + current.ssmState() + ", failures=" + failures + "]";
    }
}
