package io.pilotfish.core.config;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.util.Set;

/** One configured, validated sink instance, ready to create. */
public record SinkSpec(String name, SinkFactory<Object> factory, Object config, Set<SignalKind> signals,
                       SinkOptions options) {
}
