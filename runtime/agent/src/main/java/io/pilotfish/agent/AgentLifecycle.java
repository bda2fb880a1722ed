package io.pilotfish.agent;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;

/** Flushes the running agent when Quarkus shuts down (SIGTERM from ECS, Ctrl-C, end of a command). */
@Singleton
public class AgentLifecycle {

    private static final System.Logger LOG = System.getLogger(AgentLifecycle.class.getName());

    private AgentRuntime runtime;
    private List<AutoCloseable> before = List.of();
    private List<AutoCloseable> after = List.of();

    public synchronized void manage(AgentRuntime runtime) {
        manage(runtime, List.of(), List.of());
    }

    /**
     * @param before closed before the runtime flushes (the reloader: no reload during shutdown)
     * @param after  closed once it has flushed (the status endpoint, which reports the shutdown until then)
     */
    public synchronized void manage(AgentRuntime runtime, List<AutoCloseable> before, List<AutoCloseable> after) {
        this.runtime = runtime;
        this.before = List.copyOf(before);
        this.after = List.copyOf(after);
    }

    /** Idempotent: the runtime is flushed at most once. */
    public synchronized long stop() {
        AgentRuntime current = runtime;
        runtime = null;
        if (current == null) {
            return 0;
        }
        before.forEach(AgentLifecycle::closeQuietly);
        long dropped = current.shutdown();
        after.forEach(AgentLifecycle::closeQuietly);
        return dropped;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "close at shutdown failed: " + e.getMessage());
        }
    }

    void onShutdown(@Observes ShutdownEvent event) {
        stop();
    }
}
