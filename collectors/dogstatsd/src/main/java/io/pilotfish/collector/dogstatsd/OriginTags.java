package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.TagSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The tags a DogStatsD message ends up with: its own, the ECS tags of where it came from, and the collector's extra
 * tags. Where it came from is the container the client names ({@code c:}) or the Unix socket peer's container; its
 * tags come from the task metadata at the message's cardinality ({@code card:}) or the configured one, and an
 * unknown or absent container gets the task's tags, as the Datadog Agent tags DogStatsD on ECS. Results are cached
 * per task view, since clients repeat the same few tag lists. Used by the parsing worker only, which calls
 * {@link #refresh()} once per packet so that a message costs map lookups only.
 *
 * <p>Where a message came from ({@link Source}) is separate from its tags, so that a message that arrives before the
 * task metadata can be tagged later, once it is known.
 */
final class OriginTags {

    private static final int MERGED_CACHE_LIMIT = 8192;
    /** Tag lists may be as long as a packet: the cache is bounded in bytes too (estimated heap). */
    static final long MERGED_CACHE_MAX_BYTES = 1024 * 1024;

    /** Where a message came from: its container ({@code ""} for none) and the cardinality of the tags it gets. */
    record Source(String containerId, Cardinality cardinality) {
    }

    private final TaskMetadataSource metadata;
    private final Cardinality defaultCardinality;
    private final boolean originDetection;
    private final TagSet extraTags;
    private final Map<Source, Map<TagSet, TagSet>> merged = new HashMap<>();
    private final Map<Source, TagSet> originTags = new HashMap<>();
    private final Source unnamedSource;
    private TaskSnapshot cachedFor;
    private int mergedEntries;
    private long mergedBytes;

    OriginTags(TaskMetadataSource metadata, Cardinality defaultCardinality, boolean originDetection,
               TagSet extraTags) {
        this.metadata = metadata;
        this.defaultCardinality = defaultCardinality;
        this.originDetection = originDetection;
        this.extraTags = extraTags;
        this.unnamedSource = new Source("", defaultCardinality);
    }

    /** Takes the current task view for the messages that follow. */
    void refresh() {
        TaskSnapshot current = currentSnapshot();
        if (current != cachedFor || mergedEntries > MERGED_CACHE_LIMIT || mergedBytes > MERGED_CACHE_MAX_BYTES) {
            // A new task view (a container started, tags changed) or too many distinct tag lists: start afresh.
            merged.clear();
            originTags.clear();
            mergedEntries = 0;
            mergedBytes = 0;
            cachedFor = current;
        }
    }

    /** Whether the last {@link #refresh()} found the task's metadata. */
    boolean knowsTask() {
        return cachedFor != null;
    }

    /** The message's tags with its origin's and the extra tags, from the task view of the last {@link #refresh()}. */
    TagSet tags(TagSet messageTags, Origin origin, String peerContainerId) {
        return tags(messageTags, source(origin, peerContainerId));
    }

    /** As above, for a source already found with {@link #source}. */
    TagSet tags(TagSet messageTags, Source source) {
        TaskSnapshot current = cachedFor;
        Map<TagSet, TagSet> forSource = merged.computeIfAbsent(source, s -> new HashMap<>());
        TagSet result = forSource.get(messageTags);
        if (result == null) {
            result = messageTags.with(originTags(source, current)).with(extraTags);
            forSource.put(messageTags, result);
            mergedBytes += 64 + messageTags.heapBytes() + result.heapBytes();
            if (++mergedEntries > MERGED_CACHE_LIMIT || mergedBytes > MERGED_CACHE_MAX_BYTES) {
                refresh();
            }
        }
        return result;
    }

    private TaskSnapshot currentSnapshot() {
        try {
            return metadata.current().orElse(null);
        } catch (RuntimeException e) {
            return null; // a broken metadata source costs the ECS tags, never the metric
        }
    }

    /**
     * Where a message came from: its {@code c:} container, else the stream socket peer's (with origin detection on),
     * and its {@code card:} or the configured cardinality; null cardinality for {@code card:none}.
     */
    Source source(Origin origin, String peerContainerId) {
        Cardinality cardinality = switch (origin.cardinality()) {
            case NONE -> null;
            case LOW -> Cardinality.LOW;
            case ORCHESTRATOR -> Cardinality.ORCHESTRATOR;
            case HIGH -> Cardinality.HIGH;
            case DEFAULT -> defaultCardinality;
        };
        String containerId = "";
        if (originDetection) {
            containerId = !origin.containerId().isEmpty() ? origin.containerId()
                    : peerContainerId == null ? "" : peerContainerId;
        }
        if (containerId.isEmpty() && cardinality == defaultCardinality) {
            return unnamedSource; // most messages: no container, no card: field; nothing to allocate per sample
        }
        return new Source(containerId, cardinality);
    }

    private TagSet originTags(Source source, TaskSnapshot snapshot) {
        if (snapshot == null || source.cardinality() == null) {
            return TagSet.EMPTY; // outside ECS, or the client asked for no added tags (card:none)
        }
        return originTags.computeIfAbsent(source, s -> s.containerId().isEmpty()
                ? snapshot.taskTags(s.cardinality())
                : snapshot.containerTags(s.containerId(), s.cardinality()));
    }
}
