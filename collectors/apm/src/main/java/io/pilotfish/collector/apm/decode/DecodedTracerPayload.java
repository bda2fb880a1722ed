package io.pilotfish.collector.apm.decode;

import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A v0.7 payload: what the tracer says about itself and its chunks, as sent. A {@code nil} chunk is not kept.
 *
 * @param tracer    the payload's container id, language, versions, runtime id, tags, env, hostname, app version
 * @param chunks    the chunks; the list is not copied and must not be changed
 * @param spanCount the spans in all chunks
 */
public record DecodedTracerPayload(TracerInfo tracer, List<DecodedChunk> chunks, int spanCount) {

    public DecodedTracerPayload {
        chunks = Collections.unmodifiableList(chunks);
    }

    /** How many chunks have no span. */
    public int emptyChunkCount() {
        int empty = 0;
        for (DecodedChunk chunk : chunks) {
            if (chunk.spans().isEmpty()) {
                empty++;
            }
        }
        return empty;
    }

    /**
     * The non-empty chunks for the pipeline, each with the priority, origin, tags and dropped flag the tracer sent.
     *
     * @param tracer usually {@link #tracer()} with what the receiver adds (container tags, a container id from the
     *               headers); the same instance for every chunk
     */
    public List<TraceChunk> toChunks(TracerInfo tracer) {
        List<TraceChunk> out = new ArrayList<>(chunks.size());
        for (DecodedChunk chunk : chunks) {
            if (!chunk.spans().isEmpty()) {
                out.add(new TraceChunk(tracer, chunk.priority(), chunk.origin(), chunk.spans(), chunk.tags(),
                        chunk.droppedTrace()));
            }
        }
        return out;
    }
}
