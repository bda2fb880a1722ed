package io.pilotfish.sink.console;

import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.util.Set;

/** The {@code console} sink: prints what would be shipped to standard output, for demos and debugging. */
public final class ConsoleSinkFactory implements SinkFactory<ConsoleConfig> {

    public static final String TYPE = "console";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ConsoleConfig configure(PluginConfig config) {
        return new ConsoleConfig(config.choice("format", ConsoleConfig.Format.class, ConsoleConfig.Format.TEXT));
    }

    @Override
    public Set<SignalKind> signals(ConsoleConfig config) {
        return Set.of(SignalKind.METRIC, SignalKind.EVENT, SignalKind.SERVICE_CHECK, SignalKind.SKETCH);
    }

    @Override
    public Sink create(ConsoleConfig config, PluginContext context) {
        return new ConsoleSink(config, context);
    }
}
