package io.pilotfish.core.config;

import io.pilotfish.spi.CollectorFactory;
import java.time.Duration;

/** One configured, validated collector instance, ready to create. */
public record CollectorSpec(String name, CollectorFactory<Object> factory, Object config, Duration interval) {
}
