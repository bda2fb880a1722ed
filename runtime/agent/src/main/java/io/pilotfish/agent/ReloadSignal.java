package io.pilotfish.agent;

import java.time.Duration;

/**
 * SIGHUP reloads the configuration, as it does for most daemons ({@code kill -HUP 1} through ECS Exec). Installing
 * the handler replaces the JVM's default for HUP (exit). When HUP is ignored by the process (started under
 * {@code nohup}, or by a supervisor that ignores it), the JVM keeps it ignored and installs nothing; if the runtime
 * refuses (e.g. {@code -Xrs}) likewise. Either way the agent runs on and says at start that HUP will not reload.
 */
public final class ReloadSignal {

    private static final System.Logger LOG = System.getLogger(ReloadSignal.class.getName());

    private ReloadSignal() {
    }

    /**
     * @param reloadInterval the periodic reload interval, named in the warning when HUP cannot reload
     * @return whether a HUP now reloads
     */
    public static boolean install(Runnable onHangUp, Duration reloadInterval) {
        String periodic = reloadInterval.isZero() ? "periodic reloads are off (pilotfish.ssm.reload-interval=0)"
                : "SSM is still re-read every pilotfish.ssm.reload-interval (" + reloadInterval.toSeconds() + " s) "
                        + "while it is a source";
        try {
            sun.misc.SignalHandler previous = sun.misc.Signal.handle(new sun.misc.Signal("HUP"),
                    signal -> onHangUp.run());
            if (previous == sun.misc.SignalHandler.SIG_IGN) {
                LOG.log(System.Logger.Level.WARNING, "SIGHUP is ignored by this process (started under nohup or by a "
                        + "supervisor that ignores it), so kill -HUP does not reload the configuration; " + periodic
                        + ". Start the agent without nohup to reload on HUP");
                return false;
            }
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.WARNING, "SIGHUP cannot trigger a reload here (" + e.getMessage() + "); "
                    + periodic);
            return false;
        }
    }
}
