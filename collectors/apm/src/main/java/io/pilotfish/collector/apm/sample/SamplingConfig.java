package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.SafeText;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How the trace-agent samples, with the Datadog Agent's defaults ({@code pkg/trace/config}) and the same
 * {@code DD_APM_*} variables. Immutable and validated when built; {@link #fromEnvironment} rejects a value the Agent
 * would silently read as 0 or false, naming the variable and what it accepts.
 *
 * @param defaultEnv                    the agent's env ({@code DD_APM_ENV}/{@code DD_ENV}, normalised; {@code none}
 *                                      when unset), used for tracers that send none
 * @param targetTps                     priority and no-priority traces kept per second ({@code DD_APM_TARGET_TPS},
 *                                      formerly {@code DD_APM_MAX_TPS}; 10)
 * @param errorTps                      error traces kept per second on top ({@code DD_APM_ERROR_TPS}; 10; 0 turns
 *                                      the error sampler off)
 * @param extraSampleRate               a factor on every computed rate ({@code apm_config.extra_sample_rate}, no
 *                                      variable; 1)
 * @param maxEps                        analysed spans kept per second ({@code DD_APM_MAX_EPS}; 200)
 * @param rareSamplerEnabled            {@code DD_APM_ENABLE_RARE_SAMPLER}; false
 * @param rareSamplerTps                rare traces kept per second ({@code apm_config.rare_sampler.tps}; 5)
 * @param rareSamplerCooldown           how long a combination stays seen after a rare keep (5 minutes)
 * @param rareSamplerCardinality        combinations tracked per (env, service) (200)
 * @param maxCatalogEntries             (service, env) pairs with a rate ({@code DD_APM_MAX_CATALOG_SERVICES}; 5000)
 * @param probabilisticSamplerEnabled   {@code DD_APM_PROBABILISTIC_SAMPLER_ENABLED}; false
 * @param probabilisticSamplingPercent  {@code DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE}, 0 to 100; 0
 * @param probabilisticHashSeed         {@code DD_APM_PROBABILISTIC_SAMPLER_HASH_SEED}, an unsigned 32-bit value
 * @param probabilisticFullTraceId      the {@code probabilistic_sampler_full_trace_id} feature: hash all 128 bits
 * @param analyzedSpans                 {@code DD_APM_ANALYZED_SPANS}: extraction rate by service, then operation
 */
