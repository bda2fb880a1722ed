package io.pilotfish.collector.forward;

import io.pilotfish.collector.forward.firelens.EcsProviderTags;
import io.pilotfish.collector.forward.firelens.FireLensRoutes;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Turns one forward record (a map) into a {@link LogRecord}, reading the fields FireLens's {@code awsfirelens} driver
 * and Docker's {@code fluentd} driver write.
 *
 * <ul>
 *   <li>route: the FireLens output whose {@code Match} takes the record's tag ({@link FireLensRoutes}); a record no
 *       datadog output takes is not sent, as in Fluent Bit. Without a FireLens configuration every record is sent.</li>
 *   <li>message: the route's {@code dd_message_key} field; without one the {@code log} field (what the drivers write
 *       the line to), else {@code message}, else the whole record as JSON. Datadog's Fluent Bit output renames the
 *       {@code dd_message_key} field to {@code message}; ECS's Datadog guide sets it to {@code log}. The field taken
 *       is not repeated in the attributes.</li>
 *   <li>status: {@code error} for {@code source: stderr}, {@code info} for {@code stdout}, else "" (the intake
 *       decides from the line); service, source and hostname from the route ({@code dd_service}, {@code dd_source},
 *       {@code dd_hostname}).</li>
 *   <li>tags: the ECS tags the Datadog Agent's tagger gives the container, from the FireLens fields
 *       ({@code container_name}, {@code container_id}, {@code task_arn}, {@code task_family}, {@code task_name},
 *       {@code task_version}, {@code ecs_cluster_name}, {@code cluster_name}), {@code ecs_container_name} from a tag
 *       of the form {@code <container>-firelens-<task id>}, then the route's {@code dd_tags}. With
 *       {@code provider ecs} the ECS fields leave the attributes and add Fluent Bit's own tags ({@code task_id},
 *       {@code region}, {@code container_image}), as its datadog output does.</li>
 *   <li>attributes: every other field, as sent. The fluent tag is not sent (Fluent Bit's output sends it only with
 *       {@code include_tag_key}).</li>
 *   <li>pieces: a record the driver marked {@code partial_message: "true"} holds one piece of a line longer than
 *       16 KiB ({@link Piece}); the processing joins the pieces, and the {@code partial_*} fields are not sent.</li>
 * </ul>
 * A message longer than {@code maxLineBytes} is cut there, at a character boundary. Stateless; thread-safe.
 */
final class RecordMapper {

    static final String FIRELENS_INFIX = "-firelens-";

    private static final int MAX_CACHED_LABELS = 256;
    private static final int MAX_CACHED_TAG_SETS = 1024;

    private final int maxLineBytes;
    private final FireLensRoutes routes;
    private final Function<String, TagSet> containerTags;
    private final ContainerLookup containers;
    private final boolean collectAll;
    /** Parsed labels by container id, with the raw label they came from (a task's containers; cleared if it grows). */
    private final Map<String, CachedLabels> labels = new ConcurrentHashMap<>();
    private volatile java.util.function.BiConsumer<String, String> problems;
    private final Map<TagKey, TagSet> tagSets = new ConcurrentHashMap<>();

    /** The task's containers as the metadata lists them, found by Docker id or by name. */
    interface ContainerLookup {
        ContainerLookup NONE = (id, name) -> Optional.empty();

        Optional<ContainerMetadata> find(String dockerId, String name);
    }

    private record CachedLabels(Map<String, String> raw, ContainerLogLabels parsed) {
    }

    /**
     * @param containerTags the tags the task metadata gives a container id (the Agent's tagger, high cardinality);
     *                      for "" or an unknown id, the task's
     * @param containers    the container a record comes from, for its Datadog labels
     * @param collectAll    {@code DD_LOGS_CONFIG_CONTAINER_COLLECT_ALL}: records no datadog output takes are sent too
     */
    RecordMapper(int maxLineBytes, FireLensRoutes routes, Function<String, TagSet> containerTags,
                 ContainerLookup containers, boolean collectAll) {
        this.maxLineBytes = maxLineBytes;
        this.routes = routes;
        this.containerTags = containerTags;
        this.containers = containers;
        this.collectAll = collectAll;
    }

