package io.pilotfish.collector.forward.firelens;

/** A Fluent Bit configuration Pilotfish cannot read; the message names the file and line, never a value. */
public final class FluentBitConfigException extends Exception {
    public FluentBitConfigException(String message) {
        super(message);
    }
}
