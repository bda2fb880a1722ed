package io.pilotfish.agent.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Datadog Agent's environment variables that Pilotfish honours, and the {@code pilotfish.*} key each one sets.
 * A user swapping the Datadog Agent image for ours keeps the task definition's environment as it is.
 */
public final class DatadogEnvironment {

    /** Variable name to our key. */
    public static final Map<String, String> MAPPING;

    static {
        Map<String, String> mapping = new LinkedHashMap<>();
        mapping.put("DD_API_KEY", "pilotfish.datadog.api-key");
        mapping.put("DD_SITE", "pilotfish.datadog.site");
        mapping.put("DD_DD_URL", "pilotfish.datadog.url");
        // Older Agent versions documented DD_URL for the same purpose.
        mapping.put("DD_URL", "pilotfish.datadog.url");
        mapping.put("DD_HOSTNAME", "pilotfish.hostname");
        mapping.put("DD_TAGS", "pilotfish.tags");
        mapping.put("DD_ENV", "pilotfish.env");
        mapping.put("DD_SERVICE", "pilotfish.service");
        mapping.put("DD_VERSION", "pilotfish.version");
        MAPPING = java.util.Collections.unmodifiableMap(mapping);
    }

    private DatadogEnvironment() {
    }

    /** The keys the given environment sets; the first variable in {@link #MAPPING} order wins for a key. */
    public static Map<String, String> translate(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        MAPPING.forEach((variable, key) -> {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                out.putIfAbsent(key, value.trim());
            }
        });
        return out;
    }
}
