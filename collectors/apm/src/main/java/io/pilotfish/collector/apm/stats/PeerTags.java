package io.pilotfish.collector.apm.stats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The peer tags a span is grouped by: for client, producer and consumer spans, the values of the configured peer tag
 * keys, as {@code key:value} with IP addresses masked ({@link PeerAddresses}); for an internal span whose service was
 * overridden ({@code _dd.base_service} set), only that base service. Sorted, as the Agent sends them.
 */
final class PeerTags {

    static final String BASE_SERVICE = "_dd.base_service";

    /**
     * The Agent's peer tag keys: every source key of the 16 peer concepts of its semantic registry
     * ({@code pkg/trace/config/peer_tags.go}, {@code semantics/mappings.json} v20260630), sorted.
     */
    static final List<String> DEFAULT_KEYS = List.of(
            "_dd.base_service",
            "active_record.db.vendor",
            "amqp.destination",
            "amqp.exchange",
            "amqp.queue",
            "aws.queue.name",
            "aws.s3.bucket",
            "bucketname",
            "cassandra.keyspace",
            "db.cassandra.contact.points",
            "db.couchbase.seed.nodes",
            "db.hostname",
            "db.instance",
            "db.name",
            "db.namespace",
            "db.system",
            "db.system.name",
            "db.type",
            "dns.hostname",
            "grpc.host",
            "hostname",
            "http.host",
            "http.server_name",
            "messaging.destination",
            "messaging.destination.name",
            "messaging.kafka.bootstrap.servers",
            "messaging.rabbitmq.exchange",
            "messaging.system",
            "mongodb.db",
            "msmq.queue.path",
            "net.peer.name",
            "network.destination.ip",
            "network.destination.name",
            "out.host",
            "peer.hostname",
            "peer.service",
            "queuename",
            "rpc.service",
            "rpc.system",
            "sequel.db.vendor",
            "server.address",
            "streamname",
            "tablename",
            "topicname");

    private static final List<String> BASE_SERVICE_ONLY = List.of(BASE_SERVICE);
    /** Tags kept per key for reuse; peer tag values are few by design (addresses are masked), this bounds the rest. */
    private static final int CACHE_PER_KEY = 512;

    private final List<String> keys;
    private final Set<String> keySet;
    /** {@code key:masked value} by key and raw value: spans of one peer make the same tags over and over. */
    private final Map<String, Map<String, String>> tagCache = new HashMap<>();

    /** @param keys the peer tag keys, sorted; empty when aggregation is off */
    PeerTags(List<String> keys) {
        this.keys = List.copyOf(keys);
        this.keySet = Set.copyOf(keys);
    }

    /**
     * The span's peer tags (sorted), or an empty list when none. Not thread-safe (its cache): the concentrator calls
     * it under its lock.
     */
    List<String> of(Map<String, String> meta, String spanKind) {
        if (keys.isEmpty()) {
            return List.of();
        }
        List<String> candidates = keysFor(spanKind, meta.get(BASE_SERVICE), keys);
        if (candidates.isEmpty()) {
            return List.of();
        }
        List<String> tags = null;
        if (candidates == keys && meta.size() < keys.size()) {
            // Fewer tags than keys, the usual case: look the tags up in the keys rather than the other way.
            for (Map.Entry<String, String> e : meta.entrySet()) {
                if (e.getValue() != null && !e.getValue().isEmpty() && keySet.contains(e.getKey())) {
                    tags = add(tags, e.getKey(), e.getValue());
                }
            }
        } else {
            for (String key : candidates) {
                String value = meta.get(key);
                if (value != null && !value.isEmpty()) {
                    tags = add(tags, key, value);
                }
            }
        }
        if (tags == null) {
            return List.of();
        }
        if (tags.size() > 1) {
            // "a.b:x" sorts before "a:y": sorting the keys is not enough.
            tags.sort(null);
        }
        return List.copyOf(tags);
    }

    private List<String> add(List<String> tags, String key, String value) {
        Map<String, String> byValue = tagCache.computeIfAbsent(key, k -> new HashMap<>());
        String tag = byValue.get(value);
        if (tag == null) {
            tag = key + ':' + PeerAddresses.quantize(value);
            if (byValue.size() >= CACHE_PER_KEY) {
                byValue.clear();
            }
            byValue.put(value, tag);
        }
        if (tags == null) {
            tags = new ArrayList<>(4);
        }
        tags.add(tag);
        return tags;
    }

    /** The keys to look at for a span of {@code spanKind} (any case). */
    static List<String> keysFor(String spanKind, String baseService, List<String> keys) {
        String kind = spanKind == null ? "" : spanKind;
        boolean internal = kind.isEmpty() || SpanKinds.is(kind, "internal");
        if (internal && baseService != null && !baseService.isEmpty()) {
            // A service override on an internal span: custom instrumentation, not a call to a peer.
            return BASE_SERVICE_ONLY;
        }
        if (SpanKinds.is(kind, "client") || SpanKinds.is(kind, "producer") || SpanKinds.is(kind, "consumer")) {
            return keys;
        }
        return List.of();
    }
}
