package io.pilotfish.collector.apm.obfuscate;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.HttpSettings;

/**
 * The Datadog Agent's {@code http.url} obfuscation ({@code pkg/obfuscate/http.go}): the user-info always goes
 * ({@code http://user:pw@host/} gives {@code http://host/}); with {@code remove_query_string} the query is cut to a
 * bare {@code ?}; with {@code remove_paths_with_digits} each path segment holding a digit becomes {@code ?}. The URL
 * is written back as Go's {@code net/url} writes it. A URL Go cannot parse is returned as it is when both options are
 * off, and as {@code ?} when either is on. Thread-safe; linear in the URL.
 */
public final class UrlObfuscator {

    /** What the Agent writes for a redacted segment before turning it into '?', which the path escaper would encode. */
    private static final String REDACTED = "/REDACTED/";

    private final boolean removeQueryString;
    private final boolean removePathDigits;

    public UrlObfuscator(HttpSettings settings) {
        this.removeQueryString = settings.removeQueryString();
        this.removePathDigits = settings.removePathsWithDigits();
    }

    public String obfuscate(String url) {
        GoUrl parsed = GoUrl.parse(GoUrl.toBytes(url));
        if (!removeQueryString && !removePathDigits) {
            return parsed == null ? url : GoUrl.fromBytes(parsed.format());
        }
        if (parsed == null) {
            return "?"; // better nothing than a URL that may hold what the options are meant to hide
        }
        if (removeQueryString && !parsed.rawQuery.isEmpty()) {
            parsed.forceQuery = true;
            parsed.rawQuery = "";
        }
        if (removePathDigits) {
            parsed.path = redactSegmentsWithDigits(parsed.path);
        }
        return GoUrl.fromBytes(parsed.format().replace(REDACTED, "?"));
    }

    private static String redactSegmentsWithDigits(String path) {
        StringBuilder out = null;
        int start = 0;
        while (start <= path.length()) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            boolean digits = false;
            for (int i = start; i < end && !digits; i++) {
                char c = path.charAt(i);
                digits = c >= '0' && c <= '9';
            }
            if (digits && out == null) {
                out = new StringBuilder(path.length() + 16).append(path, 0, start);
            }
            if (out != null) {
                if (digits) {
                    out.append(REDACTED);
                } else {
                    out.append(path, start, end);
                }
                if (slash >= 0) {
                    out.append('/');
                }
            }
            if (slash < 0) {
                break;
            }
            start = slash + 1;
        }
        return out == null ? path : out.toString();
    }
}