public record SamplingConfig(String defaultEnv, double targetTps, double errorTps, double extraSampleRate,
                             double maxEps, boolean rareSamplerEnabled, int rareSamplerTps,
                             Duration rareSamplerCooldown, int rareSamplerCardinality, int maxCatalogEntries,
                             boolean probabilisticSamplerEnabled, float probabilisticSamplingPercent,
                             int probabilisticHashSeed, boolean probabilisticFullTraceId,
                             Map<String, Map<String, Double>> analyzedSpans) {

    /** Every variable {@link #fromEnvironment} reads, for the README's table of honoured variables. */
    public static final List<String> ENVIRONMENT_VARIABLES = List.of(
            "DD_APM_TARGET_TPS", "DD_APM_MAX_TPS", "DD_MAX_TPS", "DD_APM_ERROR_TPS", "DD_APM_MAX_EPS", "DD_MAX_EPS",
            "DD_APM_ENABLE_RARE_SAMPLER", "DD_APM_MAX_CATALOG_SERVICES", "DD_APM_PROBABILISTIC_SAMPLER_ENABLED",
            "DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE", "DD_APM_PROBABILISTIC_SAMPLER_HASH_SEED",
            "DD_APM_FEATURES (probabilistic_sampler_full_trace_id)", "DD_APM_ANALYZED_SPANS");

    public static final String DEFAULT_ENV = "none";
    public static final double DEFAULT_TARGET_TPS = 10;
    public static final double DEFAULT_ERROR_TPS = 10;
    public static final double DEFAULT_MAX_EPS = 200;
    public static final int DEFAULT_RARE_SAMPLER_TPS = 5;
    public static final Duration DEFAULT_RARE_SAMPLER_COOLDOWN = Duration.ofMinutes(5);
    public static final int DEFAULT_RARE_SAMPLER_CARDINALITY = 200;
    public static final int DEFAULT_MAX_CATALOG_ENTRIES = 5000;
    /** Upper bounds that keep the tables' memory bounded whatever is configured. */
    static final int MAX_RARE_SAMPLER_CARDINALITY = 10_000;
    static final int MAX_CATALOG_ENTRIES = 100_000;

    public SamplingConfig {
        Objects.requireNonNull(defaultEnv, "defaultEnv");
        requireRate("targetTps", targetTps);
        requireRate("errorTps", errorTps);
        requireRate("maxEps", maxEps);
        if (!(extraSampleRate >= 0 && extraSampleRate <= 1)) {
            throw new SamplingConfigException("extraSampleRate", "must be between 0 and 1, not " + extraSampleRate);
        }
        if (rareSamplerTps < 0) {
            throw new SamplingConfigException("rareSamplerTps", "must not be negative: " + rareSamplerTps);
        }
        Objects.requireNonNull(rareSamplerCooldown, "rareSamplerCooldown");
        if (rareSamplerCooldown.isNegative() || rareSamplerCooldown.isZero()) {
            throw new SamplingConfigException("rareSamplerCooldown", "must be positive: " + rareSamplerCooldown);
        }
        if (rareSamplerCardinality < 1 || rareSamplerCardinality > MAX_RARE_SAMPLER_CARDINALITY) {
            throw new SamplingConfigException("rareSamplerCardinality",
                    "must be between 1 and " + MAX_RARE_SAMPLER_CARDINALITY + ": " + rareSamplerCardinality);
        }
        if (maxCatalogEntries < 1 || maxCatalogEntries > MAX_CATALOG_ENTRIES) {
            throw new SamplingConfigException("maxCatalogEntries",
                    "must be between 1 and " + MAX_CATALOG_ENTRIES + ": " + maxCatalogEntries);
        }
        if (!(probabilisticSamplingPercent >= 0 && probabilisticSamplingPercent <= 100)) {
            throw new SamplingConfigException("probabilisticSamplingPercent",
                    "must be between 0 and 100: " + probabilisticSamplingPercent);
        }
        Map<String, Map<String, Double>> spans = new LinkedHashMap<>();
        Objects.requireNonNull(analyzedSpans, "analyzedSpans").forEach((service, operations) -> {
            Map<String, Double> copy = new LinkedHashMap<>();
            operations.forEach((operation, rate) -> {
                requireRate("analyzedSpans " + service + "|" + operation, rate);
                copy.put(operation, rate);
            });
            spans.put(service, Map.copyOf(copy));
        });
        analyzedSpans = Map.copyOf(spans);
    }

    /** The Agent's defaults, for an agent whose env is {@code defaultEnv}. */
    public static SamplingConfig defaults(String defaultEnv) {
        return builder(defaultEnv).build();
    }

    public static Builder builder(String defaultEnv) {
        return new Builder(defaultEnv);
    }

    /**
     * Reads the sampling variables over the Agent's defaults. The newest variable wins where the Agent has an old
     * and a new name ({@code DD_APM_TARGET_TPS} over {@code DD_APM_MAX_TPS} over {@code DD_MAX_TPS}).
     *
     * @throws SamplingConfigException for a value that is not a number, a boolean or a rate list where one is needed
     */
    public static SamplingConfig fromEnvironment(Map<String, String> env, String defaultEnv) {
        Builder b = builder(defaultEnv);
        String tpsVariable = firstSet(env, "DD_APM_TARGET_TPS", "DD_APM_MAX_TPS", "DD_MAX_TPS");
        if (tpsVariable != null) {
            b.targetTps(number(env, tpsVariable));
        }
        if (isSet(env, "DD_APM_ERROR_TPS")) {
            b.errorTps(number(env, "DD_APM_ERROR_TPS"));
        }
        String epsVariable = firstSet(env, "DD_APM_MAX_EPS", "DD_MAX_EPS");
        if (epsVariable != null) {
            b.maxEps(number(env, epsVariable));
        }
        if (isSet(env, "DD_APM_ENABLE_RARE_SAMPLER")) {
            b.rareSamplerEnabled(bool(env, "DD_APM_ENABLE_RARE_SAMPLER"));
        }
        if (isSet(env, "DD_APM_MAX_CATALOG_SERVICES")) {
            long entries = wholeNumber(env, "DD_APM_MAX_CATALOG_SERVICES", Long.MIN_VALUE, MAX_CATALOG_ENTRIES);
            // the Agent takes 0 or less as "use the default"
            b.maxCatalogEntries(entries > 0 ? (int) entries : DEFAULT_MAX_CATALOG_ENTRIES);
        }
        if (isSet(env, "DD_APM_PROBABILISTIC_SAMPLER_ENABLED")) {
            b.probabilisticSamplerEnabled(bool(env, "DD_APM_PROBABILISTIC_SAMPLER_ENABLED"));
        }
        if (isSet(env, "DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE")) {
            double percent = number(env, "DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE");
            if (percent > 100) {
                throw invalid(env, "DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE", "a percentage from 0 to 100");
            }
            b.probabilisticSamplingPercent((float) percent);
        }
        if (isSet(env, "DD_APM_PROBABILISTIC_SAMPLER_HASH_SEED")) {
            // read as an int and cast to uint32 by the Agent, so negative values wrap
            b.probabilisticHashSeed((int) wholeNumber(env, "DD_APM_PROBABILISTIC_SAMPLER_HASH_SEED",
                    Integer.MIN_VALUE, 0xffffffffL));
        }
        b.probabilisticFullTraceId(features(env.get("DD_APM_FEATURES")).contains(
                "probabilistic_sampler_full_trace_id"));
        if (isSet(env, "DD_APM_ANALYZED_SPANS")) {
            b.analyzedSpans(analyzedSpans(env.get("DD_APM_ANALYZED_SPANS")));
        }
        return b.build();
    }

    private static void requireRate(String setting, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new SamplingConfigException(setting, "must be a finite number of 0 or more, not " + value);
        }
    }

    private static boolean isSet(Map<String, String> env, String variable) {
        String raw = env.get(variable);
        return raw != null && !raw.isBlank();
    }

    private static String firstSet(Map<String, String> env, String... variables) {
        for (String variable : variables) {
            if (isSet(env, variable)) {
                return variable;
            }
        }
        return null;
    }

    private static double number(Map<String, String> env, String variable) {
        try {
            double value = Double.parseDouble(env.get(variable).strip());
            if (value >= 0 && !Double.isInfinite(value)) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(env, variable, "a number of 0 or more, such as 10");
    }

    private static long wholeNumber(Map<String, String> env, String variable, long min, long max) {
        try {
            long value = Long.parseLong(env.get(variable).strip());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(env, variable, "a whole number up to " + max);
    }

    private static boolean bool(Map<String, String> env, String variable) {
        return switch (env.get(variable).strip()) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw invalid(env, variable, "true or false");
        };
    }

    private static SamplingConfigException invalid(Map<String, String> env, String variable, String accepted) {
        return new SamplingConfigException(variable,
                "cannot use " + SafeText.quote(env.get(variable), 60) + "; use " + accepted);
    }

    /** {@code DD_APM_FEATURES}: separated by commas, or by spaces when there is no comma, as in the Agent. */
    private static List<String> features(String raw) {
        if (raw == null || raw.isBlank()) {
            return List.of();
        }
        String[] parts = raw.indexOf(',') >= 0 ? raw.split(",") : raw.split(" ");
        return Arrays.stream(parts).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** {@code service|operation=rate,service|operation=rate}, as the Agent parses it. */
    static Map<String, Map<String, Double>> analyzedSpans(String raw) {
        Map<String, Map<String, Double>> rates = new LinkedHashMap<>();
        for (String token : raw.split(",")) {
            String[] nameAndRate = token.split("=", -1);
            String[] serviceAndOperation = nameAndRate[0].split("\\|", -1);
            double rate = Double.NaN;
            if (nameAndRate.length == 2) {
                try {
                    rate = Double.parseDouble(nameAndRate[1].strip());
                } catch (NumberFormatException e) {
                    // reported below
                }
            }
            if (serviceAndOperation.length != 2 || !(rate >= 0) || Double.isInfinite(rate)) {
                throw new SamplingConfigException("DD_APM_ANALYZED_SPANS", "cannot use " + SafeText.quote(token, 60)
                        + "; use service_name|operation_name=rate, separated by commas");
            }
            rates.computeIfAbsent(serviceAndOperation[0].toLowerCase(Locale.ROOT), k -> new LinkedHashMap<>())
                    .put(serviceAndOperation[1].toLowerCase(Locale.ROOT), rate);
        }
        return rates;
    }

    /** Settings one at a time over the Agent's defaults. */
    public static final class Builder {
        private final String defaultEnv;
        private double targetTps = DEFAULT_TARGET_TPS;
        private double errorTps = DEFAULT_ERROR_TPS;
        private double extraSampleRate = 1.0;
        private double maxEps = DEFAULT_MAX_EPS;
        private boolean rareSamplerEnabled;
        private int rareSamplerTps = DEFAULT_RARE_SAMPLER_TPS;
        private Duration rareSamplerCooldown = DEFAULT_RARE_SAMPLER_COOLDOWN;
        private int rareSamplerCardinality = DEFAULT_RARE_SAMPLER_CARDINALITY;
        private int maxCatalogEntries = DEFAULT_MAX_CATALOG_ENTRIES;
        private boolean probabilisticSamplerEnabled;
        private float probabilisticSamplingPercent;
        private int probabilisticHashSeed;
        private boolean probabilisticFullTraceId;
        private Map<String, Map<String, Double>> analyzedSpans = Map.of();

        private Builder(String defaultEnv) {
            this.defaultEnv = defaultEnv;
        }

        public Builder targetTps(double v) {
            targetTps = v;
            return this;
        }

        public Builder errorTps(double v) {
            errorTps = v;
            return this;
        }

        public Builder extraSampleRate(double v) {
            extraSampleRate = v;
            return this;
        }

        public Builder maxEps(double v) {
            maxEps = v;
            return this;
        }

        public Builder rareSamplerEnabled(boolean v) {
            rareSamplerEnabled = v;
            return this;
        }

        public Builder rareSamplerTps(int v) {
            rareSamplerTps = v;
            return this;
        }

        public Builder rareSamplerCooldown(Duration v) {
            rareSamplerCooldown = v;
            return this;
        }

        public Builder rareSamplerCardinality(int v) {
            rareSamplerCardinality = v;
            return this;
        }

        public Builder maxCatalogEntries(int v) {
            maxCatalogEntries = v;
            return this;
        }

        public Builder probabilisticSamplerEnabled(boolean v) {
            probabilisticSamplerEnabled = v;
            return this;
        }

        public Builder probabilisticSamplingPercent(float v) {
            probabilisticSamplingPercent = v;
            return this;
        }

        public Builder probabilisticHashSeed(int v) {
            probabilisticHashSeed = v;
            return this;
        }

        public Builder probabilisticFullTraceId(boolean v) {
            probabilisticFullTraceId = v;
            return this;
        }

        public Builder analyzedSpans(Map<String, Map<String, Double>> v) {
            analyzedSpans = v;
            return this;
        }

        public SamplingConfig build() {
            return new SamplingConfig(defaultEnv, targetTps, errorTps, extraSampleRate, maxEps, rareSamplerEnabled,
                    rareSamplerTps, rareSamplerCooldown, rareSamplerCardinality, maxCatalogEntries,
                    probabilisticSamplerEnabled, probabilisticSamplingPercent, probabilisticHashSeed,
                    probabilisticFullTraceId, analyzedSpans);
        }
    }
}
