package io.pilotfish.agent.cli;

import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.IntakeRecorder.RecordedEvent;
import io.pilotfish.testkit.IntakeRecorder.RecordedServiceCheck;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.RecordedSeries;
import io.pilotfish.testkit.RecordedSketch;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * What {@code pilotfish demo} prints about the intake: one view of everything the intake accepted, built from the
 * recorder's content and the agent's own delivery totals only, so it can be tested without running anything.
 *
 * <p>Every series, distribution, event and service check is shown under the heading of its origin (the ecs_fargate
 * check, the container check, DogStatsD, the ecs-metadata collector, the Agent's liveness signals, or "other"), with
 * the tags Datadog indexes. Tags are factored so they stay readable: {@code {task}} is what every task-tagged signal
 * carries, {@code {app}} what every signal of container {@code app} carries on top; each heading then says what its
 * signals add per container, and each line what it adds on top of that. The agent's own {@code pilotfish.*}
 * self-telemetry is left out (it only reaches the intake when shipping it was turned on) and counted instead.
 *
 * <p>One number format everywhere: whole numbers in full, others rounded to 4 significant digits (never into the
 * integer part), in plain decimal notation. Only ASCII is printed, whatever the terminal's encoding.
 */
final class DemoView {

    /** Tag lists wrap at this width, so a terminal shows them whole. */
    static final int WIDTH = 120;
    /** Event lines per heading; a task's lifecycle fits, a chatty DogStatsD sender is cut with a count. */
    static final int MAX_EVENT_LINES = 12;
    static final String SELF_TELEMETRY_PREFIX = "pilotfish.";

    private DemoView() {
    }

    // ---------------------------------------------------------------- input

    /**
     * What the intake accepted, in arrival order: the input of a view.
     *
     * @param acceptedRequests requests answered 2xx
     * @param refusedRequests  requests answered otherwise (their content is not shown: Datadog would not have it)
     */
    record Content(long acceptedRequests, long refusedRequests, List<RecordedSeries> series,
                   List<RecordedSketch> sketches, List<RecordedEvent> events,
                   List<RecordedServiceCheck> serviceChecks) {

        Content {
            series = List.copyOf(series);
            sketches = List.copyOf(sketches);
            events = List.copyOf(events);
            serviceChecks = List.copyOf(serviceChecks);
        }

        /** The content of these recorded requests; only accepted ones count. */
        static Content of(List<RecordedRequest> requests) {
            List<RecordedRequest> accepted = requests.stream().filter(RecordedRequest::accepted).toList();
            return new Content(accepted.size(), requests.size() - accepted.size(),
                    accepted.stream().flatMap(r -> r.series().stream()).toList(),
                    accepted.stream().flatMap(r -> r.sketches().stream()).toList(),
                    accepted.stream().flatMap(r -> IntakeRecorder.eventsOf(r).stream()).toList(),
                    accepted.stream().flatMap(r -> IntakeRecorder.serviceChecksOf(r).stream()).toList());
        }

        /** One consistent snapshot of what the recorder holds. */
        static Content of(IntakeRecorder intake) {
            return of(intake.requests());
        }

        Counts counts() {
            return new Counts(acceptedRequests, series.stream().mapToLong(s -> s.points().size()).sum(),
                    sketches.stream().mapToLong(s -> s.points().size()).sum(), events.size(), serviceChecks.size());
        }
    }

    /** How much the intake accepted, to say what the shutdown flush added. */
    record Counts(long requests, long points, long distributionPoints, long events, long serviceChecks) {
    }

    /** The agent's own delivery counters, summed over its sinks. */
    record AgentTotals(long sent, long retried, long dropped) {

        static AgentTotals of(TelemetryRegistry telemetry) {
            // Signals no sink takes are dropped before any sink sees them: they are drops all the same.
            return new AgentTotals(telemetry.total("sink.sent"), telemetry.total("sink.retried"),
                    telemetry.total("sink.dropped") + telemetry.total("pipeline.dropped"));
        }
    }

    // ---------------------------------------------------------------- output

    /**
     * The whole view under a heading line such as {@code after 10 s}, with the given notes right under it, and the
     * agent's totals as its last line.
     */
    static String render(String heading, List<String> notes, Content content, AgentTotals totals) {
        Sorted sorted = Sorted.of(content);
        TagSets sets = TagSets.of(sorted.allTagLists());
        StringBuilder text = new StringBuilder();
        String received = "the intake accepted " + requests(content.acceptedRequests())
                + (content.refusedRequests() > 0 ? " and refused " + content.refusedRequests() : "");
        text.append('\n').append(rule("== " + heading + ": " + received + " ", '=')).append('\n');
        notes.forEach(note -> text.append(note).append('\n'));
        sets.describe(text);
        boolean any = false;
        for (Heading origin : Heading.values()) {
            Section section = sorted.sections.get(origin);
            if (section != null && !section.isEmpty()) {
                section.render(origin, sets, text);
                any = true;
            }
        }
        if (!any) {
            text.append("\nNothing has reached the intake yet.\n");
        }
        text.append('\n').append(summary(totals, sorted.selfTelemetrySeries)).append('\n');
        return text.toString();
    }

    /** The agent's totals, and the self-telemetry kept out of the view. */
    static String summary(AgentTotals totals, int selfTelemetrySeries) {
        String line = "Agent totals: " + totals.sent() + " signals sent, " + totals.retried() + " retried, "
                + totals.dropped() + " dropped";
        if (selfTelemetrySeries > 0) {
            return line + "; " + selfTelemetrySeries + " pilotfish.* self-telemetry series also reached the intake "
                    + "(pilotfish.telemetry.ship is on) and are not shown.";
        }
        return line + " (the agent's own pilotfish.* figures stay in the agent).";
    }

    /** What the shutdown flush delivered: the difference between the intake before and after it. */
    static String flushSummary(Counts before, Counts after) {
        long requests = after.requests() - before.requests();
        if (requests == 0) {
            return "The shutdown flush added nothing: everything had been delivered already.";
        }
        List<String> parts = new ArrayList<>();
        addCount(parts, after.points() - before.points(), "metric point", "metric points");
        addCount(parts, after.distributionPoints() - before.distributionPoints(), "distribution point",
                "distribution points");
        addCount(parts, after.events() - before.events(), "event", "events");
        addCount(parts, after.serviceChecks() - before.serviceChecks(), "service check run", "service check runs");
        return "The shutdown flush added " + requests(requests)
                + (parts.isEmpty() ? "." : ": " + String.join(", ", parts) + ".");
    }

    private static String requests(long count) {
        return count + (count == 1 ? " request" : " requests");
    }

    private static void addCount(List<String> parts, long count, String one, String many) {
        if (count > 0) {
            parts.add(count + " " + (count == 1 ? one : many));
        }
    }

    /**
     * The demo's one number format: whole numbers in full; others rounded to 4 significant digits but never into the
     * integer part, in plain decimal notation without trailing zeros.
     */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Inf" : "-Inf";
        }
        if (value == Math.rint(value)) {
            // Also turns -0.0 into 0.
            return new BigDecimal(value).add(BigDecimal.ZERO).toBigInteger().toString();
        }
        BigDecimal exact = new BigDecimal(value);
        int integerDigits = Math.max(0, exact.precision() - exact.scale());
        BigDecimal rounded = exact.round(new MathContext(Math.max(4, integerDigits), RoundingMode.HALF_EVEN));
        String plain = rounded.stripTrailingZeros().toPlainString();
        return plain.equals("-0") ? "0" : plain;
    }

    static String statusName(int status) {
        return switch (status) {
            case RecordedServiceCheck.OK -> "OK";
            case RecordedServiceCheck.WARNING -> "WARNING";
            case RecordedServiceCheck.CRITICAL -> "CRITICAL";
            default -> "UNKNOWN";
        };
    }

    private static String typeName(int type) {
        return switch (type) {
            case RecordedSeries.GAUGE -> "gauge";
            case RecordedSeries.RATE -> "rate";
            case RecordedSeries.COUNT -> "count";
            default -> "unspecified";
        };
    }

    private static String rule(String text, char fill) {
        return text.length() >= WIDTH ? text : text + String.valueOf(fill).repeat(WIDTH - text.length());
    }

    // ---------------------------------------------------------------- where a signal comes from

    /** The headings, in the order they are printed. */
    enum Heading {
        ECS_FARGATE("ecs.fargate.* - what Datadog's ecs_fargate check sends, and its fargate_check service check"),
        CONTAINER_CHECK("container.* - what the Agent's container check sends for the same containers"),
        DOGSTATSD("DogStatsD"),
        LIFECYCLE("ECS task lifecycle - events of the ecs-metadata collector"),
        ECS_METADATA_METRICS("ecs.task.* / ecs.container.* - the ecs-metadata collector's opt-in metrics"),
        LIVENESS("Agent liveness - datadog.agent.running and datadog.agent.up, which Datadog's Agent pages and "
                + "monitors read"),
        OTHER("other - not placed under any heading above; shown with all their tags and their metadata.origin");

        final String title;

        Heading(String title) {
            this.title = title;
        }

        static Optional<Heading> ofSeries(String metric, MetricOrigin origin) {
            // The origin first: a DogStatsD client may use any name, even one of the checks' prefixes.
            if (origin.equals(MetricOrigin.DOGSTATSD)) {
                return Optional.of(DOGSTATSD);
            }
            if (metric.startsWith(SELF_TELEMETRY_PREFIX)) {
                return Optional.empty();
            }
            if (metric.equals("datadog.agent.running")) {
                return Optional.of(LIVENESS);
            }
            if (metric.startsWith("ecs.fargate.")) {
                return Optional.of(ECS_FARGATE);
            }
            if (metric.startsWith("container.")) {
                return Optional.of(CONTAINER_CHECK);
            }
            if (metric.startsWith("ecs.task.") || metric.startsWith("ecs.container.")) {
                return Optional.of(ECS_METADATA_METRICS);
            }
            return Optional.of(OTHER);
        }

        /** The ecs-metadata collector marks its events with source {@code ecs} and an {@code event_type} tag. */
        static Heading ofEvent(RecordedEvent event) {
            // Pilotfish's only other event source is DogStatsD.
            return event.sourceTypeName().equals("ecs") && event.tag("event_type").isPresent() ? LIFECYCLE
                    : DOGSTATSD;
        }

        static Heading ofCheck(RecordedServiceCheck check) {
            // fargate_check and datadog.agent.up are the agent's own; Pilotfish's only other check source is DogStatsD.
            return switch (check.check()) {
                case "fargate_check" -> ECS_FARGATE;
                case "datadog.agent.up" -> LIVENESS;
                default -> DOGSTATSD;
            };
        }
    }

    /** Whose a signal is: a container (by its ECS name), the task, or neither. */
    record Owner(Kind kind, String name) implements Comparable<Owner> {

        enum Kind { CONTAINER, TASK, NONE }

        static final Owner TASK = new Owner(Kind.TASK, "task");
        static final Owner NONE = new Owner(Kind.NONE, "no ECS tags");

        static Owner of(List<String> tags) {
            Optional<String> container = tagValue(tags, "ecs_container_name").or(() -> tagValue(tags,
                    "container_name"));
            if (container.isPresent()) {
                return new Owner(Kind.CONTAINER, container.get());
            }
            boolean taskTagged = tags.stream().anyMatch(t -> t.startsWith("task_arn:") || t.startsWith("task_family:")
                    || t.startsWith("cluster_name:"));
            return taskTagged ? TASK : NONE;
        }

        @Override
        public int compareTo(Owner other) {
            return kind != other.kind ? kind.compareTo(other.kind) : name.compareTo(other.name);
        }
    }

    private static Optional<String> tagValue(List<String> tags, String key) {
        String prefix = key + ":";
        return tags.stream().filter(t -> t.startsWith(prefix)).map(t -> t.substring(prefix.length())).findFirst();
    }

    // ---------------------------------------------------------------- the named tag sets

    /**
     * {@code {task}}: the tags every task- or container-tagged signal carries (once the task has signals of its own);
     * {@code {<container>}}: {@code {task}} and what every signal of that container carries on top. Each is an
     * intersection, so every signal of an owner carries its owner's whole set.
     */
    static final class TagSets {
        private final Set<String> task;
        private final Map<String, Set<String>> containers;

        private TagSets(Set<String> task, Map<String, Set<String>> containers) {
            this.task = task;
            this.containers = containers;
        }

        static TagSets of(List<List<String>> tagLists) {
            Set<String> task = null;
            boolean taskSignals = false;
            Map<String, Set<String>> containers = new TreeMap<>();
            for (List<String> tags : tagLists) {
                Owner owner = Owner.of(tags);
                if (owner.kind() == Owner.Kind.NONE) {
                    continue;
                }
                task = intersect(task, tags);
                taskSignals |= owner.kind() == Owner.Kind.TASK;
                if (owner.kind() == Owner.Kind.CONTAINER) {
                    containers.put(owner.name(), intersect(containers.get(owner.name()), tags));
                }
            }
            // Without a signal of the task itself, the intersection could hold a lone container's own tags.
            Set<String> taskSet = task == null || !taskSignals ? Set.of() : task;
            containers.replaceAll((name, tags) -> {
                Set<String> own = new TreeSet<>(tags);
                own.removeAll(taskSet);
                return own;
            });
            return new TagSets(taskSet, containers);
        }

        private static Set<String> intersect(Set<String> sofar, Collection<String> tags) {
            if (sofar == null) {
                return new TreeSet<>(tags);
            }
            sofar.retainAll(Set.copyOf(tags));
            return sofar;
        }

        /** The tags an owner's signals all carry: its named set. */
        Set<String> base(Owner owner) {
            return switch (owner.kind()) {
                case NONE -> Set.of();
                case TASK -> task;
                case CONTAINER -> {
                    Set<String> all = new TreeSet<>(task);
                    all.addAll(containers.getOrDefault(owner.name(), Set.of()));
                    yield all;
                }
            };
        }

        /** {@code {app}}, or nothing for a signal without ECS tags. */
        String name(Owner owner) {
            return owner.kind() == Owner.Kind.NONE || base(owner).isEmpty() ? "" : "{" + owner.name() + "}";
        }

        void describe(StringBuilder text) {
            if (task.isEmpty() && containers.isEmpty()) {
                return;
            }
            text.append("Tags Datadog indexes: {task} is on every signal of the task, {<container>} on every signal of "
                    + "that container.\n");
            List<String> labels = new ArrayList<>();
            labels.add("{task}");
            containers.keySet().forEach(name -> labels.add("{" + name + "}"));
            int width = labels.stream().mapToInt(String::length).max().orElse(0) + 2;
            if (!task.isEmpty()) {
                wrap(text, "  " + pad("{task}", width), List.copyOf(task));
            }
            containers.forEach((name, own) -> {
                List<String> words = new ArrayList<>();
                if (!task.isEmpty()) {
                    words.add("{task}");
                    if (!own.isEmpty()) {
                        words.add("+");
                    }
                }
                words.addAll(own);
                wrap(text, "  " + pad("{" + name + "}", width), words);
            });
        }
    }

    // ---------------------------------------------------------------- the content, sorted under headings

    /** The last point of one series. */
    private record SeriesValue(RecordedSeries series, long timestamp, double value) {
    }

    /** The last point of one distribution series. */
    private record SketchValue(RecordedSketch sketch, RecordedSketch.Point point) {
    }

    /** Identical events (a chatty sender repeats itself), counted, with the date of the newest. */
    private static final class EventGroup {
        final RecordedEvent event;
        int count;
        long lastHappened;

        EventGroup(RecordedEvent event) {
            this.event = event;
        }
    }

    /** The runs of one service check with one tag set: how many, and the last one. */
    private static final class CheckGroup {
        RecordedServiceCheck last;
        int runs;
    }

    private static final class Sorted {
        final Map<Heading, Section> sections = new EnumMap<>(Heading.class);
        int selfTelemetrySeries;

        static Sorted of(Content content) {
            Sorted sorted = new Sorted();
            Map<String, SeriesValue> series = new LinkedHashMap<>();
            Set<String> selfTelemetry = new TreeSet<>();
            for (RecordedSeries s : content.series()) {
                String key = s.metric() + '\n' + s.type() + '\n' + s.host().orElse("") + '\n' + new TreeSet<>(s.tags());
                if (Heading.ofSeries(s.metric(), s.origin()).isEmpty()) {
                    selfTelemetry.add(key);
                    continue;
                }
                for (RecordedSeries.Point point : s.points()) {
                    SeriesValue known = series.get(key);
                    // Retries may deliver an older point later: the newest timestamp wins, then the later arrival.
                    if (known == null || point.timestamp() >= known.timestamp()) {
                        series.put(key, new SeriesValue(s, point.timestamp(), point.value()));
                    }
                }
            }
            Map<String, SketchValue> sketches = new LinkedHashMap<>();
            for (RecordedSketch s : content.sketches()) {
                String key = s.metric() + '\n' + s.host() + '\n' + new TreeSet<>(s.tags());
                if (Heading.ofSeries(s.metric(), s.origin()).isEmpty()) {
                    selfTelemetry.add(key);
                    continue;
                }
                for (RecordedSketch.Point point : s.points()) {
                    SketchValue known = sketches.get(key);
                    if (known == null || point.ts() >= known.point().ts()) {
                        sketches.put(key, new SketchValue(s, point));
                    }
                }
            }
            sorted.selfTelemetrySeries = selfTelemetry.size();
            series.values().forEach(v -> sorted.section(Heading.ofSeries(v.series().metric(),
                    v.series().origin()).orElseThrow()).series.add(v));
            sketches.values().forEach(v -> sorted.section(Heading.ofSeries(v.sketch().metric(),
                    v.sketch().origin()).orElseThrow()).sketches.add(v));
            Map<RecordedEvent, EventGroup> events = new LinkedHashMap<>();
            for (RecordedEvent event : content.events()) {
                // The same event at another time is a repeat: grouped without its date.
                RecordedEvent undated = new RecordedEvent(event.title(), event.text(), 0, event.priority(),
                        event.alertType(), event.host(), List.copyOf(new TreeSet<>(event.tags())),
                        event.aggregationKey(), event.sourceTypeName());
                EventGroup group = events.computeIfAbsent(undated, EventGroup::new);
                group.count++;
                group.lastHappened = Math.max(group.lastHappened, event.dateHappened());
            }
            // The events sink sends several at once, so arrival order is not the order they happened in.
            // At the same second, the task's events before its containers'.
            events.values().stream().sorted(Comparator.comparingLong((EventGroup g) -> g.lastHappened)
                            .thenComparing(g -> Owner.of(g.event.tags()).kind() != Owner.Kind.TASK))
                    .forEach(g -> sorted.section(Heading.ofEvent(g.event)).events.add(g));
            Map<String, CheckGroup> checks = new LinkedHashMap<>();
            for (RecordedServiceCheck check : content.serviceChecks()) {
                CheckGroup group = checks.computeIfAbsent(check.check() + '\n' + new TreeSet<>(check.tags()),
                        k -> new CheckGroup());
                group.runs++;
                if (group.last == null || check.timestamp() >= group.last.timestamp()) {
                    group.last = check;
                }
            }
            checks.values().forEach(g -> sorted.section(Heading.ofCheck(g.last)).checks.add(g));
            return sorted;
        }

        Section section(Heading heading) {
            return sections.computeIfAbsent(heading, h -> new Section());
        }

        List<List<String>> allTagLists() {
            List<List<String>> all = new ArrayList<>();
            for (Section section : sections.values()) {
                section.series.forEach(v -> all.add(v.series().tags()));
                section.sketches.forEach(v -> all.add(v.sketch().tags()));
                section.events.forEach(g -> all.add(g.event.tags()));
                section.checks.forEach(g -> all.add(g.last.tags()));
            }
            return all;
        }
    }

    /** The signals under one heading. */
    private static final class Section {
        final List<SeriesValue> series = new ArrayList<>();
        final List<SketchValue> sketches = new ArrayList<>();
        final List<EventGroup> events = new ArrayList<>();
        final List<CheckGroup> checks = new ArrayList<>();

        boolean isEmpty() {
            return series.isEmpty() && sketches.isEmpty() && events.isEmpty() && checks.isEmpty();
        }

        void render(Heading heading, TagSets sets, StringBuilder text) {
            // Per owner, what every signal of this heading adds to the owner's set; each line shows only the rest.
            Map<Owner, Set<String>> common = new TreeMap<>();
            forEachTagList(tags -> {
                Owner owner = Owner.of(tags);
                Set<String> extra = new TreeSet<>(tags);
                extra.removeAll(sets.base(owner));
                common.merge(owner, extra, (a, b) -> {
                    a.retainAll(b);
                    return a;
                });
            });
            text.append('\n').append(title(heading)).append('\n');
            int labelWidth = common.keySet().stream().mapToInt(o -> o.name().length()).max().orElse(0) + 2;
            boolean first = true;
            for (Map.Entry<Owner, Set<String>> entry : common.entrySet()) {
                List<String> words = new ArrayList<>();
                String name = sets.name(entry.getKey());
                if (!name.isEmpty()) {
                    words.add(name);
                    if (!entry.getValue().isEmpty()) {
                        words.add("+");
                    }
                }
                words.addAll(entry.getValue());
                if (words.isEmpty()) {
                    words.add("(no tags)");
                }
                wrap(text, (first ? "  tags  " : "        ") + pad(entry.getKey().name() + ":", labelWidth), words);
                first = false;
            }
            Residual residual = tags -> {
                Owner owner = Owner.of(tags);
                Set<String> rest = new TreeSet<>(tags);
                rest.removeAll(sets.base(owner));
                rest.removeAll(common.getOrDefault(owner, Set.of()));
                return rest.isEmpty() ? "" : "+ " + String.join(" ", rest);
            };
            renderSeries(heading, residual, text);
            renderSketches(heading, residual, text);
            renderChecks(residual, text);
            renderEvents(residual, text);
        }

        private String title(Heading heading) {
            if (heading != Heading.DOGSTATSD) {
                return heading.title;
            }
            Set<String> containers = new TreeSet<>();
            forEachTagList(tags -> {
                Owner owner = Owner.of(tags);
                if (owner.kind() == Owner.Kind.CONTAINER) {
                    containers.add(owner.name());
                }
            });
            String from = containers.isEmpty() ? "DogStatsD (no sending container detected)"
                    : "DogStatsD from the " + joinWords(List.copyOf(containers))
                    + (containers.size() == 1 ? " container" : " containers");
            return from + " - custom metrics, events and service checks, tagged by origin detection";
        }

        private void forEachTagList(Consumer<List<String>> action) {
            series.forEach(v -> action.accept(v.series().tags()));
            sketches.forEach(v -> action.accept(v.sketch().tags()));
            events.forEach(g -> action.accept(g.event.tags()));
            checks.forEach(g -> action.accept(g.last.tags()));
        }

        /** One row per metric (and residual tags), one column per owner: the last value of each series. */
        private void renderSeries(Heading heading, Residual residual, StringBuilder text) {
            if (series.isEmpty()) {
                return;
            }
            Set<Owner> owners = new TreeSet<>();
            Map<Row, Map<Owner, String>> rows = new TreeMap<>(Comparator.comparing(Row::metric)
                    .thenComparing(Row::type).thenComparing(Row::extraTags));
            for (SeriesValue value : series) {
                RecordedSeries s = value.series();
                Owner owner = Owner.of(s.tags());
                owners.add(owner);
                String rest = residual.of(s.tags());
                if (heading == Heading.OTHER) {
                    rest = (rest + " " + describe(s.origin())).trim();
                }
                rows.computeIfAbsent(new Row(s.metric(), typeName(s.type()), rest), k -> new LinkedHashMap<>())
                        .put(owner, number(value.value()));
            }
            int nameWidth = Math.max("metric".length(), rows.keySet().stream().mapToInt(r -> r.metric().length())
                    .max().orElse(0)) + 2;
            Map<Owner, Integer> widths = new LinkedHashMap<>();
            for (Owner owner : owners) {
                int width = owner.name().length();
                for (Map<Owner, String> cells : rows.values()) {
                    width = Math.max(width, cells.getOrDefault(owner, "").length());
                }
                widths.put(owner, width + 2);
            }
            StringBuilder header = new StringBuilder("  ").append(pad("metric", nameWidth)).append(pad("type", 8));
            widths.forEach((owner, width) -> header.append(pad(owner.name(), width)));
            text.append(header.toString().stripTrailing()).append('\n');
            rows.forEach((row, cells) -> {
                StringBuilder line = new StringBuilder("  ").append(pad(row.metric(), nameWidth))
                        .append(pad(row.type(), 8));
                widths.forEach((owner, width) -> line.append(pad(cells.getOrDefault(owner, ""), width)));
                line.append(row.extraTags());
                text.append(line.toString().stripTrailing()).append('\n');
            });
        }

        /** One line per distribution series: its last 10-second bucket. */
        private void renderSketches(Heading heading, Residual residual, StringBuilder text) {
            if (sketches.isEmpty()) {
                return;
            }
            List<SketchValue> ordered = new ArrayList<>(sketches);
            ordered.sort(Comparator.comparing((SketchValue v) -> v.sketch().metric())
                    .thenComparing(v -> Owner.of(v.sketch().tags())));
            int nameWidth = ordered.stream().mapToInt(v -> v.sketch().metric().length()).max().orElse(0) + 2;
            int ownerWidth = ordered.stream().mapToInt(v -> Owner.of(v.sketch().tags()).name().length()).max()
                    .orElse(0) + 2;
            text.append("  distributions, last 10-second bucket of each:\n");
            for (SketchValue value : ordered) {
                RecordedSketch.Point point = value.point();
                String line = "  " + pad(value.sketch().metric(), nameWidth)
                        + pad(Owner.of(value.sketch().tags()).name(), ownerWidth)
                        + "count " + point.cnt() + ", p50 " + number(point.quantile(0.5)) + ", p99 "
                        + number(point.quantile(0.99)) + ", max " + number(point.max()) + "  "
                        + residual.of(value.sketch().tags())
                        + (heading == Heading.OTHER ? " " + describe(value.sketch().origin()) : "");
                text.append(line.stripTrailing()).append('\n');
            }
        }

        /** One line per check and tag set: its last status (and message), and how many runs arrived. */
        private void renderChecks(Residual residual, StringBuilder text) {
            if (checks.isEmpty()) {
                return;
            }
            int nameWidth = Math.max("service check".length(), checks.stream().mapToInt(g -> g.last.check()
                    .length()).max().orElse(0)) + 2;
            int ownerWidth = checks.stream().mapToInt(g -> Owner.of(g.last.tags()).name().length()).max()
                    .orElse(0) + 2;
            text.append("  ").append(pad("service check", nameWidth)).append(pad("", ownerWidth))
                    .append("last status, runs received\n");
            for (CheckGroup group : checks) {
                RecordedServiceCheck last = group.last;
                String message = last.message().isEmpty() ? "" : " \"" + last.message() + "\"";
                String line = "  " + pad(last.check(), nameWidth) + pad(Owner.of(last.tags()).name(), ownerWidth)
                        + statusName(last.status()) + message + ", " + group.runs + (group.runs == 1 ? " run"
                        : " runs") + "  " + residual.of(last.tags());
                text.append(line.stripTrailing()).append('\n');
            }
        }

        /** One line per event (repeats counted), in the order they happened; the oldest beyond the limit counted. */
        private void renderEvents(Residual residual, StringBuilder text) {
            if (events.isEmpty()) {
                return;
            }
            int skipped = Math.max(0, events.size() - MAX_EVENT_LINES);
            List<EventGroup> shown = events.subList(skipped, events.size());
            int kindWidth = shown.stream().mapToInt(g -> eventKind(g.event).length()).max().orElse(0) + 2;
            int ownerWidth = shown.stream().mapToInt(g -> Owner.of(g.event.tags()).name().length()).max()
                    .orElse(0) + 2;
            text.append("  events (alert type, priority when low):\n");
            if (skipped > 0) {
                text.append("  ... ").append(skipped).append(" earlier ").append(skipped == 1 ? "event" : "events")
                        .append(" not shown\n");
            }
            for (EventGroup group : shown) {
                String line = "  " + pad(eventKind(group.event), kindWidth)
                        + pad(Owner.of(group.event.tags()).name(), ownerWidth) + group.event.title()
                        + (group.count > 1 ? " (x" + group.count + ")" : "") + "  " + residual.of(group.event.tags());
                text.append(line.stripTrailing()).append('\n');
            }
        }

        private static String eventKind(RecordedEvent event) {
            String alert = event.alertType().isEmpty() ? "info" : event.alertType();
            return event.priority().equals("low") ? alert + ", low" : alert;
        }
    }

    /** For signals under "other": the origin they were sent with, which placed them nowhere else. */
    private static String describe(MetricOrigin origin) {
        return "metadata.origin " + (origin.specified() ? origin.product() + "/" + origin.category() + "/"
                + origin.service() : "none");
    }

    /** A line of a metric table: the series of one name and type that add the same tags, one per owner. */
    private record Row(String metric, String type, String extraTags) {
    }

    /** The tags a line shows after its owner's set and its heading's common tags. */
    @FunctionalInterface
    private interface Residual {
        String of(List<String> tags);
    }

    // ---------------------------------------------------------------- text helpers

    private static String pad(String text, int width) {
        return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
    }

    /** The words after {@code prefix}, wrapped at {@link #WIDTH} under the first word. */
    private static void wrap(StringBuilder text, String prefix, List<String> words) {
        String indent = " ".repeat(prefix.length());
        StringBuilder line = new StringBuilder(prefix);
        boolean lineEmpty = true;
        for (String word : words) {
            if (!lineEmpty && line.length() + 1 + word.length() > WIDTH) {
                text.append(line).append('\n');
                line = new StringBuilder(indent);
                lineEmpty = true;
            }
            if (!lineEmpty) {
                line.append(' ');
            }
            line.append(word);
            lineEmpty = false;
        }
        text.append(line).append('\n');
    }

    private static String joinWords(List<String> words) {
        if (words.size() <= 1) {
            return String.join("", words);
        }
        return String.join(", ", words.subList(0, words.size() - 1)) + " and " + words.get(words.size() - 1);
    }
}
