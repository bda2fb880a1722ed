package io.pilotfish.collector.apm.normalize;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;

/** What {@link TraceNormalizer} made of a chunk: kept, normalised, with its root; or dropped, with the reason. */
public sealed interface ChunkResult {

    /**
     * @param chunk     the normalised chunk; the one given when nothing changed
     * @param rootIndex the position of its root span, the one that carries trace-level tags
     */
    record Kept(TraceChunk chunk, int rootIndex) implements ChunkResult {

        public Kept {
            if (rootIndex < 0 || rootIndex >= chunk.spans().size()) {
                throw new IllegalArgumentException("root index " + rootIndex + " outside the chunk");
            }
        }

        public Span root() {
            return chunk.spans().get(rootIndex);
        }
    }

    /**
     * @param reason why the Agent drops the chunk
     * @param spans  how many spans went with it
     */
    record Dropped(TraceDropReason reason, int spans) implements ChunkResult {
    }
}