    RecordMapper(int maxLineBytes, FireLensRoutes routes) {
        this(maxLineBytes, routes, id -> TagSet.EMPTY, ContainerLookup.NONE, false);
    }

    /**
     * What one record became, and whether its message was cut; no record when a FireLens filter dropped it
     * ({@link #filtered}) or no datadog output takes its tag. {@code stream} names where the line came from (its
     * container, else its tag), for multi-line aggregation; {@code labels} what its container's Datadog labels say.
     */
    record Mapped(LogRecord record, boolean cut, boolean filtered, String stream, ContainerLogLabels labels,
                  Piece piece) {
        static final Mapped UNROUTED = new Mapped(null, false, false, "", ContainerLogLabels.NONE, null);
        static final Mapped FILTERED = new Mapped(null, false, true, "", ContainerLogLabels.NONE, null);
    }

    /**
     * A record that holds one piece of a line its log driver cut (Docker's and ECS's drivers cut lines longer than
     * 16 KiB): the line's id, whether this is its last piece, and the piece's bytes as sent when the message is the
     * {@code log} field (null otherwise). The driver cuts bytes, not characters, so those bytes may start or end
     * inside one: the processing joins them before decoding, where the record's own (repaired) message would have
     * lost that character.
     */
    record Piece(String lineId, boolean last, byte[] bytes) {
    }

    /** The fields the drivers add to each piece of a cut line; the joined line does not carry them. */
    static final List<String> PIECE_FIELDS = List.of("partial_message", "partial_id", "partial_ordinal",
            "partial_last");

    Mapped map(String tag, long timestampMillis, Map<String, Object> received) {
        return map(tag, timestampMillis, received, null);
    }

    /** Whether a record holds a piece of a cut line (see {@link Piece}). */
    static boolean isPiece(Map<String, Object> fields) {
        return "true".equals(fields.get("partial_message")) && fields.get("partial_id") instanceof String;
    }

    /**
     * @param pieceBytes for a piece, its {@code log} field's bytes as sent (the joining decodes them, so that a
     *                   character the driver cut in two is whole again), or null
     */
    Mapped map(String tag, long timestampMillis, Map<String, Object> received, byte[] pieceBytes) {
        String containerId = text(received, "container_id");
        int firelens = tag.lastIndexOf(FIRELENS_INFIX);
        String containerName = firelens > 0 ? tag.substring(0, firelens) : "";
        ContainerLogLabels container = labelsOf(containerId, containerName);
        Optional<FireLensRoutes.DatadogRoute> found = routes.route(tag);
        // As the Agent: a container with a logs label, or every container with collect-all, is collected even when
        // no FireLens datadog output takes it.
        boolean byLabelOrAll = found.isEmpty() && (container.labelled() || collectAll);
        if (found.isEmpty() && !byLabelOrAll) {
            return Mapped.UNROUTED;
        }
        Map<String, Object> fields = routes.filter(tag, received);
        if (fields == null) {
            return Mapped.FILTERED;
        }
        FireLensRoutes.DatadogRoute route = found.orElseGet(FireLensRoutes.DatadogRoute::everything);
        String messageKey = !route.messageKey().isEmpty() ? route.messageKey()
                : fields.get("log") instanceof String ? "log"
                : fields.get("message") instanceof String ? "message" : null;
        byte[] message;
        Map<String, Object> attributes = new LinkedHashMap<>(fields.size() + 1);
        boolean piece = isPiece(fields);
        if (messageKey != null && fields.get(messageKey) != null) {
            Object value = fields.get(messageKey);
            message = (value instanceof String text ? text : Json.write(value)).getBytes(StandardCharsets.UTF_8);
            fields.forEach((k, v) -> {
                if (!k.equals(messageKey)) {
                    attributes.put(k, v);
                }
            });
        } else {
            message = Json.write(fields).getBytes(StandardCharsets.UTF_8);
            attributes.putAll(fields);
        }
        Piece cutFrom = null;
        if (piece) {
            byte[] sent = "log".equals(messageKey) ? pieceBytes : null;
            if (sent != null && sent.length > maxLineBytes) {
                sent = cut(sent, maxLineBytes);
            }
            cutFrom = new Piece((String) fields.get("partial_id"), "true".equals(fields.get("partial_last")), sent);
            PIECE_FIELDS.forEach(attributes::remove);
        }
        boolean cut = false;
        if (message.length > maxLineBytes) {
            message = cut(message, maxLineBytes);
            cut = true;
        }
        String status = switch (String.valueOf(fields.get("source"))) {
            case "stderr" -> "error";
            case "stdout" -> "info";
            default -> "";
        };
        TagSet tags = tagsOf(tag, route, container, fields, attributes);
        // The output's options first (what the user wrote for FireLens), then the labels; a container collected
        // without either gets its short image name, as the Agent names a container's logs.
        String service = first(route.service(), container.service(), byLabelOrAll ? container.shortImage() : "");
        String source = first(route.source(), container.source(), byLabelOrAll ? container.shortImage() : "");
        Map<String, Object> sent = route.ecsProvider() ? EcsProviderTags.remap(attributes).attributes() : attributes;
        // One stream per container, stdout and stderr together, as the Agent's decoder reads a container's log: its
        // lines stay in the order they were written, and a stack trace is joined within it.
        String stream = containerId.isEmpty() ? tag : containerId;
        return new Mapped(new LogRecord(message, timestampMillis, status, service, source,
                route.hostname(), tags, sent), cut, false, stream,
                container, cutFrom);
    }

