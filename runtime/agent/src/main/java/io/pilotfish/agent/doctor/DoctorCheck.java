package io.pilotfish.agent.doctor;

/**
 * One preflight check of {@code pilotfish doctor}. Implementations are plain classes: they read what they need
 * from the {@link DoctorContext} and never print. {@link Doctor} bounds each run by the context's timeout and turns
 * an exception into a {@link CheckStatus#FAIL}, so a check may throw; it should still finish within
 * {@link DoctorContext#timeout()} on its own (set it on sockets and requests).
 *
 * <p>Texts must never contain a secret: no API key, no AWS credentials, no authorization token.
 */
public interface DoctorCheck {

    /** Stable machine name, e.g. {@code api-key}. */
    String id();

    /** Short human name, e.g. {@code API key}. */
    String title();

    CheckResult run(DoctorContext context) throws Exception;
}
