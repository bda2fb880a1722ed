package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * DogStatsD aggregation as the Datadog Agent does it: samples fall into 10-second buckets by arrival time and each
 * closed bucket becomes one point per context, stamped with the bucket's start. Every point carries the interval 10
 * and the DogStatsD origin, as the Agent's time sampler sends every series of a bucket.
 *
 * <ul>
 *   <li>count {@code c}: the sum of {@code value × (1 / rate)}, sent as a RATE of {@code sum / 10}; a counter
 *   seen in the last {@code counterExpiry} keeps reporting 0 in buckets where it got nothing;</li>
 *   <li>gauge {@code g}: the last value; set {@code s}: the number of distinct members, as GAUGE; both ignore the
 *   rate;</li>
 *   <li>histogram {@code h} and timing {@code ms}: one series per aggregate ({@code .max .median .avg .count} by
 *   default; also {@code .min .sum}) and per percentile ({@code .95percentile}); each sample weighs
 *   {@code int(1 / rate)} (a rate of 0 counts as 1, a rate above 1 weighs 0) and adds {@code value × (1 / rate)} to
 *   the sum; {@code .count} is a RATE, the rest GAUGE; median and percentiles are weighted nearest rank on the sorted
 *   samples;</li>
 *   <li>distribution {@code d}: the Agent's sketch ({@link AgentSketch}) of every value, weighing {@code int(1 / rate)}
 *   for a rate in (0, 1] and 1 for any other, sent as one {@link io.pilotfish.spi.signal.Sketch} per context and
 *   bucket.</li>
 * </ul>
 *
 * Samples with a timestamp bypass aggregation ({@link #unaggregated}) and are refused here.
 * The number of contexts per bucket is bounded; samples for new contexts beyond it are refused (the caller counts
 * them). A sample may also be added before its final tags are known ({@link #addUnresolved}): it is kept under its
 * own tags and origin until {@link #resolve} gives every such context its final tags. Not thread-safe: one aggregator
 * per worker.
 */
public final class Aggregator {

    public static final long BUCKET_SECONDS = 10;

    /**
     * @param aggregates    histogram aggregates among max, min, median, avg, sum, count
     * @param percentiles   histogram percentiles, each 1 to 100
     * @param maxContexts   distinct contexts one bucket may hold
     * @param counterExpiry how long a counter keeps reporting 0 after its last sample, in seconds
     * @param maxBytes      estimated heap bytes of every bucket, accumulator and counter kept for zero-reporting
     */
    public record Settings(List<String> aggregates, List<Integer> percentiles, int maxContexts, long counterExpiry,
                           long maxBytes) {

        public static final List<String> SUPPORTED_AGGREGATES = List.of("max", "min", "median", "avg", "sum", "count");
        public static final Settings DEFAULTS = new Settings(List.of("max", "median", "avg", "count"), List.of(95),
                100_000, 300, defaultMaxBytes(Runtime.getRuntime().maxMemory()));

        /** Settings with the default memory budget for this heap. */
        public Settings(List<String> aggregates, List<Integer> percentiles, int maxContexts, long counterExpiry) {
            this(aggregates, percentiles, maxContexts, counterExpiry, defaultMaxBytes(Runtime.getRuntime().maxMemory()));
        }

        /**
         * A fifth of the heap (9.3 MiB of the launcher's 48 MiB), at most 12 MiB: 500,000 lines a second over 2,000
         * contexts (200 timers, 100 distributions) need about 8 MiB while one bucket closes and the next fills. The
         * cap keeps the heap the launcher adds for APM for traces (the trace sink's queue is what it lacked).
         */
        public static long defaultMaxBytes(long heapBytes) {
            return Math.max(MIN_BYTES, Math.min(DEFAULT_CAP_BYTES, heapBytes / 5));
        }

        static final long DEFAULT_CAP_BYTES = 12L * 1024 * 1024;

        public static final long MIN_BYTES = 256 * 1024;

        public Settings {
            aggregates = List.copyOf(aggregates);
            for (String aggregate : aggregates) {
                if (!SUPPORTED_AGGREGATES.contains(aggregate)) {
                    throw new IllegalArgumentException("histogram aggregate \"" + aggregate + "\": expected one of "
                            + SUPPORTED_AGGREGATES);
                }
            }
            percentiles = percentiles.stream().sorted().toList();
            for (int percentile : percentiles) {
                if (percentile < 1 || percentile > 100) {
                    throw new IllegalArgumentException("histogram percentile " + percentile + ": expected 1 to 100");
                }
            }
            if (maxContexts < 1) {
                throw new IllegalArgumentException("maxContexts must be at least 1");
            }
            if (maxBytes < MIN_BYTES) {
                throw new IllegalArgumentException("maxBytes must be at least " + MIN_BYTES);
            }
        }
    }

    /**
     * What a point is for: name, type family, tags and host, and while its final tags are not known yet, where the
     * sample came from. The aggregator looks accumulators up with one reused instance ({@link #lookup}) and stores a
     * copy only for a new context, so a sample costs no allocation.
     */
    private static final class Context {
        private String name;
        private StatsdType type;
        private TagSet tags;
        private String host;
        /** Null once the tags are final; until then the origin whose tags {@link #resolve} adds. */
        private OriginTags.Source unresolved;
        private int hash;
        /** The heap bytes charged for this context when it was added. */
        private long charged;

        Context set(String name, StatsdType type, TagSet tags, String host, OriginTags.Source unresolved) {
            this.name = name;
            this.type = type;
            this.tags = tags;
            this.host = host;
            this.unresolved = unresolved;
            int h = ((name.hashCode() * 31 + type.hashCode()) * 31 + tags.hashCode()) * 31 + host.hashCode();
            this.hash = unresolved == null ? h : h * 31 + unresolved.hashCode();
            return this;
        }

        Context copy() {
            Context copy = new Context().set(name, type, tags, host, unresolved);
            copy.charged = charged;
            return copy;
        }

        /**
         * Estimated heap bytes of a context with these final tags, of which {@code ownTags} came with the message: the
         * origin's and the agent's tags are the same strings in every context (one task view), so only the message's
         * own tag strings and the tag array are counted. The host is the agent's one string, or the message's.
         */
        long heapBytes(TagSet ownTags) {
            long own = 0;
            for (String tag : ownTags) {
                own += DogStatsdParser.stringBytes(tag);
            }
            return CONTEXT_OVERHEAD_BYTES + DogStatsdParser.stringBytes(name) + 32 + 4L * tags.size() + own;
        }

        String name() {
            return name;
        }

        TagSet tags() {
            return tags;
        }

        String host() {
            return host;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Context that && hash == that.hash && type == that.type && name.equals(that.name)
                    && tags.equals(that.tags) && host.equals(that.host)
                    && Objects.equals(unresolved, that.unresolved);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Why {@link #add} refused a sample. */
    public enum Refusal {
        /** The bucket holds {@code context-limit} contexts already. */
        CONTEXT_LIMIT,
        /** The aggregator's memory budget ({@code aggregator.max-bytes}) is used up. */
        MEMORY
    }

    /** The context object, its map node and table slot, the accumulator's header. */
    private static final long CONTEXT_OVERHEAD_BYTES = 128;
    /** A counter kept for zero-reporting: its map node and the last-seen holder, beside its context. */
    private static final long COUNTER_STATE_BYTES = 72;

    private final Settings settings;
    private final TreeMap<Long, Map<Context, Accumulator>> buckets = new TreeMap<>();
    /** Estimated heap bytes each bucket holds, released when it is flushed. */
    private final Map<Long, long[]> bucketBytes = new HashMap<>();
    /**
     * The last flushed bucket start each counter had samples in, and the bytes charged for it; updated as buckets are
     * flushed.
     */
    private final Map<Context, long[]> counterLastSeen = new HashMap<>();
    /** Estimated heap bytes held by buckets and counter states, within {@link Settings#maxBytes}. */
    private long usedBytes;
    private Refusal lastRefusal;
    /** Counters not kept for zero-reporting because the budget was used up. */
    private long countersNotKept;
    private final Context lookup = new Context();
    private long currentStart = Long.MIN_VALUE;
    private Map<Context, Accumulator> current;
    private long[] currentBytes;
    private long lastFlushed = Long.MIN_VALUE;
    /** Contexts waiting for {@link #resolve}; flushing them would send points without their final tags. */
    private int unresolvedContexts;
    /** Counts samples added, so that merged gauges keep the value that arrived last. */
    private long arrivals;

    public Aggregator(Settings settings) {
        this.settings = settings;
    }

    /**
     * Adds one sample (every value it packs) to the bucket of its arrival time.
     *
     * @param tags the sample's tags after enrichment (origin, global tags)
     * @param host the reported host; empty for none
     * @return false when the bucket is full of other contexts and the sample was not taken
     */
    public boolean add(MetricSample sample, TagSet tags, String host, long arrivalSeconds) {
        return add(sample, tags, null, host, arrivalSeconds);
    }

    /**
     * Adds a sample whose origin's tags are not known yet: it is aggregated under its own tags and its origin, and
     * {@link #resolve} later gives it its final tags. Samples of different origins stay apart until then.
     */
    boolean addUnresolved(MetricSample sample, TagSet messageTags, OriginTags.Source origin, String host,
                          long arrivalSeconds) {
        return add(sample, messageTags, Objects.requireNonNull(origin, "origin"), host, arrivalSeconds);
    }

    private boolean add(MetricSample sample, TagSet tags, OriginTags.Source unresolved, String host,
                        long arrivalSeconds) {
        if (sample.timestamped()) {
            throw new IllegalArgumentException("timestamped samples are not aggregated: see unaggregated()");
        }
        long start = arrivalSeconds - Math.floorMod(arrivalSeconds, BUCKET_SECONDS);
        if (start != currentStart) {
            currentStart = start;
            current = buckets.computeIfAbsent(start, s -> new HashMap<>());
            currentBytes = bucketBytes.computeIfAbsent(start, s -> new long[1]);
        }
        StatsdType family = sample.type() == StatsdType.TIMING ? StatsdType.HISTOGRAM : sample.type();
        Accumulator accumulator = current.get(lookup.set(sample.name(), family, tags, host, unresolved));
        long charge = 0;
        if (accumulator == null) {
            if (current.size() >= settings.maxContexts()) {
                lastRefusal = Refusal.CONTEXT_LIMIT;
                return false;
            }
            accumulator = newAccumulator(family);
            lookup.charged = lookup.heapBytes(sample.tags());
            charge = lookup.charged + accumulator.heapBytes();
            if (usedBytes + charge + accumulator.maxGrowth(sample) > settings.maxBytes()) {
                lastRefusal = Refusal.MEMORY;
                return false;
            }
            current.put(lookup.copy(), accumulator);
            if (unresolved != null) {
                unresolvedContexts++;
            }
        } else if (usedBytes + accumulator.maxGrowth(sample) > settings.maxBytes()) {
            lastRefusal = Refusal.MEMORY; // a histogram, set or sketch may not grow past the budget either
            return false;
        }
        long before = accumulator.heapBytes();
        accumulator.add(sample, ++arrivals);
        charge += accumulator.heapBytes() - before;
        usedBytes += charge;
        currentBytes[0] += charge;
        return true;
    }

    /** Why the last refused {@link #add} was refused; null if none was. */
    public Refusal lastRefusal() {
        return lastRefusal;
    }

    /** Estimated heap bytes held now, within {@link Settings#maxBytes}. */
    public long usedBytes() {
        return usedBytes;
    }

    /** Counters that stopped reporting zeros early (or never started) because the memory budget was used up. */
    public long countersNotKept() {
        return countersNotKept;
    }

    private Accumulator newAccumulator(StatsdType family) {
        return switch (family) {
            case COUNT -> new Counter();
            case GAUGE -> new Gauge();
            case SET -> new SetOfMembers();
            case DISTRIBUTION -> new Distribution();
            default -> new Histogram();
        };
    }

    /**
     * Gives every context added by {@link #addUnresolved} its final tags, {@code tags(own tags, origin)}. Contexts that
     * end up with the same name, type, tags and host become one, as if their samples had arrived under those tags:
     * counts add up, the gauge that arrived last wins, sets, histograms and sketches merge. Bucket sizes only shrink.
     */
    void resolve(BiFunction<TagSet, OriginTags.Source, TagSet> tags) {
        if (unresolvedContexts == 0) {
            return;
        }
        for (Map.Entry<Long, Map<Context, Accumulator>> bucket : buckets.entrySet()) {
            Map<Context, Accumulator> resolved = new HashMap<>(bucket.getValue().size() * 2);
            for (Map.Entry<Context, Accumulator> entry : bucket.getValue().entrySet()) {
                Context context = entry.getKey();
                Context key = context;
                if (context.unresolved != null) {
                    key = new Context().set(context.name, context.type, tags.apply(context.tags, context.unresolved),
                            context.host, null);
                    key.charged = context.charged;
                }
                Accumulator known = resolved.putIfAbsent(key, entry.getValue());
                if (known != null) {
                    known.merge(entry.getValue());
                }
            }
            bucket.setValue(resolved);
            if (bucket.getKey() == currentStart) {
                current = resolved;
            }
        }
        unresolvedContexts = 0;
    }

    /**
     * Emits every bucket that has closed by {@code nowSeconds} (or every bucket, at shutdown: the Agent loses the
     * open one on SIGTERM; we do not) and forgets it.
     */
    public void flush(long nowSeconds, boolean includeOpen, Consumer<? super Signal> out) {
        if (unresolvedContexts > 0) {
            throw new IllegalStateException(unresolvedContexts + " contexts still wait for their tags: resolve first");
        }
        if (!counterLastSeen.isEmpty() && lastFlushed != Long.MIN_VALUE) {
            // Periods without any sample still carry the zeros of live counters.
            long limit = settings.counterExpiry() / BUCKET_SECONDS + 1;
            for (long start = lastFlushed + BUCKET_SECONDS; start + BUCKET_SECONDS <= nowSeconds && limit-- > 0;
                 start += BUCKET_SECONDS) {
                buckets.computeIfAbsent(start, s -> new HashMap<>());
            }
        }
        Iterator<Map.Entry<Long, Map<Context, Accumulator>>> iterator = buckets.entrySet().iterator();
        while (iterator.hasNext()) {
            Map.Entry<Long, Map<Context, Accumulator>> bucket = iterator.next();
            long start = bucket.getKey();
            if (!includeOpen && start + BUCKET_SECONDS > nowSeconds) {
                break;
            }
            for (Map.Entry<Context, Accumulator> entry : bucket.getValue().entrySet()) {
                entry.getValue().emit(entry.getKey(), start, out);
            }
            emitIdleCounters(start, bucket.getValue(), out);
            long[] held = bucketBytes.remove(start);
            if (held != null) {
                usedBytes -= held[0];
            }
            for (Map.Entry<Context, Accumulator> entry : bucket.getValue().entrySet()) {
                if (entry.getValue() instanceof Counter) {
                    rememberCounter(entry.getKey(), start);
                }
            }
            iterator.remove();
            lastFlushed = Math.max(lastFlushed, start);
            if (start == currentStart) {
                currentStart = Long.MIN_VALUE;
                current = null;
                currentBytes = null;
            }
        }
    }

    /**
     * Keeps a counter for zero-reporting. Its state outlives the bucket (up to the counter expiry), so it is charged to
     * the budget as well: when the budget is used up, a new counter is not kept and simply stops after its last point.
     */
    private void rememberCounter(Context context, long start) {
        long[] seen = counterLastSeen.get(context);
        if (seen != null) {
            seen[0] = start;
            return;
        }
        long cost = COUNTER_STATE_BYTES + context.charged;
        if (usedBytes + cost > settings.maxBytes()) {
            countersNotKept++;
            return;
        }
        usedBytes += cost;
        counterLastSeen.put(context, new long[] {start, cost});
    }

    /** Counters seen recently but silent in this bucket report 0, so graphs show zero rather than a gap. */
    private void emitIdleCounters(long start, Map<Context, Accumulator> bucket, Consumer<? super Signal> out) {
        Iterator<Map.Entry<Context, long[]>> seen = counterLastSeen.entrySet().iterator();
        while (seen.hasNext()) {
            Map.Entry<Context, long[]> entry = seen.next();
            long lastSeen = entry.getValue()[0];
            if (lastSeen + settings.counterExpiry() <= start) {
                usedBytes -= entry.getValue()[1];
                seen.remove();
            } else if (lastSeen < start && !bucket.containsKey(entry.getKey())) {
                Context context = entry.getKey();
                out.accept(metric(context.name(), MetricType.RATE, 0, start, context));
            }
        }
    }

    /** Contexts held in open and unflushed buckets. */
    public int contexts() {
        int total = 0;
        for (Map<Context, Accumulator> bucket : buckets.values()) {
            total += bucket.size();
        }
        return total;
    }

    /**
     * A timestamped sample, unaggregated as the Agent's no-aggregation pipeline sends it, each with the interval 10: a
     * gauge as GAUGE at its time, a count as a RATE of {@code value / 10}. The rate weighs neither (the Agent's
     * pipeline does not read it). Other types are not supported there: empty.
     */
    public static List<Metric> unaggregated(MetricSample sample, TagSet tags, String host) {
        List<Metric> out = new ArrayList<>(sample.valueCount());
        for (int i = 0; i < sample.valueCount(); i++) {
            double value = sample.value(i);
            switch (sample.type()) {
                case GAUGE -> out.add(point(sample.name(), MetricType.GAUGE, value, sample.timestamp(), tags, host));
                case COUNT -> out.add(point(sample.name(), MetricType.RATE, value / BUCKET_SECONDS,
                        sample.timestamp(), tags, host));
                default -> {
                    return List.of();
                }
            }
        }
        return out;
    }

    private static Metric metric(String name, MetricType type, double value, long start, Context context) {
        return point(name, type, value, start, context.tags(), context.host());
    }

    private static Metric point(String name, MetricType type, double value, long timestamp, TagSet tags,
                                String host) {
        return new Metric(name, type, value, timestamp, tags, BUCKET_SECONDS, "", host, MetricOrigin.DOGSTATSD);
    }

    private abstract static class Accumulator {
        /** @param arrival increases with every sample the aggregator takes */
        abstract void add(MetricSample sample, long arrival);

        /** Takes in another accumulator of the same type, as if its samples had been added here. */
        abstract void merge(Accumulator other);

        abstract void emit(Context context, long start, Consumer<? super Signal> out);

        /** Estimated heap bytes of this accumulator. */
        abstract long heapBytes();

        /** The most {@link #heapBytes} may grow by taking {@code sample}. */
        long maxGrowth(MetricSample sample) {
            return 0;
        }
    }

    private static final class Counter extends Accumulator {
        private double sum;

        @Override
        void add(MetricSample sample, long arrival) {
            double scale = 1 / sample.sampleRate(); // the parser refuses rates at or below 0 for counts
            for (int i = 0; i < sample.valueCount(); i++) {
                sum += sample.value(i) * scale;
            }
        }

        @Override
        void merge(Accumulator other) {
            sum += ((Counter) other).sum;
        }

        @Override
        void emit(Context context, long start, Consumer<? super Signal> out) {
            out.accept(metric(context.name(), MetricType.RATE, sum / BUCKET_SECONDS, start, context));
        }

        @Override
        long heapBytes() {
            return 24;
        }
    }

    private static final class Gauge extends Accumulator {
        private double last;
        private long lastArrival;

        @Override
        void add(MetricSample sample, long arrival) {
            last = sample.value(sample.valueCount() - 1);
            lastArrival = arrival;
        }

        @Override
        void merge(Accumulator other) {
            Gauge that = (Gauge) other;
            if (that.lastArrival > lastArrival) {
                last = that.last;
                lastArrival = that.lastArrival;
            }
        }

        @Override
        void emit(Context context, long start, Consumer<? super Signal> out) {
            out.accept(metric(context.name(), MetricType.GAUGE, last, start, context));
        }

        @Override
        long heapBytes() {
            return 32;
        }
    }

    private static final class SetOfMembers extends Accumulator {
        /** A member's map node, its string and the table slots it takes. */
        private static final long MEMBER_OVERHEAD_BYTES = 96;
        private final Set<String> members = new HashSet<>();
        private long memberBytes;

        @Override
        void add(MetricSample sample, long arrival) {
            if (members.add(sample.setMember())) {
                memberBytes += MEMBER_OVERHEAD_BYTES + sample.setMember().length();
            }
        }

        @Override
        void merge(Accumulator other) {
            for (String member : ((SetOfMembers) other).members) {
                if (members.add(member)) {
                    memberBytes += MEMBER_OVERHEAD_BYTES + member.length();
                }
            }
        }

        @Override
        long heapBytes() {
            return 64 + memberBytes;
        }

        @Override
        long maxGrowth(MetricSample sample) {
            return MEMBER_OVERHEAD_BYTES + sample.setMember().length();
        }

        @Override
        void emit(Context context, long start, Consumer<? super Signal> out) {
            out.accept(metric(context.name(), MetricType.GAUGE, members.size(), start, context));
        }
    }

    private static final class Distribution extends Accumulator {
        private final AgentSketch sketch = new AgentSketch();

        @Override
        void add(MetricSample sample, long arrival) {
            double rate = sample.sampleRate();
            // The Agent's sketch takes a rate outside (0, 1] as unsampled.
            double weight = rate > 0 && rate <= 1 ? 1 / rate : 1;
            for (int i = 0; i < sample.valueCount(); i++) {
                sketch.addWeighted(sample.value(i), weight);
            }
        }

        @Override
        void merge(Accumulator other) {
            sketch.merge(((Distribution) other).sketch);
        }

        @Override
        void emit(Context context, long start, Consumer<? super Signal> out) {
            out.accept(sketch.toSignal(context.name(), start, context.tags(), context.host()));
        }

        @Override
        long heapBytes() {
            return 96 + (long) sketch.binsHeld() * AgentSketch.BIN_HEAP_BYTES;
        }

        @Override
        long maxGrowth(MetricSample sample) {
            return (long) sample.valueCount() * AgentSketch.BIN_HEAP_BYTES;
        }
    }

    private final class Histogram extends Accumulator {
        private double[] values = new double[4];
        /** Each value's weight; null while every value so far weighed {@link #uniformWeight}, the common case. */
        private long[] weights;
        private long uniformWeight;
        private int size;
        private double sum;
        private long count;

        @Override
        void add(MetricSample sample, long arrival) {
            double rate = sample.sampleRate();
            double scale = 1 / (rate == 0 ? 1 : rate); // the Agent takes a rate of 0 as 1; the parser refuses < 0
            long weight = (long) scale;
            for (int i = 0; i < sample.valueCount(); i++) {
                double value = sample.value(i);
                append(value, weight);
                sum += value * scale;
                count += weight;
            }
        }

        private void append(double value, long weight) {
            if (size == 0 && weights == null) {
                uniformWeight = weight;
            } else if (weights == null && weight != uniformWeight) {
                weights = new long[values.length];
                Arrays.fill(weights, 0, size, uniformWeight);
            }
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
                if (weights != null) {
                    weights = Arrays.copyOf(weights, size * 2);
                }
            }
            values[size] = value;
            if (weights != null) {
                weights[size] = weight;
            }
            size++;
        }

        @Override
        long heapBytes() {
            return 80 + 16 + values.length * 8L + (weights == null ? 0 : 16 + weights.length * 8L);
        }

        @Override
        long maxGrowth(MetricSample sample) {
            int needed = size + sample.valueCount();
            long capacity = values.length;
            while (capacity < needed) {
                capacity *= 2;
            }
            long growth = (capacity - values.length) * 8;
            if (weights != null) {
                growth += (capacity - weights.length) * 8;
            } else if (size > 0 && weightOf(sample) != uniformWeight) {
                growth += 16 + capacity * 8; // the first sample of another weight brings the weights array
            }
            return growth;
        }

        private static long weightOf(MetricSample sample) {
            double rate = sample.sampleRate();
            return (long) (1 / (rate == 0 ? 1 : rate));
        }

        @Override
        void merge(Accumulator other) {
            Histogram that = (Histogram) other;
            for (int i = 0; i < that.size; i++) {
                append(that.values[i], that.weights == null ? that.uniformWeight : that.weights[i]);
            }
            sum += that.sum;
            count += that.count;
        }

        @Override
        void emit(Context context, long start, Consumer<? super Signal> out) {
            sortByValue();
            // With every sample at a rate above 1 nothing carries weight: the Agent then sends a median of 0, an
            // infinite average and no percentile. Only the aggregates that stay defined go out.
            boolean weighted = count > 0;
            for (String aggregate : settings.aggregates()) {
                double value;
                MetricType type = MetricType.GAUGE;
                switch (aggregate) {
                    case "max" -> value = values[size - 1];
                    case "min" -> value = values[0];
                    case "median" -> {
                        if (!weighted) {
                            continue;
                        }
                        value = rank((count - 1) / 2);
                    }
                    case "avg" -> {
                        if (!weighted) {
                            continue;
                        }
                        value = sum / count;
                    }
                    case "sum" -> value = sum;
                    default -> { // count
                        value = (double) count / BUCKET_SECONDS;
                        type = MetricType.RATE;
                    }
                }
                out.accept(metric(context.name() + "." + aggregate, type, value, start, context));
            }
            if (weighted) {
                for (int percentile : settings.percentiles()) {
                    out.accept(metric(context.name() + "." + percentile + "percentile", MetricType.GAUGE,
                            rank((percentile * count - 1) / 100), start, context));
                }
            }
        }

        /** The first sample whose cumulative weight exceeds {@code target}. */
        private double rank(long target) {
            if (weights == null) {
                long index = target / uniformWeight;
                return values[(int) Math.min(index, size - 1)];
            }
            long weight = 0;
            for (int i = 0; i < size; i++) {
                weight += weights[i];
                if (weight > target) {
                    return values[i];
                }
            }
            return values[size - 1];
        }

        private void sortByValue() {
            if (weights == null) {
                Arrays.sort(values, 0, size); // no index sort needed when every weight is the same
                return;
            }
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
            double[] sortedValues = new double[size];
            long[] sortedWeights = new long[size];
            for (int i = 0; i < size; i++) {
                sortedValues[i] = values[order[i]];
                sortedWeights[i] = weights[order[i]];
            }
            values = sortedValues;
            weights = sortedWeights;
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Aggregator[%d buckets, %d contexts]", buckets.size(), contexts());
    }
}
