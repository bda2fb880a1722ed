package io.pilotfish.agent.config;

import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Exposes the Datadog Agent's {@code DD_*} variables as {@code pilotfish.*} keys. Ordinal 275: below our own
 * {@code PILOTFISH_*} environment (300) and system properties (400), above application.properties (250).
 */
public final class DatadogEnvConfigSource implements ConfigSource {

    public static final String NAME = "Datadog environment (DD_*)";
    private final Map<String, String> values = DatadogEnvironment.translate(System.getenv());

    @Override
    public Set<String> getPropertyNames() {
        return values.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return values.get(propertyName);
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public int getOrdinal() {
        return 275;
    }
}
