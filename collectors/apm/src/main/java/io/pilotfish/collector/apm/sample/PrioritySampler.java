package io.pilotfish.collector.apm.sample;

/**
 * The priority sampler and its feedback loop. Tracers decide (priority 1 keep, 0 drop) at the rate the agent last
 * told them for their (service, env); the agent honours the decision and counts every priority 0 and 1 chunk, plus
 * the P0 chunks the tracer says it dropped itself, towards the target traces per second, and publishes the new
 * rates in {@code rate_by_service} each time its window turns. User decisions (priority -1 and 2) are honoured and
 * left out of the counts: the loop only steers what it can act on.
 */
final class PrioritySampler {

    private static final int MAX_SERVICE_CHARS = 100;
    private static final int MAX_ENV_CHARS = 200;

    private final String agentEnv;
    private final RateWindow window;
    private final ServiceCatalog catalog;
    private final RatesByService rates;
    private final SamplingClock clock;
    private final int maxSignatures;

    PrioritySampler(SamplingConfig config, RatesByService rates, SamplingClock clock) {
        this.agentEnv = config.defaultEnv();
        this.window = new RateWindow(config.targetTps(), config.extraSampleRate());
        this.catalog = new ServiceCatalog(config.maxCatalogEntries(), window::forget);
        this.rates = rates;
        this.clock = clock;
        this.maxSignatures = config.maxCatalogEntries();
    }

    /**
     * Whether to keep a chunk with a priority. A kept auto-keep root without any rate from its tracer gets the
     * agent's rate in {@code _sampling_priority_rate_v1}, as the Agent does for old tracers.
     */
    synchronized boolean sample(long nowNanos, ChunkDraft chunk, int priority, String tracerEnv,
                                double clientDroppedP0sWeight) {
        if (priority < SamplingKeys.PRIORITY_AUTO_DROP || priority > SamplingKeys.PRIORITY_AUTO_KEEP) {
            return priority > 0;
        }
        boolean sampled = priority == SamplingKeys.PRIORITY_AUTO_KEEP;
        long signature = catalog.register(serviceSignature(chunk.root().service(), tracerEnv));
        float weight = ScoreSampler.rootWeight(chunk) + (float) clientDroppedP0sWeight;
        if (window.count(nowNanos, signature, weight)) {
            publishRates();
        }
        if (window.size() > maxSignatures) {
            // pairs the catalog let go of without being pushed out by age (it drops unrated pairs when publishing)
            // normally age out of the window; with more pairs than the cap, drop them now so the bound holds
            window.retainOnly(catalog.signatures());
        }
        if (sampled) {
            applyRate(chunk, signature);
        }
        return sampled;
    }

    private void applyRate(ChunkDraft chunk, long signature) {
        int root = chunk.rootIndex;
        if (chunk.root().parentId() != 0 || chunk.hasMetric(root, SamplingKeys.AGENT_RATE)
                || chunk.hasMetric(root, SamplingKeys.RULE_RATE)
                || chunk.hasMetric(root, SamplingKeys.DEPRECATED_PRIORITY_RATE)) {
            return;
        }
        chunk.setMetric(root, SamplingKeys.DEPRECATED_PRIORITY_RATE, window.signatureRate(signature));
    }

    private void publishRates() {
        rates.setAll(catalog.ratesByService(agentEnv, window.rates(), window.defaultRate()), clock.epochSecond());
    }

    /**
     * The pair a chunk counts under. Spans reach the sampler normalised, so the length caps only matter if they did
     * not; they keep one catalog entry's size bounded whatever arrives.
     */
    private ServiceSignature serviceSignature(String service, String tracerEnv) {
        String env = tracerEnv == null || tracerEnv.isEmpty() ? agentEnv : tracerEnv;
        return new ServiceSignature(truncate(service, MAX_SERVICE_CHARS), truncate(env, MAX_ENV_CHARS));
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    synchronized int signatures() {
        return window.size();
    }

    synchronized int catalogSize() {
        return catalog.size();
    }

    synchronized double signatureRate(String service, String env) {
        return window.signatureRate(serviceSignature(service, env).hash());
    }
}
