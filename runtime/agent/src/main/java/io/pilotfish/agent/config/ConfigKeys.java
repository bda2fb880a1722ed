package io.pilotfish.agent.config;

import io.pilotfish.core.config.ConfigLoader;
import io.pilotfish.core.config.ConfigValue;
import io.smallrye.config.SmallRyeConfig;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.config.ConfigProvider;

/** Reads every {@code pilotfish.*} key from Quarkus' config sources, each with the name of the source it came from. */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    /** @param overrides keys that win over every source (the demo's wiring), reported as {@code overrideSource} */
    public static Map<String, ConfigValue> read(Map<String, String> overrides, String overrideSource) {
        SmallRyeConfig config = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class);
        Map<String, ConfigValue> out = new TreeMap<>();
        for (String name : config.getPropertyNames()) {
            if (!name.startsWith(ConfigLoader.PREFIX)) {
                continue;
            }
            io.smallrye.config.ConfigValue value = config.getConfigValue(name);
            // PILOTFISH_* variables are resolved by our loader against the keys plugins read (see environment()).
            if (value.getValue() != null && !String.valueOf(value.getSourceName()).startsWith("EnvConfigSource")) {
                out.put(name, new ConfigValue(value.getValue(), shortSourceName(value.getSourceName()),
                        value.getConfigSourceOrdinal()));
            }
        }
        overrides.forEach((key, value) -> out.put(key, new ConfigValue(value, overrideSource,
                ConfigValue.SYSTEM_PROPERTY + 100)));
        return out;
    }

    /** The {@code PILOTFISH_*} variables of the given environment, by name. */
    public static Map<String, ConfigValue> environment(Map<String, String> env) {
        Map<String, ConfigValue> out = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(ConfigLoader.ENV_PREFIX) && value != null) {
                out.put(name, new ConfigValue(value, "environment " + name, ConfigValue.PILOTFISH_ENV));
            }
        });
        return out;
    }

    static String shortSourceName(String sourceName) {
        if (sourceName == null) {
            return "";
        }
        if (sourceName.contains("application.properties")) {
            return sourceName.contains("quarkus-app") || sourceName.contains("jar:")
                    ? "packaged defaults (application.properties)" : "application.properties";
        }
        if (sourceName.startsWith("SysPropConfigSource")) {
            return "system property";
        }
        if (sourceName.startsWith("EnvConfigSource")) {
            return "environment";
        }
        return sourceName;
    }
}
