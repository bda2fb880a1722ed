package io.pilotfish.collector.apm.normalize;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The trace-agent's string rules for span fields and tags ({@code traceutil/normalize}): tag and tag-value
 * normalisation, metric-style operation names, services with their language fallback, and truncation to a number of
 * UTF-8 bytes on a character boundary.
 *
 * <p>The Agent measures lengths in UTF-8 bytes, so these methods do too, while working on Java strings. A lone
 * surrogate (which a Java string may hold but UTF-8 cannot) is treated as U+FFFD, three bytes and not a letter.
 */
public final class TraceStrings {

    /** The name given to a span without a usable one. */
    public static final String DEFAULT_SPAN_NAME = "unnamed_operation";
    /** The service given to a span without a usable one when the tracer's language is unknown. */
    public static final String DEFAULT_SERVICE_NAME = "unnamed-service";
    /** Span names longer than this many UTF-8 bytes are truncated. */
    public static final int MAX_NAME_BYTES = 100;
    /** Services (and {@code peer.service}, {@code _dd.base_service}) longer than this are truncated. */
    public static final int MAX_SERVICE_BYTES = 100;
    /** Span types longer than this are truncated. */
    public static final int MAX_TYPE_BYTES = 100;
    /** A normalised tag keeps at most this many characters. */
    public static final int MAX_TAG_CHARS = 200;

    /** The normaliser stops reading a tag after this many bytes, whatever it kept: mostly-illegal tags are junk. */
    private static final int MAX_TAG_SCAN_BYTES = 2 * MAX_TAG_CHARS;
    private static final int LONE_SURROGATE_BYTES = 3;

    /** Fallback services by language; the language comes from a request header, so the cache is bounded. */
    private static final Map<String, String> FALLBACK_SERVICES = new ConcurrentHashMap<>();
    private static final int MAX_CACHED_FALLBACKS = 64;

    private TraceStrings() {
    }

    // ---- tags --------------------------------------------------------------------------------------------------

    /**
     * A whole tag ({@code key:value}) as the backend accepts it: lower case, only letters, digits, {@code : . / -},
     * runs of anything else turned into one {@code _} (dropped at the end), at most {@value #MAX_TAG_CHARS}
     * characters, and starting with a letter or {@code :} (anything before is dropped). Returns {@code v} itself when
     * it is already normal.
     */
    public static String normalizeTag(String v) {
        return normalize(v, true);
    }

    /**
     * A tag value, e.g. a service or an env: the rules of {@link #normalizeTag} except that it may start with any
     * allowed character (a digit, {@code _} for a leading illegal run). Returns {@code v} itself when already normal.
     */
    public static String normalizeTagValue(String v) {
        return normalize(v, false);
    }

    private static String normalize(String v, boolean letterStart) {
        if (isNormalAsciiTag(v, letterStart)) {
            return v;
        }
        StringBuilder out = new StringBuilder(Math.min(v.length(), MAX_TAG_SCAN_BYTES));
        int chars = 0;
        int bytes = 0;
        boolean illegalRun = false;
        int i = 0;
        while (i < v.length()) {
            char c = v.charAt(i);
            int cp;
            int width;
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < v.length() && Character.isLowSurrogate(v.charAt(i + 1))) {
                    cp = Character.toCodePoint(c, v.charAt(i + 1));
                    width = 4;
                    i += 2;
                } else {
                    cp = 0xFFFD;
                    width = LONE_SURROGATE_BYTES;
                    i++;
                }
            } else {
                cp = c;
                width = utf8Width(c);
                i++;
            }
            bytes += width;

