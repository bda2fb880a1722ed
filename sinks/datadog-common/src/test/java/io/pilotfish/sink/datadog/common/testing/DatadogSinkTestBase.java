package io.pilotfish.sink.datadog.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the Datadog sinks' tests share: a {@link FakeIntake} and a {@link TestContext} (fixed clock at {@link #NOW},
 * global tags {@link #GLOBAL}, site {@code datadoghq.com}) per test, and sinks configured against that intake.
 *
 * @param <S> the sink under test
 * @param <C> its typed config
 */
public abstract class DatadogSinkTestBase<S extends Sink, C> {

    public static final long NOW = 1_700_000_000L;
    public static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    public static final TagSet GLOBAL = TagSet.of("env:test", "service:pilotfish");

    protected final SinkFactory<C> factory;
    private final Class<S> sinkType;
    private final String instanceName;
    private final String configName;
    private HttpClient http;
    protected FakeIntake intake;
    protected TestContext context;

    /**
     * @param instanceName  the context's instance name (sinks show it in toString)
     * @param configName    the instance name of the configs {@link #sink} builds (problems are prefixed with it)
     */
    protected DatadogSinkTestBase(SinkFactory<C> factory, Class<S> sinkType, String instanceName, String configName) {
        this.factory = factory;
        this.sinkType = sinkType;
        this.instanceName = instanceName;
        this.configName = configName;
    }

    @BeforeEach
    protected final void startIntake() {
        intake = FakeIntake.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        context = new TestContext(instanceName, http, CLOCK, "datadoghq.com", Optional.empty(), GLOBAL);
    }

    @AfterEach
    protected final void stopIntake() {
        intake.close();
        http.shutdownNow();
    }

    /** A sink sending to the intake ({@code url}), with these extra keys (key, value, key, value...). */
    protected S sink(String... keyValues) {
        Map<String, String> keys = new HashMap<>();
        keys.put("url", intake.baseUri().toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            keys.put(keyValues[i], keyValues[i + 1]);
        }
        MapPluginConfig config = MapPluginConfig.of(configName, keys);
        C typed = factory.configure(config);
        assertEquals(List.of(), config.problems());
        return sinkType.cast(factory.create(typed, context));
    }

    /** Exports a copy of the batch (a sink may not assume it owns the list) and waits for the result. */
    protected static ExportResult export(Sink sink, List<? extends Signal> batch) throws Exception {
        return sink.export(new ArrayList<>(batch)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** The texts of a JSON array of strings, e.g. {@code tags}. */
    protected static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }

    /** A loopback port nothing listens on (it was free a moment ago): connections to it are refused. */
    protected static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
