package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each contract test fails on a plugin that breaks its rule. The same tests pass on the well-behaved samples
 * ({@link SampleCollectorContractTest}, {@link SampleHttpSinkContractTest}), so a failure here is the flaw's doing.
 */
class ContractsCatchFlawsTest {

    private static final Map<String, String> COLLECTOR_CONFIG = Map.of("metric-prefix", "sample");

    private static CollectorContractTest<SampleCollectorFactory.Config> collectorContract(
            CollectorFactory<SampleCollectorFactory.Config> factory, Map<String, String> config, Set<String> metrics) {
        return new CollectorContractTest<>() {
            @Override
            protected CollectorFactory<SampleCollectorFactory.Config> factory() {
                return factory;
            }

            @Override
            protected Map<String, String> validConfig() {
                return config;
            }

            @Override
            protected Set<String> metricsWithHealthyMetadata() {
                return metrics;
            }
        };
    }

    private static HttpSinkContractTest<SampleHttpSinkFactory.Config> sinkContract(SampleHttpSinkFactory factory) {
        return new HttpSinkContractTest<>() {
            @Override
            protected SinkFactory<SampleHttpSinkFactory.Config> factory() {
                return factory;
            }

            @Override
            protected Map<String, String> configFor(URI intake) {
                return Map.of("url", intake.toString());
            }

            @Override
            protected List<Signal> sampleSignals() {
                return List.of(Metric.gauge("sample.gauge", 1, 1_700_000_000L, TagSet.EMPTY));
            }

            /** Quiet: a flawed sample (LOGS_THE_KEY) logs the API key, which must never reach the test output. */
            @Override
            protected TestPluginContext.Builder contextBuilder() {
                return super.contextBuilder().quietLog();
            }
        };
    }

    /** Runs one public contract test method; returns normally only if it passed. */
    private static void run(Object contract, String test) throws Throwable {
        Method method = contract.getClass().getMethod(test);
        try {
            method.invoke(contract);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            if (contract instanceof HttpSinkContractTest<?> http) {
                http.closeIntake();
            }
        }
    }

    @ParameterizedTest(name = "{0} fails {1}")
    @CsvSource({
            "BAD_TYPE, typeIsLowercaseWithDashes",
            "THROWS_ON_EMPTY_CONFIG, emptyConfigConfiguresOrReportsProblemsNamingKeys",
            "THROWS_ON_ODD_VALUE, oddValuesAreReportedNeverThrown",
            "READS_INTERVAL, platformKeysAreLeftToThePlatform",
            "CREATE_NEEDS_METADATA, runsWithNoMetadataEndpointConfigured",
            "SCRAPE_THROWS_WITHOUT_ENDPOINT, runsWithNoMetadataEndpointConfigured",
            "SCRAPE_STAGE_FAILS, runsWithAnUnreachableMetadataEndpoint",
            "SCRAPE_STAGE_FAILS, runsWithTheMetadataEndpointDown",
            "SCRAPE_STAGE_FAILS, runsWithTheMetadataEndpointAnsweringGarbage",
            "SCRAPE_STAGE_FAILS, runsWithAMetadataSourceThatThrows",
            "CLOSE_TWICE_THROWS, closeRightAfterCreateIsSafeTwice",
            "CLOSE_TWICE_THROWS, runsWithHealthyMetadata",
            "EMITS_NAN, runsWithHealthyMetadata",
    })
    void collectorContractCatches(SampleCollectorFactory.Flaw flaw, String test) {
        var contract = collectorContract(new SampleCollectorFactory(flaw), COLLECTOR_CONFIG, Set.of());
        assertThrows(AssertionError.class, () -> run(contract, test));
    }

    @Test
    void collectorContractCatchesAMissingMetric() {
        var contract = collectorContract(new SampleCollectorFactory(), COLLECTOR_CONFIG, Set.of("sample.missing"));
        assertThrows(AssertionError.class, () -> run(contract, "runsWithHealthyMetadata"));
    }

    @Test
    void collectorContractCatchesAValidConfigThatIsNot() {
        var contract = collectorContract(new SampleCollectorFactory(), Map.of("metric-prefx", "sample"), Set.of());
        assertThrows(AssertionError.class, () -> run(contract, "validConfigHasNoProblems"));
    }

    @Test
    void collectorContractCatchesAFactoryMissingFromTheServicesFile() {
        var contract = collectorContract(new UnlistedCollectorFactory(), COLLECTOR_CONFIG, Set.of());
        assertThrows(AssertionError.class, () -> run(contract, "factoryIsListedInItsModulesServicesFile"));
    }

    @ParameterizedTest(name = "{0} fails {1}")
    @CsvSource({
            "SERVER_ERROR_IS_PERMANENT, serverError500IsRetryable",
            "RETRIES_ITSELF, serverError500IsRetryable",
            "RETRIES_ITSELF, serviceUnavailable503IsRetryable",
            "IGNORES_RETRY_AFTER, tooManyRequests429IsRetryableAfterTheIntakesDelay",
            "TOO_LARGE_IS_PERMANENT, payloadTooLarge413IsTooLarge",
            "BAD_REQUEST_IS_RETRYABLE, badRequest400IsPermanent",
            "FORBIDDEN_IS_PERMANENT, forbidden403RejectsTheCredentials",
            "REASON_QUOTES_BODY, apiKeyNeverShownWhateverTheIntakeAnswers",
            "THROWS_WHEN_UNREACHABLE, unreachableIntakeIsRetryableAndNeverThrown",
            "SENDS_NO_API_KEY, accepted202IsSuccessAndCarriesTheApiKey",
            "SENDS_NO_API_KEY, exportToAnAcceptingDestinationSucceeds",
            "LOGS_THE_KEY, apiKeyNeverShownInConfigSinkResultOrLog",
            "LOGS_THE_KEY, apiKeyNeverShownWhateverTheIntakeAnswers",
            "KEY_IN_TO_STRING, apiKeyNeverShownInConfigSinkResultOrLog",
            "LOOSER_BATCH_LIMITS, batchLimitsAreWithinThePlatformsAndHoldTheSamples",
            "SAMPLES_MISS_A_KIND, declaresTheKindsItTakesAndTheSamplesCoverThem",
            "READS_REQUEST_TIMEOUT, platformKeysAreLeftToThePlatform",
    })
    void sinkContractCatches(SampleHttpSinkFactory.Flaw flaw, String test) {
        var contract = sinkContract(new SampleHttpSinkFactory(flaw));
        assertThrows(AssertionError.class, () -> run(contract, test));
    }

    /** The sample collector, but not named in any services file. */
    static final class UnlistedCollectorFactory implements CollectorFactory<SampleCollectorFactory.Config> {
        private final SampleCollectorFactory delegate = new SampleCollectorFactory();

        @Override
        public String type() {
            return "unlisted-collector";
        }

        @Override
        public SampleCollectorFactory.Config configure(PluginConfig config) {
            return delegate.configure(config);
        }

        @Override
        public Collector create(SampleCollectorFactory.Config config, PluginContext context) {
            return delegate.create(config, context);
        }
    }
}