            boolean keep;
            if ((cp >= 'a' && cp <= 'z') || cp == ':') {
                keep = true;
            } else if (cp >= 'A' && cp <= 'Z') {
                cp += 'a' - 'A';
                keep = true;
            } else {
                if (Character.getType(cp) == Character.UPPERCASE_LETTER) {
                    int lower = Character.toLowerCase(cp);
                    // only a same-width lower case, as the Agent lower-cases in place in the UTF-8 bytes
                    if (utf8Width(lower) == width) {
                        cp = lower;
                    }
                }
                if (Character.isLetter(cp)) {
                    keep = true;
                } else if (letterStart && chars == 0) {
                    // dropped before the first kept character; counts toward nothing but the bytes read
                    if (bytes >= MAX_TAG_SCAN_BYTES) {
                        break;
                    }
                    continue;
                } else {
                    keep = Character.isDigit(cp) || cp == '.' || cp == '/' || cp == '-';
                }
            }
            chars++;
            if (keep) {
                if (illegalRun) {
                    out.append('_');
                    illegalRun = false;
                }
                out.appendCodePoint(cp);
            } else {
                illegalRun = true;
            }
            if (bytes >= MAX_TAG_SCAN_BYTES || chars >= MAX_TAG_CHARS) {
                break;
            }
        }
        // an illegal run at the end is dropped rather than turned into '_'
        return out.toString();
    }

    /** The Agent's fast path: only ASCII tag characters, {@code _} only between two of them, short enough. */
    private static boolean isNormalAsciiTag(String tag, boolean letterStart) {
        int n = tag.length();
        if (n == 0) {
            return true;
        }
        if (n > MAX_TAG_CHARS) {
            return false;
        }
        int i = 0;
        if (letterStart) {
            char first = tag.charAt(0);
            if (!((first >= 'a' && first <= 'z') || first == ':')) {
                return false;
            }
            i = 1;
        }
        for (; i < n; i++) {
            char c = tag.charAt(i);
            if (isAsciiTagChar(c)) {
                continue;
            }
            if (c != '_') {
                return false;
            }
            i++;
            if (i == n || !isAsciiTagChar(tag.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiTagChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '/' || c == '-';
    }

    // ---- names and services ------------------------------------------------------------------------------------

    /** The span name as the Agent normalises it, whatever the outcome; see {@link SpanNormalizer} for the counts. */
    public static String normalizeName(String name) {
        return normalizeName(name, null);
    }

    /**
     * @param stats where to count {@code span_name_empty}, {@code span_name_truncate}, {@code span_name_invalid};
     *              null to count nothing
     */
    static String normalizeName(String name, NormalizationStats stats) {
        if (name.isEmpty()) {
            count(stats, SpanFix.SPAN_NAME_EMPTY);
            return DEFAULT_SPAN_NAME;
        }
        boolean truncated = false;
        if (exceedsUtf8(name, MAX_NAME_BYTES)) {
            name = truncateUtf8(name, MAX_NAME_BYTES);
            truncated = true;
        }
        String normal = normalizeMetricName(name);
        if (normal == null) {
            count(stats, SpanFix.SPAN_NAME_INVALID);
            return DEFAULT_SPAN_NAME;
        }
        if (truncated) {
            count(stats, SpanFix.SPAN_NAME_TRUNCATE);
        }
        return normal;
    }

    /**
     * A metric-style name: from the first ASCII letter on, ASCII letters and digits kept, every other run turned into
     * one {@code _}, {@code _.} into {@code .}, no {@code _} after {@code .}, no {@code _} at the end. Null when the
     * name has no ASCII letter.
     */
    static String normalizeMetricName(String name) {
        int n = name.length();
        int start = 0;
        while (start < n && !isAsciiLetter(name.charAt(start))) {
            start++;
        }
        if (start == n) {
            return null;
        }
        if (isNormalMetricName(name, start)) {
            int end = name.charAt(n - 1) == '_' ? n - 1 : n;
            return start == 0 && end == n ? name : name.substring(start, end);
        }
        char[] out = new char[n - start];
        int p = 0;
        for (int i = start; i < n; i++) {
            char c = name.charAt(i);
            if (isAsciiLetter(c) || (c >= '0' && c <= '9')) {
                out[p++] = c;
            } else if (c == '.') {
                if (out[p - 1] == '_') {
                    out[p - 1] = '.';
                } else {
                    out[p++] = '.';
                }
            } else if (out[p - 1] != '.' && out[p - 1] != '_') {
                out[p++] = '_';
            }
        }
        if (out[p - 1] == '_') {
            p--;
        }
        return new String(out, 0, p);
    }

    /** The Agent's fast path for names: letters, digits, and {@code .} or {@code _} not after a {@code _}. */
    private static boolean isNormalMetricName(String name, int start) {
        for (int j = start + 1; j < name.length(); j++) {
            char c = name.charAt(j);
            boolean ok = isAsciiLetter(c) || (c >= '0' && c <= '9')
                    || ((c == '.' || c == '_') && name.charAt(j - 1) != '_');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** The service as the Agent normalises it, whatever the outcome; see {@link SpanNormalizer} for the counts. */
    public static String normalizeService(String service, String lang) {
        return normalizeService(service, lang, null);
    }

    /**
     * @param lang  the tracer's language ({@code Datadog-Meta-Lang}), for the fallback {@code unnamed-<lang>-service}
     * @param stats where to count {@code service_empty}, {@code service_truncate}, {@code service_invalid}; or null
     */
    static String normalizeService(String service, String lang, NormalizationStats stats) {
        if (service.isEmpty()) {
            count(stats, SpanFix.SERVICE_EMPTY);
            return fallbackService(lang);
        }
        boolean truncated = false;
        if (exceedsUtf8(service, MAX_SERVICE_BYTES)) {
            service = truncateUtf8(service, MAX_SERVICE_BYTES);
            truncated = true;
        }
        String normal = normalizeTagValue(service);
        if (normal.isEmpty()) {
            count(stats, SpanFix.SERVICE_INVALID);
            return fallbackService(lang);
        }
        if (truncated) {
            count(stats, SpanFix.SERVICE_TRUNCATE);
        }
        return normal;
    }

    /** {@code peer.service} or {@code _dd.base_service}: a service, but empty stays empty and is the fallback. */
    public static String normalizePeerService(String service) {
        return normalizePeerService(service, null, null, null);
    }

    static String normalizePeerService(String service, NormalizationStats stats, SpanFix truncate, SpanFix invalid) {
        if (service.isEmpty()) {
            return service;
        }
        boolean truncated = false;
        if (exceedsUtf8(service, MAX_SERVICE_BYTES)) {
            service = truncateUtf8(service, MAX_SERVICE_BYTES);
            truncated = true;
        }
        String normal = normalizeTagValue(service);
        if (normal.isEmpty()) {
            count(stats, invalid);
            return normal;
        }
        if (truncated) {
            count(stats, truncate);
        }
        return normal;
    }

    /**
     * {@code unnamed-<lang>-service}, or {@value #DEFAULT_SERVICE_NAME} without a language. The language is used as
     * the tracer sent it, not normalised, as the Agent does.
     */
    public static String fallbackService(String lang) {
        if (lang == null || lang.isEmpty()) {
            return DEFAULT_SERVICE_NAME;
        }
        String cached = FALLBACK_SERVICES.get(lang);
        if (cached != null) {
            return cached;
        }
        String fallback = "unnamed-" + lang + "-service";
        if (FALLBACK_SERVICES.size() < MAX_CACHED_FALLBACKS) {
            FALLBACK_SERVICES.putIfAbsent(lang, fallback);
        }
        return fallback;
    }

    private static void count(NormalizationStats stats, SpanFix fix) {
        if (stats != null && fix != null) {
            stats.fixed(fix);
        }
    }

    // ---- UTF-8 lengths -----------------------------------------------------------------------------------------

    /** The number of bytes {@code s} takes in UTF-8 (a lone surrogate counted as U+FFFD). */
    public static int utf8Length(String s) {
        int bytes = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += utf8Width(c);
            }
        }
        return bytes;
    }

    /** Whether {@code s} takes more than {@code limit} bytes in UTF-8; stops reading once it knows. */
    public static boolean exceedsUtf8(String s, int limit) {
        int n = s.length();
        if (n <= limit / 3) {
            return false;
        }
        if (n > limit) {
            return true;
        }
        return utf8Length(s) > limit;
    }

    /**
     * {@code s} cut to at most {@code limit} UTF-8 bytes, never inside a character; {@code s} itself when it fits.
     */
    public static String truncateUtf8(String s, int limit) {
        if (!exceedsUtf8(s, limit)) {
            return s;
        }
        int bytes = 0;
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            int units = 1;
            int width;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                units = 2;
                width = 4;
            } else {
                width = utf8Width(c);
            }
            if (bytes + width > limit) {
                break;
            }
            bytes += width;
            i += units;
        }
        return s.substring(0, i);
    }

    /** The UTF-8 width of a code point, or of a BMP char (a lone surrogate counted as U+FFFD). */
    private static int utf8Width(int cp) {
        if (cp < 0x80) {
            return 1;
        }
        if (cp < 0x800) {
            return 2;
        }
        return cp < 0x10000 ? 3 : 4;
    }
}
