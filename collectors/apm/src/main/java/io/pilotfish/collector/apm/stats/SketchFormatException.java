package io.pilotfish.collector.apm.stats;

import io.pilotfish.spi.SafeText;

/**
 * A DDSketch's protobuf bytes that cannot be read, or describe a sketch the agent will not convert (a degenerate
 * mapping, counts that are not counts). Thrown for bad input at whatever rate tracers send it, so it carries no stack
 * trace.
 */
public final class SketchFormatException extends Exception {

    private static final int MAX_MESSAGE = 200;

    public SketchFormatException(String message) {
        super(SafeText.escape(message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "..." : message),
                null, false, false);
    }
}
