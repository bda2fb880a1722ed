package io.pilotfish.sink.datadog.traces;

import io.pilotfish.sink.datadog.common.DatadogEndpoints;
import io.pilotfish.spi.PluginConfig;
import java.net.URI;
import java.util.Optional;

/** Keys both trace intake sinks read. */
final class ConfigKeys {

    private ConfigKeys() {
    }

    /** Key {@code url}: the trace intake base ({@code DD_APM_DD_URL}); a value that is no http(s) URL is a problem. */
    static Optional<URI> url(PluginConfig config, String path) {
        return DatadogEndpoints.urlKey(config, "the path " + path + " is added; unset, https://trace.agent.<DD_SITE>"
                + " is used");
    }

    /** A free-text key; absent or blank is empty (the default applies). */
    static Optional<String> text(PluginConfig config, String key) {
        return config.string(key).map(String::strip).filter(value -> !value.isEmpty());
    }

    /** A rate in traces per second: a finite number, 0 or more, such as {@code 10} or {@code 0.5}. */
    static double rate(PluginConfig config, String key, double defaultValue) {
        Optional<String> raw = config.string(key).map(String::strip).filter(value -> !value.isEmpty());
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            double value = Double.parseDouble(raw.get());
            if (value >= 0 && !Double.isInfinite(value)) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        config.problem(key, "expected a number of traces per second, 0 or more, such as 10 or 0.5");
        return defaultValue;
    }
}
