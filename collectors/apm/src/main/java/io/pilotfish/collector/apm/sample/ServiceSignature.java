package io.pilotfish.collector.apm.sample;

/**
 * A (service, env) pair, the unit of {@code rate_by_service}.
 *
 * @param service the root span's service
 * @param env     the tracer's env, or the agent's default env when the tracer sent none
 */
record ServiceSignature(String service, String env) {

    /** The default entry, {@code service:,env:}, for services without a rate of their own. */
    static final ServiceSignature DEFAULT = new ServiceSignature("", "");

    /** The key tracers look up: {@code service:<service>,env:<env>}. */
    String rateKey() {
        return "service:" + service + ",env:" + env;
    }

    /** The Agent's hash of the pair, the signature its rate is kept under. */
    long hash() {
        return Signatures.pair(service, env);
    }
}
