package io.pilotfish.spi;

import java.util.concurrent.CompletionStage;

/** A collector that receives pushed data (a listener) and emits signals as they arrive. */
public non-sealed interface Receiver extends Collector {

    /** Starts listening; signals go to the emitter from then on. */
    CompletionStage<Void> start(Emitter emitter);

    /** Stops taking new input and emits whatever is buffered (e.g. open aggregation buckets) before completing. */
    CompletionStage<Void> stop();
}
