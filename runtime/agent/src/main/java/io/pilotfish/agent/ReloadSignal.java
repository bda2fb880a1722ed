package io.pilotfish.agent;

/**
 * SIGHUP reloads the configuration, as it does for most daemons ({@code kill -HUP 1} through ECS Exec). Installing
 * the handler replaces the JVM's default for HUP (exit); if the runtime refuses (e.g. {@code -Xrs}) the agent runs
 * on and says so.
 */
public final class ReloadSignal {

    private static final System.Logger LOG = System.getLogger(ReloadSignal.class.getName());

    private ReloadSignal() {
    }

    public static boolean install(Runnable onHangUp) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> onHangUp.run());
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.WARNING, "SIGHUP cannot trigger a reload here (" + e.getMessage()
                    + "); configuration is still re-read every pilotfish.ssm.reload-interval");
            return false;
        }
    }
}
