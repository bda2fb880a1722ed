package io.pilotfish.agent;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/** Flushes the running agent when Quarkus shuts down (SIGTERM from ECS, Ctrl-C, end of a command). */
@Singleton
public class AgentLifecycle {

    private AgentRuntime runtime;

    public synchronized void manage(AgentRuntime runtime) {
        this.runtime = runtime;
    }

    /** Idempotent: the runtime is flushed at most once. */
    public synchronized long stop() {
        AgentRuntime current = runtime;
        runtime = null;
        return current == null ? 0 : current.shutdown();
    }

    void onShutdown(@Observes ShutdownEvent event) {
        stop();
    }
}
