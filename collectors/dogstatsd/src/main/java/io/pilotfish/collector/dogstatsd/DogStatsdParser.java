package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.TagSet;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Parses DogStatsD packets: many messages per packet, one per line ({@code \n}, a trailing {@code \r} dropped), each a
 * metric ({@code name:value[:value...]|type[|@rate][|#tags][|c:..][|e:..][|card:..][|T<seconds>]}), an event
 * ({@code _e{title length,text length}:title|text|...}) or a service check ({@code _sc|name|status|...}), as the
 * Datadog Agent accepts them. A bad message is reported to the handler with its reason and skipped; the rest of the
 * packet is still parsed. Works on the packet's bytes; not thread-safe (one parser per listener thread).
 */
public final class DogStatsdParser {

    /**
     * @param maxNameLength bytes in a metric name (Datadog's limit is 200 characters)
     * @param maxTags       tags in one message
     * @param maxTagLength  bytes in one tag (Datadog keeps 200 characters)
     */
    public record Limits(int maxNameLength, int maxTags, int maxTagLength) {
        public static final Limits DEFAULTS = new Limits(200, 100, 200);
    }

    /** Receives what one packet held, in order. */
    public interface Handler {
        /** {@code sample} is refilled for the next message: keep {@link MetricSample#copy()} to hold on to it. */
        void metric(MetricSample sample);

        void event(Event event, Origin origin);

        void serviceCheck(ServiceCheck check, Origin origin);

        /** A message that was skipped; {@code message} is the line (cut to a readable length) and what is wrong. */
        void error(ParseError reason, String message);
    }

    private static final int EXCERPT = 120;
    private static final int NAME_CACHE_SIZE = 4096;
    private static final int TAG_CACHE_SIZE = 4096;
    private static final int CONTAINER_CACHE_SIZE = 256;
    // Byte bounds as well: 4,096 names or tag lists of a few KiB each (a hostile client) would be tens of MiB.
    private static final long NAME_CACHE_BYTES = 512 * 1024;
    private static final long TAG_CACHE_BYTES = 1024 * 1024;
    private static final long CONTAINER_CACHE_BYTES = 64 * 1024;
    /** The caches' heap at most, tables included: for the collector's memory budget. */
    static final long CACHES_MAX_BYTES = NAME_CACHE_BYTES + TAG_CACHE_BYTES + CONTAINER_CACHE_BYTES
            + 16L * 2 * (NAME_CACHE_SIZE + TAG_CACHE_SIZE + CONTAINER_CACHE_SIZE) * 2;
    private static final double[] POW10 = new double[23];

    static {
        double p = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = p;
            p *= 10;
        }
    }

    private final Limits limits;
    private final LongSupplier nowSeconds;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    /** Clients repeat the same names, tag lists and container ids: each is decoded once, then found by its bytes. */
    private final ByteKeyCache<String> nameCache = new ByteKeyCache<>(NAME_CACHE_SIZE, NAME_CACHE_BYTES);
    private final ByteKeyCache<TagSet> tagCache = new ByteKeyCache<>(TAG_CACHE_SIZE, TAG_CACHE_BYTES);
    private final ByteKeyCache<String> containerCache = new ByteKeyCache<>(CONTAINER_CACHE_SIZE,
            CONTAINER_CACHE_BYTES);
    private final List<String> tagScratch = new ArrayList<>();
    /** Refilled for every metric message: see {@link MetricSample}. */
    private final MetricSample sample = new MetricSample();
    private double[] valueScratch = new double[8];
    /** Why the message being parsed failed, for the handler's error line. */
    private String failure;
    private ParseError tagError;
    /** The origin fields ({@code c:}, {@code e:}, {@code card:}) of the message being parsed; all three grammars. */
    private String originContainer;
    private String originExternal;
    private Origin.TagCardinality originCardinality;

    /** @param nowSeconds stamps events and service checks that carry no {@code d:} */
    public DogStatsdParser(Limits limits, LongSupplier nowSeconds) {
        this.limits = limits;
        this.nowSeconds = nowSeconds;
    }

    public void parse(byte[] packet, int offset, int length, Handler handler) {
        int end = offset + length;
        int start = offset;
        while (start < end) {
            int newline = indexOf(packet, (byte) '\n', start, end);
            int lineEnd = newline < 0 ? end : newline;
            int stop = lineEnd > start && packet[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            if (stop > start) {
                parseLine(packet, start, stop, handler);
            }
            start = lineEnd + 1;
        }
    }

    private void parseLine(byte[] b, int from, int to, Handler handler) {
        boolean ascii = true;
        for (int i = from; i < to; i++) {
            if (b[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (!ascii && !validUtf8(b, from, to)) {
            handler.error(ParseError.BAD_UTF8, "not UTF-8: " + excerpt(b, from, to, false));
            return;
        }
        failure = null;
        originContainer = "";
        originExternal = "";
        originCardinality = Origin.TagCardinality.DEFAULT;
        if (startsWith(b, from, to, "_e{")) {
            if (!parseEvent(b, from, to, ascii, handler)) {
                handler.error(ParseError.BAD_EVENT, failure + ": " + excerpt(b, from, to, ascii));
            }
        } else if (startsWith(b, from, to, "_sc")) {
            if (!parseServiceCheck(b, from, to, ascii, handler)) {
                handler.error(ParseError.BAD_SERVICE_CHECK, failure + ": " + excerpt(b, from, to, ascii));
            }
        } else {
            ParseError error = parseMetric(b, from, to, ascii, handler);
            if (error != null) {
                handler.error(error, failure + ": " + excerpt(b, from, to, ascii));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ metrics

    private ParseError parseMetric(byte[] b, int from, int to, boolean ascii, Handler handler) {
        int pipe = indexOf(b, (byte) '|', from, to);
        if (pipe < 0) {
            failure = "expected name:value|type";
            return ParseError.MALFORMED;
        }
        int colon = indexOf(b, (byte) ':', from, pipe);
        if (colon <= from) {
            failure = colon < 0 ? "expected name:value|type" : "empty metric name";
            return ParseError.MALFORMED;
        }
        if (colon - from > limits.maxNameLength()) {
            failure = "metric name longer than " + limits.maxNameLength() + " bytes";
            return ParseError.NAME_TOO_LONG;
        }
        int valueFrom = colon + 1;
        int valueTo = pipe;
        if (valueFrom >= valueTo) {
            failure = "no value";
            return ParseError.MISSING_VALUE;
        }
        int typeTo = indexOf(b, (byte) '|', pipe + 1, to);
        typeTo = typeTo < 0 ? to : typeTo;
        StatsdType type = StatsdType.of(b, pipe + 1, typeTo);
        if (type == null) {
            failure = "unknown type \"" + cut(text(b, pipe + 1, typeTo, ascii)) + "\" (expected c, g, ms, h, s or d)";
            return ParseError.BAD_TYPE;
        }

        double rate = 1;
        int rateFrom = -1;
        int rateTo = -1;
        long timestamp = 0;
        TagSet tags = TagSet.EMPTY;
        int field = typeTo;
        while (field < to) {
            int fieldFrom = field + 1;
            int fieldTo = indexOf(b, (byte) '|', fieldFrom, to);
            fieldTo = fieldTo < 0 ? to : fieldTo;
            if (fieldFrom < fieldTo) {
                byte first = b[fieldFrom];
                if (first == '@') {
                    rateFrom = fieldFrom + 1;
                    rateTo = fieldTo;
                    rate = parseNumber(b, rateFrom, rateTo);
                    if (!Double.isFinite(rate)) {
                        failure = "sample rate \"" + cut(text(b, rateFrom, rateTo, ascii)) + "\" is not a number";
                        return ParseError.BAD_SAMPLE_RATE;
                    }
                } else if (first == '#') {
                    tags = tags(b, fieldFrom + 1, fieldTo, ascii);
                    if (tags == null) {
                        return tagError;
                    }
                } else if (first == 'T') {
                    timestamp = parsePositiveLong(b, fieldFrom + 1, fieldTo);
                    if (timestamp <= 0) {
                        failure = "timestamp \"" + cut(text(b, fieldFrom + 1, fieldTo, ascii))
                                + "\" is not a positive number of seconds";
                        return ParseError.BAD_TIMESTAMP;
                    }
                } else {
                    // Unknown fields are ignored, as the Agent does: newer clients may send more.
                    originField(b, fieldFrom, fieldTo, ascii);
                }
            }
            field = fieldTo;
        }

        String unusableRate = unusableRate(type, rate, timestamp);
        if (unusableRate != null) {
            failure = "sample rate \"" + cut(text(b, rateFrom, rateTo, ascii)) + "\" " + unusableRate;
            return ParseError.BAD_SAMPLE_RATE;
        }

        String member = "";
        int count = 0;
        if (type == StatsdType.SET) {
            member = text(b, valueFrom, valueTo, ascii);
        } else {
            int v = valueFrom;
            while (v < valueTo) {
                int vEnd = indexOf(b, (byte) ':', v, valueTo);
                vEnd = vEnd < 0 ? valueTo : vEnd;
                if (vEnd > v) { // "1::2" skips the empty value
                    double value = parseNumber(b, v, vEnd);
                    if (Double.isInfinite(value) || Double.isNaN(value) && isNonFiniteWord(b, v, vEnd)) {
                        failure = "value \"" + cut(text(b, v, vEnd, ascii)) + "\" is not finite";
                        return ParseError.NON_FINITE;
                    }
                    if (Double.isNaN(value)) {
                        failure = "value \"" + cut(text(b, v, vEnd, ascii)) + "\" is not a number";
                        return ParseError.BAD_VALUE;
                    }
                    if (count == valueScratch.length) {
                        valueScratch = java.util.Arrays.copyOf(valueScratch, count * 2);
                    }
                    valueScratch[count++] = value;
                }
                v = vEnd + 1;
            }
            if (count == 0) {
                failure = "no value";
                return ParseError.MISSING_VALUE;
            }
        }
        handler.metric(sample.fill(name(b, from, colon, ascii), type, valueScratch, count, member, rate, tags,
                timestamp, origin()));
        return null;
    }

    /**
     * Why a rate the Agent's parser accepts (any number) cannot weigh this sample, or null. Gauges, sets and
     * timestamped samples ignore the rate, and distributions take one outside (0, 1] as 1, as the Agent does; a count
     * divides by it and a histogram weighs each value {@code int(1 / rate)}, so there the Agent would send an
     * infinite count (rate 0) or negative counts and weights (a negative rate).
     */
    private static String unusableRate(StatsdType type, double rate, long timestamp) {
        if (timestamp > 0) {
            return null;
        }
        if (type == StatsdType.COUNT && rate <= 0) {
            return "cannot weigh a count: it must be above 0";
        }
        if ((type == StatsdType.HISTOGRAM || type == StatsdType.TIMING) && rate < 0) {
            return "cannot weigh a histogram: it must not be negative";
        }
        return null;
    }

    private String name(byte[] b, int from, int to, boolean ascii) {
        String name = nameCache.get(b, from, to);
        if (name == null) {
            name = text(b, from, to, ascii);
            nameCache.put(b, from, to, name, stringBytes(name));
        }
        return name;
    }

    /** The tags of {@code #a,b:c}; null (with {@link #tagError} and {@link #failure} set) when they break a limit. */
    private TagSet tags(byte[] b, int from, int to, boolean ascii) {
        if (from >= to) {
            return TagSet.EMPTY;
        }
        TagSet cached = tagCache.get(b, from, to);
        if (cached != null) {
            return cached;
        }
        String raw = text(b, from, to, ascii);
        tagScratch.clear();
        int start = 0;
        int length = raw.length();
        while (start <= length) {
            int comma = raw.indexOf(',', start);
            int end = comma < 0 ? length : comma;
            if (end > start) {
                String tag = raw.substring(start, end);
                if (tag.charAt(0) == ':') {
                    tagError = ParseError.BAD_TAGS;
                    failure = "tag \"" + cut(tag) + "\" has no name";
                    return null;
                }
                if (tag.length() > limits.maxTagLength()) {
                    tagError = ParseError.BAD_TAGS;
                    failure = "a tag is longer than " + limits.maxTagLength() + " characters";
                    return null;
                }
                tagScratch.add(tag);
                if (tagScratch.size() > limits.maxTags()) {
                    tagError = ParseError.TOO_MANY_TAGS;
                    failure = "more than " + limits.maxTags() + " tags";
                    return null;
                }
            }
            start = end + 1;
        }
        TagSet parsed = TagSet.of(tagScratch);
        tagCache.put(b, from, to, parsed, parsed.heapBytes());
        return parsed;
    }

    /** Takes a {@code c:}, {@code e:} or {@code card:} field into the message's origin; false for any other. */
    private boolean originField(byte[] b, int from, int to, boolean ascii) {
        if (startsWith(b, from, to, "c:")) {
            originContainer = containerCache.get(b, from + 2, to);
            if (originContainer == null) {
                originContainer = containerId(text(b, from + 2, to, ascii));
                containerCache.put(b, from + 2, to, originContainer, stringBytes(originContainer));
            }
        } else if (startsWith(b, from, to, "e:")) {
            originExternal = text(b, from + 2, to, ascii);
        } else if (startsWith(b, from, to, "card:")) {
            originCardinality = cardinality(text(b, from + 5, to, ascii));
        } else {
            return false;
        }
        return true;
    }

    private Origin origin() {
        Origin origin = new Origin(originContainer, originExternal, originCardinality);
        return origin.isEmpty() ? Origin.NONE : origin;
    }

    /** {@code c:} is {@code ci-<id>}, {@code in-<inode>}, both comma-separated, or a bare id (older clients). */
    static String containerId(String local) {
        for (String part : local.split(",")) {
            if (part.startsWith("ci-")) {
                return part.substring(3);
            }
        }
        return local.startsWith("in-") || local.contains(",") ? "" : local;
    }

    private static Origin.TagCardinality cardinality(String value) {
        return switch (value) {
            case "none" -> Origin.TagCardinality.NONE;
            case "low" -> Origin.TagCardinality.LOW;
            case "orchestrator" -> Origin.TagCardinality.ORCHESTRATOR;
            case "high" -> Origin.TagCardinality.HIGH;
            default -> Origin.TagCardinality.DEFAULT; // unknown values are ignored, as in the Agent
        };
    }

    // ------------------------------------------------------------------------------------------------ events

    private boolean parseEvent(byte[] b, int from, int to, boolean ascii, Handler handler) {
        int p = from + 3;
        int comma = indexOf(b, (byte) ',', p, to);
        int brace = comma < 0 ? -1 : indexOf(b, (byte) '}', comma, to);
        if (comma < 0 || brace < 0 || brace + 1 >= to || b[brace + 1] != ':') {
            failure = "expected _e{<title length>,<text length>}:<title>|<text>";
            return false;
        }
        long titleLength = parsePositiveLong(b, p, comma);
        long textLength = comma + 1 == brace ? -1 : parseNonNegativeLong(b, comma + 1, brace);
        if (titleLength <= 0 || textLength < 0) {
            failure = "the lengths in _e{...} must be whole numbers, the title's above zero";
            return false;
        }
        int titleFrom = brace + 2;
        long titleTo = titleFrom + titleLength;
        long textFrom = titleTo + 1;
        long textTo = textFrom + textLength;
        if (textTo > to || b[(int) titleTo] != '|') {
            failure = "the title and text are shorter than the lengths in _e{...} say (lengths count UTF-8 bytes)";
            return false;
        }
        if (textTo < to && b[(int) textTo] != '|') {
            failure = "the text is longer than the length in _e{...} says";
            return false;
        }
        String title = unescapeNewlines(text(b, titleFrom, (int) titleTo, ascii));
        String text = unescapeNewlines(text(b, (int) textFrom, (int) textTo, ascii));
        long timestamp = 0;
        String host = "";
        String aggregationKey = "";
        String sourceType = "";
        Event.Priority priority = Event.Priority.NORMAL;
        Event.AlertType alertType = Event.AlertType.INFO;
        TagSet tags = TagSet.EMPTY;
        int field = (int) textTo;
        while (field < to) {
            int fieldFrom = field + 1;
            int fieldTo = indexOf(b, (byte) '|', fieldFrom, to);
            fieldTo = fieldTo < 0 ? to : fieldTo;
            if (originField(b, fieldFrom, fieldTo, ascii)) {
                field = fieldTo;
                continue;
            }
            if (fieldTo - fieldFrom >= 2 && b[fieldFrom + 1] == ':' || fieldFrom < fieldTo && b[fieldFrom] == '#') {
                String value = b[fieldFrom] == '#' ? "" : text(b, fieldFrom + 2, fieldTo, ascii);
                switch (b[fieldFrom]) {
                    case 'd' -> timestamp = Math.max(0, parsePositiveLong(b, fieldFrom + 2, fieldTo));
                    case 'h' -> host = value;
                    case 'k' -> aggregationKey = value;
                    case 's' -> sourceType = value;
                    case 'p' -> priority = "low".equals(value) ? Event.Priority.LOW : Event.Priority.NORMAL;
                    case 't' -> alertType = switch (value) {
                        case "error" -> Event.AlertType.ERROR;
                        case "warning" -> Event.AlertType.WARNING;
                        case "success" -> Event.AlertType.SUCCESS;
                        default -> Event.AlertType.INFO;
                    };
                    case '#' -> {
                        tags = tags(b, fieldFrom + 1, fieldTo, ascii);
                        if (tags == null) {
                            return false;
                        }
                    }
                    default -> { }
                }
            }
            field = fieldTo;
        }
        handler.event(new Event(title, text, timestamp > 0 ? timestamp : nowSeconds.getAsLong(), alertType,
                priority, sourceType, aggregationKey, tags, host), origin());
        return true;
    }

    private static String unescapeNewlines(String text) {
        return text.indexOf('\\') < 0 ? text : text.replace("\\n", "\n");
    }

    // ------------------------------------------------------------------------------------------------ service checks

    private boolean parseServiceCheck(byte[] b, int from, int to, boolean ascii, Handler handler) {
        if (to - from < 4 || b[from + 3] != '|') {
            failure = "expected _sc|<name>|<status>";
            return false;
        }
        int nameFrom = from + 4;
        int nameTo = indexOf(b, (byte) '|', nameFrom, to);
        if (nameTo < 0 || nameTo == nameFrom) {
            failure = nameTo < 0 ? "expected _sc|<name>|<status>" : "empty service check name";
            return false;
        }
        int statusTo = indexOf(b, (byte) '|', nameTo + 1, to);
        statusTo = statusTo < 0 ? to : statusTo;
        if (statusTo - nameTo != 2 || b[nameTo + 1] < '0' || b[nameTo + 1] > '3') {
            failure = "status \"" + cut(text(b, nameTo + 1, statusTo, ascii)) + "\" is not 0, 1, 2 or 3";
            return false;
        }
        ServiceCheck.Status status = ServiceCheck.Status.values()[b[nameTo + 1] - '0'];
        long timestamp = 0;
        String host = "";
        String message = "";
        TagSet tags = TagSet.EMPTY;
        int field = statusTo;
        while (field < to) {
            int fieldFrom = field + 1;
            int fieldTo = indexOf(b, (byte) '|', fieldFrom, to);
            fieldTo = fieldTo < 0 ? to : fieldTo;
            if (fieldFrom < fieldTo && b[fieldFrom] == '#') {
                tags = tags(b, fieldFrom + 1, fieldTo, ascii);
                if (tags == null) {
                    return false;
                }
            } else if (!originField(b, fieldFrom, fieldTo, ascii) && fieldTo - fieldFrom >= 2
                    && b[fieldFrom + 1] == ':') {
                String value = text(b, fieldFrom + 2, fieldTo, ascii);
                switch (b[fieldFrom]) {
                    case 'd' -> timestamp = Math.max(0, parsePositiveLong(b, fieldFrom + 2, fieldTo));
                    case 'h' -> host = value;
                    case 'm' -> message = unescapeNewlines(value);
                    default -> { }
                }
            }
            field = fieldTo;
        }
        handler.serviceCheck(new ServiceCheck(text(b, nameFrom, nameTo, ascii), status,
                timestamp > 0 ? timestamp : nowSeconds.getAsLong(), tags, message, host), origin());
        return true;
    }

    // ------------------------------------------------------------------------------------------------ bytes

    /**
     * A decimal number ({@code -1}, {@code 0.25}, {@code 1e3}); NaN when the bytes are not one. Short decimals are
     * computed exactly here (a long mantissa divided by a power of ten is correctly rounded); anything longer goes
     * to {@link Double#parseDouble} once the characters are known to be a plain decimal (Java would also accept
     * {@code 1d} or {@code 0x1p3}, which the Agent does not).
     */
    static double parseNumber(byte[] b, int from, int to) {
        if (from >= to) {
            return Double.NaN;
        }
        int i = from;
        boolean negative = false;
        if (b[i] == '-' || b[i] == '+') {
            negative = b[i] == '-';
            i++;
        }
        long mantissa = 0;
        int digits = 0;
        int fraction = 0;
        boolean dot = false;
        boolean simple = true;
        int start = i;
        for (; i < to; i++) {
            byte c = b[i];
            if (c >= '0' && c <= '9') {
                if (digits < 18) {
                    mantissa = mantissa * 10 + (c - '0');
                    if (mantissa != 0) {
                        digits++;
                    }
                    if (dot) {
                        fraction++;
                    }
                } else {
                    simple = false;
                }
            } else if (c == '.' && !dot) {
                dot = true;
            } else {
                break;
            }
        }
        int mantissaEnd = i;
        if (mantissaEnd == start || mantissaEnd == start + 1 && dot) {
            return Double.NaN; // no digits at all
        }
        if (i < to) {
            if (b[i] != 'e' && b[i] != 'E') {
                return Double.NaN;
            }
            int e = i + 1;
            if (e < to && (b[e] == '-' || b[e] == '+')) {
                e++;
            }
            if (e == to) {
                return Double.NaN;
            }
            for (int k = e; k < to; k++) {
                if (b[k] < '0' || b[k] > '9') {
                    return Double.NaN;
                }
            }
            simple = false;
        }
        if (simple && mantissa < (1L << 53) && fraction < POW10.length) {
            double value = fraction == 0 ? mantissa : mantissa / POW10[fraction];
            return negative ? -value : value;
        }
        return Double.parseDouble(new String(b, from, to - from, StandardCharsets.ISO_8859_1));
    }

    private static boolean isNonFiniteWord(byte[] b, int from, int to) {
        String word = new String(b, from, to - from, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
        if (word.startsWith("+") || word.startsWith("-")) {
            word = word.substring(1);
        }
        return word.equals("nan") || word.equals("inf") || word.equals("infinity");
    }

    /** A whole number above zero, or -1. */
    private static long parsePositiveLong(byte[] b, int from, int to) {
        long value = parseNonNegativeLong(b, from, to);
        return value > 0 ? value : -1;
    }

    private static long parseNonNegativeLong(byte[] b, int from, int to) {
        if (from >= to || to - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            if (b[i] < '0' || b[i] > '9') {
                return -1;
            }
            value = value * 10 + (b[i] - '0');
        }
        return value;
    }

    private boolean validUtf8(byte[] b, int from, int to) {
        try {
            utf8.reset().decode(ByteBuffer.wrap(b, from, to - from));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static String text(byte[] b, int from, int to, boolean ascii) {
        return new String(b, from, to - from, ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    /** The line as a log may quote it: cut, and with control bytes escaped (a client must not forge log lines). */
    private static String excerpt(byte[] b, int from, int to, boolean valid) {
        int end = Math.min(to, from + EXCERPT);
        String shown = valid ? new String(b, from, end - from, StandardCharsets.UTF_8)
                : new String(b, from, end - from, StandardCharsets.UTF_8).replace('\uFFFD', '?');
        return "\"" + SafeText.escape(shown) + (end < to ? "...\" (" + (to - from) + " bytes)" : "\"");
    }

    private static String cut(String text) {
        return SafeText.excerpt(text, 40);
    }

    private static boolean startsWith(byte[] b, int from, int to, String prefix) {
        if (to - from < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (b[from + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] b, byte target, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == target) {
                return i;
            }
        }
        return -1;
    }

    /** Estimated heap bytes of a compact string: header, value array and characters. */
    static long stringBytes(String text) {
        return 48 + text.length();
    }
}
