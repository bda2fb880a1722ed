package io.pilotfish.testkit;

import io.pilotfish.spi.PluginFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The config contract every plugin keeps, whatever its kind: what {@link CollectorContractTest} and
 * {@link SinkContractTest} share. Extend one of those, not this.
 *
 * @param <F> the kind of factory ({@code CollectorFactory<C>} or {@code SinkFactory<C>})
 * @param <C> the plugin's typed config
 */
public abstract class PluginContractTest<F extends PluginFactory<C>, C> {

    private final Class<?> service;
    private final Map<String, String> platformKeys;

    /**
     * @param service       the interface the factory is listed under in {@code META-INF/services}
     * @param platformKeys  keys the platform reads for this kind of plugin, with valid values ({@code type} and
     *                      {@code enabled}, common to all, are added)
     */
    PluginContractTest(Class<?> service, Map<String, String> platformKeys) {
        this.service = service;
        this.platformKeys = platformKeys;
    }

    protected abstract F factory();

    /** Keys (relative, e.g. {@code include-internal}) that configure with no problem. */
    protected abstract Map<String, String> validConfig();

    /** The context of each test that needs one; override to change agent settings. */
    protected TestPluginContext.Builder contextBuilder() {
        return TestPluginContext.builder().instanceName(factory().type()).globalTags("env:contract-test");
    }

    // ---------------------------------------------------------------- the factory

    @Test
    public void typeIsLowercaseWithDashes() {
        FactoryChecks.typeIsLowercaseWithDashes(factory());
    }

    @Test
    public void factoryIsListedInItsModulesServicesFile() {
        FactoryChecks.listedInServicesFile(service, factory());
    }

    @Test
    public void validConfigHasNoProblems() {
        FactoryChecks.validConfigHasNoProblems(factory(), validConfig());
    }

    @Test
    public void emptyConfigConfiguresOrReportsProblemsNamingKeys() {
        FactoryChecks.emptyConfigConfiguresOrNamesKeys(factory());
    }

    @Test
    public void oddValuesAreReportedNeverThrown() {
        FactoryChecks.oddValuesNeverThrow(factory(), validConfig());
    }

    @Test
    public void unknownKeyIsReported() {
        FactoryChecks.unknownKeyIsReported(factory(), validConfig());
    }

    @Test
    public void platformKeysAreLeftToThePlatform() {
        Map<String, String> platform = new LinkedHashMap<>();
        platform.put("type", factory().type());
        platform.put("enabled", "true");
        platform.putAll(platformKeys);
        FactoryChecks.platformKeysAreLeftAlone(factory(), validConfig(), platform);
    }

    /** Configure only reads keys; here it runs with no metadata endpoint or context at all, twice. */
    @Test
    public void configureIsRepeatable() {
        FactoryChecks.configureIsRepeatable(factory(), validConfig());
    }

    // ---------------------------------------------------------------- helpers for subclasses

    /** The typed config of these keys, which must have no problem. */
    protected final C configured(Map<String, String> keys) {
        return FactoryChecks.validConfigHasNoProblems(factory(), keys);
    }
}
