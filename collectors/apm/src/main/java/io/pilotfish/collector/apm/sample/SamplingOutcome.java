package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.trace.TraceChunk;

/**
 * What sampling made of one chunk.
 *
 * @param chunk     what to send on: the whole chunk when kept; when dropped, only its single-span-sampled spans
 *                  (priority 2, not marked dropped) or else its analysed spans ({@code droppedTrace} set), as the
 *                  Agent sends them; {@code null} when nothing of it is to be sent
 * @param kept      the trace-level decision
 * @param decidedBy the sampler whose decision it is
 * @param events    analysed spans sampled in this chunk (counted whether the trace was kept or not)
 */
public record SamplingOutcome(TraceChunk chunk, boolean kept, SamplerName decidedBy, int events) {
}
