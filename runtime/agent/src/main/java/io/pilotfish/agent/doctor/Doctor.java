package io.pilotfish.agent.doctor;

import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.Secret;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the checks in order, each on its own thread and bounded by the timeout (plus a short grace), so one hanging
 * check (a DNS lookup cannot be interrupted) neither stops the others nor the report. A check that throws or
 * overruns is a failure. Every text passes through a scrubber that replaces the known secrets (in every form an
 * endpoint may echo them), the credentials of URLs and control characters.
 */
public final class Doctor {

    /** Secrets shorter than this are not scrubbed: replacing them would mangle ordinary words. */
    private static final int MIN_SCRUBBED_LENGTH = 6;
    private static final Duration GRACE = Duration.ofMillis(500);

    private final List<DoctorCheck> checks;

    public Doctor(List<DoctorCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    /**
     * The standard checks in report order. Add more (the SSM paths check) by passing a longer list to
     * {@link #Doctor(List)}.
     *
     * @param config the configuration check, built by the command from the loader's result
     */
    public static List<DoctorCheck> standardChecks(ConfigCheck config, java.util.Map<String, String> env) {
        return standardChecks(config, ListenerPortsCheck.fromEnvironment(env));
    }

    /** @param ports the ports check, made from the loaded configuration and the running agent's status endpoint */
    public static List<DoctorCheck> standardChecks(ConfigCheck config, ListenerPortsCheck ports) {
        return List.of(config, new MetadataEndpointCheck(), new TaskRoleCredentialsCheck(), new NetworkModeCheck(),
                new ApiKeyCheck(), new IntakeReachabilityCheck(), ports);
    }

    public DoctorReport run(DoctorContext context) {
        Set<String> secrets = secrets(context);
        List<CheckResult> results = new ArrayList<>();
        ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "pilotfish-doctor-check");
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (DoctorCheck check : checks) {
                results.add(scrub(runOne(check, context, executor), secrets));
            }
        } finally {
            executor.shutdownNow();
        }
        return new DoctorReport(results);
    }

    private static CheckResult runOne(DoctorCheck check, DoctorContext context, ExecutorService executor) {
        Future<CheckResult> future = executor.submit(() -> check.run(context));
        try {
            CheckResult result = future.get(context.timeout().plus(GRACE).toMillis(), TimeUnit.MILLISECONDS);
            return Objects.requireNonNull(result, "check returned no result");
        } catch (TimeoutException e) {
            future.cancel(true);
            return CheckResult.fail(check, "did not finish within " + seconds(context.timeout()),
                    "Something on the way does not answer (DNS, a firewall dropping packets); run again with a "
                            + "longer --timeout to see whether it is only slow");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return CheckResult.fail(check, "the check failed: " + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()),
                    "Report this with the output of doctor --json");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            return CheckResult.fail(check, "interrupted", "Run doctor again");
        } catch (RuntimeException e) {
            return CheckResult.fail(check, "the check failed: " + e, "Report this with the output of doctor --json");
        }
    }

    private static Set<String> secrets(DoctorContext context) {
        Set<String> secrets = new java.util.HashSet<>();
        context.datadog().apiKey().ifPresent(key -> secrets.add(key.reveal()));
        context.env("DD_API_KEY").ifPresent(secrets::add);
        context.env(TaskRoleCredentialsCheck.TOKEN).ifPresent(secrets::add);
        context.env("AWS_SECRET_ACCESS_KEY").ifPresent(secrets::add);
        context.env("AWS_SESSION_TOKEN").ifPresent(secrets::add);
        context.datadog().proxy().flatMap(io.pilotfish.agent.net.IntakeProxy::password).ifPresent(secrets::add);
        secrets.removeIf(s -> s.length() < MIN_SCRUBBED_LENGTH);
        return secrets;
    }

    private static CheckResult scrub(CheckResult result, Set<String> secrets) {
        List<Secret> known = secrets.stream().map(Secret::new).toList();
        return result.withText(scrub(result.detail(), known), result.fix().map(f -> scrub(f, known)));
    }

    /**
     * Each secret masked in every form a peer may have echoed it in (a check quotes what endpoints answered), URL
     * credentials masked, control characters escaped.
     */
    private static String scrub(String text, List<Secret> secrets) {
        String scrubbed = text;
        for (Secret secret : secrets) {
            scrubbed = secret.redact(scrubbed, "****");
        }
        return SafeText.clean(scrubbed);
    }

    static String seconds(Duration timeout) {
        long millis = timeout.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
