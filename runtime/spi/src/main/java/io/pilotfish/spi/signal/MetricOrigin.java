package io.pilotfish.spi.signal;

/**
 * Where a metric comes from, as Datadog classifies it in a series' {@code metadata.origin}: the product, the
 * category within it and the service (check) codes of Datadog's origin enumeration. Datadog uses them to tell, for
 * instance, DogStatsD custom metrics from integration metrics; zero everywhere means "not said".
 */
public record MetricOrigin(int product, int category, int service) {

    /** No origin: the series goes out without {@code metadata.origin}. */
    public static final MetricOrigin UNSPECIFIED = new MetricOrigin(0, 0, 0);

    /** Product code of the Datadog Agent, which Pilotfish stands in for. */
    public static final int AGENT_PRODUCT = 10;

    /** Metrics an application sent over DogStatsD, as the Agent marks them (category 10, no service). */
    public static final MetricOrigin DOGSTATSD = new MetricOrigin(AGENT_PRODUCT, 10, 0);

    public MetricOrigin {
        if (product < 0 || category < 0 || service < 0) {
            throw new IllegalArgumentException("origin codes are never negative: " + product + "/" + category
                    + "/" + service);
        }
    }

    public boolean specified() {
        return product != 0 || category != 0 || service != 0;
    }
}