    /**
     * A record's tags: its container's from the task metadata, the ECS fields', the output's {@code dd_tags}, the
     * labels' and, with {@code provider ecs}, Fluent Bit's own. The lines of one container carry the same fields, so
     * the set is made once per container and stream and shared (the logs sink then writes its text once a batch).
     */
    private TagSet tagsOf(String tag, FireLensRoutes.DatadogRoute route, ContainerLogLabels container,
                          Map<String, Object> fields, Map<String, Object> attributes) {
        String containerId = text(fields, "container_id");
        TagSet fromMetadata = containerTags.apply(containerId);
        TagKey key = new TagKey(tag, route, container, fromMetadata, containerId, text(fields, "container_name"),
                text(fields, "container_image"), text(fields, "ecs_task_definition"), text(fields, "ecs_cluster"),
                text(fields, "ecs_task_arn"));
        TagSet cached = tagSets.get(key);
        if (cached != null) {
            return cached;
        }
        Set<String> tags = new LinkedHashSet<>(fromMetadata);
        tags.addAll(tags(tag, fields));
        tags.addAll(route.tags());
        tags.addAll(container.tags());
        if (route.ecsProvider()) {
            tags.addAll(EcsProviderTags.remap(attributes).tags());
        }
        TagSet made = tags.isEmpty() ? TagSet.EMPTY : TagSet.of(tags);
        if (tagSets.size() >= MAX_CACHED_TAG_SETS) {
            tagSets.clear(); // a task has a handful of containers: this many keys means changing fields, start over
        }
        tagSets.put(key, made);
        return made;
    }

    /**
     * What a record's tags are made of. The metadata's tag set, the route and the labels are compared by identity:
     * each is one instance for as long as it holds (a new task metadata view makes new ones, and new keys).
     */
    private static final class TagKey {
        private final String tag;
        private final Object route;
        private final Object labels;
        private final Object fromMetadata;
        private final String[] fields;
        private final int hash;

        TagKey(String tag, Object route, Object labels, Object fromMetadata, String... fields) {
            this.tag = tag;
            this.route = route;
            this.labels = labels;
            this.fromMetadata = fromMetadata;
            this.fields = fields;
            int h = tag.hashCode() * 31 + java.util.Arrays.hashCode(fields);
            this.hash = h * 31 + System.identityHashCode(fromMetadata);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TagKey k && hash == k.hash && route == k.route && labels == k.labels
                    && fromMetadata == k.fromMetadata && tag.equals(k.tag) && java.util.Arrays.equals(fields, k.fields);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private static String first(String... candidates) {
        for (String candidate : candidates) {
            if (!candidate.isEmpty()) {
                return candidate;
            }
        }
        return "";
    }

    private ContainerLogLabels labelsOf(String containerId, String containerName) {
        if (containerId.isEmpty() && containerName.isEmpty()) {
            return ContainerLogLabels.NONE;
        }
        Optional<ContainerMetadata> found = containers.find(containerId, containerName);
        if (found.isEmpty()) {
            return ContainerLogLabels.NONE;
        }
        ContainerMetadata container = found.get();
        CachedLabels cached = labels.get(container.dockerId());
        if (cached != null && cached.raw().equals(container.labels())) {
            return cached.parsed();
        }
        ContainerLogLabels parsed = ContainerLogLabels.of(container);
        if (labels.size() >= MAX_CACHED_LABELS) {
            labels.clear();
        }
        labels.put(container.dockerId(), new CachedLabels(container.labels(), parsed));
        if (!parsed.problem().isEmpty() && problems != null) {
            problems.accept(container.name(), parsed.problem());
        }
        return parsed;
    }

    /** Told once per container (and label value) whose Datadog logs label could not be read. */
    RecordMapper onLabelProblem(java.util.function.BiConsumer<String, String> listener) {
        this.problems = listener;
        return this;
    }

    /** The ECS tags the FireLens fields and the fluent tag give. */
    static TagSet tags(String tag, Map<String, Object> fields) {
        List<String> tags = new ArrayList<>(12);
        String definition = text(fields, "ecs_task_definition");
        int colon = definition.lastIndexOf(':');
        if (colon > 0) {
            String family = definition.substring(0, colon);
            add(tags, "task_name", family); // the Agent keeps task_name (= family) beside task_family
            add(tags, "task_family", family);
            add(tags, "task_version", definition.substring(colon + 1));
        } else {
            add(tags, "task_name", definition);
            add(tags, "task_family", definition);
        }
        String cluster = text(fields, "ecs_cluster");
        // FireLens writes the cluster's name; an ARN (some setups) is cut to its name, as the Agent's tag holds.
        int slash = cluster.lastIndexOf('/');
        if (cluster.startsWith("arn:") && slash >= 0) {
            cluster = cluster.substring(slash + 1);
        }
        add(tags, "cluster_name", cluster);
        add(tags, "ecs_cluster_name", cluster);
        add(tags, "task_arn", text(fields, "ecs_task_arn"));
        int firelensInfix = tag.lastIndexOf(FIRELENS_INFIX);
        if (firelensInfix > 0) {
            add(tags, "ecs_container_name", tag.substring(0, firelensInfix));
        }
        add(tags, "container_name", stripSlash(text(fields, "container_name")));
        add(tags, "container_id", text(fields, "container_id"));
        return tags.isEmpty() ? TagSet.EMPTY : TagSet.of(tags);
    }

    /** Docker's fluentd driver writes the name with its leading slash ({@code /ecs-web-1-app-...}). */
    private static String stripSlash(String name) {
        return name.startsWith("/") ? name.substring(1) : name;
    }

    private static String text(Map<String, Object> fields, String key) {
        return fields.get(key) instanceof String s ? s.trim() : "";
    }

    private static void add(List<String> tags, String key, String value) {
        if (!value.isEmpty()) {
            tags.add(key + ":" + value);
        }
    }

    /** The first {@code max} bytes or fewer, ending on a whole UTF-8 character. */
    static byte[] cut(byte[] utf8, int max) {
        int end = max;
        while (end > 0 && (utf8[end] & 0xC0) == 0x80) {
            end--; // utf8[end] continues a character that starts before it: cut before that character
        }
        return java.util.Arrays.copyOf(utf8, end);
    }
}
