package io.pilotfish.collector.apm.stats;

import java.util.Locale;
import java.util.Map;

/**
 * The HTTP and gRPC status codes of a span as the Agent finds them for its stats (the {@code http.status_code} and
 * {@code rpc.grpc.status_code} concepts of its semantic registry, {@code semantics/mappings.json}): each concept's keys
 * in order, a string key read from {@code meta}, a numeric one from {@code metrics} when its value is a whole number;
 * the first key found decides.
 */
final class StatusCodes {

    private static final String[] HTTP_KEYS = {"http.status_code", "http.response.status_code"};
    private static final String[] GRPC_KEYS = {"rpc.grpc.status_code", "grpc.code", "rpc.grpc.status.code",
        "grpc.status.code"};
    private static final String RPC_RESPONSE_STATUS = "rpc.response.status_code";

    /** Spellings tracers use that are not the enum names of {@code google.rpc.Code}. */
    private static final Map<String, String> GRPC_ALIASES = Map.ofEntries(
            Map.entry("CANCELLED", "1"), Map.entry("CANCELED", "1"), Map.entry("INVALIDARGUMENT", "3"),
            Map.entry("DEADLINEEXCEEDED", "4"), Map.entry("NOTFOUND", "5"), Map.entry("ALREADYEXISTS", "6"),
            Map.entry("PERMISSIONDENIED", "7"), Map.entry("RESOURCEEXHAUSTED", "8"),
            Map.entry("FAILEDPRECONDITION", "9"), Map.entry("OUTOFRANGE", "11"), Map.entry("DATALOSS", "15"));
    /** {@code google.rpc.Code} by enum name. */
    private static final Map<String, String> GRPC_CODES = Map.ofEntries(
            Map.entry("OK", "0"), Map.entry("CANCELLED", "1"), Map.entry("UNKNOWN", "2"),
            Map.entry("INVALID_ARGUMENT", "3"), Map.entry("DEADLINE_EXCEEDED", "4"), Map.entry("NOT_FOUND", "5"),
            Map.entry("ALREADY_EXISTS", "6"), Map.entry("PERMISSION_DENIED", "7"),
            Map.entry("RESOURCE_EXHAUSTED", "8"), Map.entry("FAILED_PRECONDITION", "9"), Map.entry("ABORTED", "10"),
            Map.entry("OUT_OF_RANGE", "11"), Map.entry("UNIMPLEMENTED", "12"), Map.entry("INTERNAL", "13"),
            Map.entry("UNAVAILABLE", "14"), Map.entry("DATA_LOSS", "15"), Map.entry("UNAUTHENTICATED", "16"));

    private static final double TWO_TO_63 = 0x1p63;
    /** "No whole number here"; -2^63 itself is read as absent, a status code no tracer sends. */
    private static final long NONE = Long.MIN_VALUE;

    private StatusCodes() {
    }

    /**
     * The HTTP status code, as the bits of a uint32: {@code http.status_code} from metrics then meta, then
     * {@code http.response.status_code} likewise; 0 when absent or out of the uint32 range.
     */
    static int http(Map<String, String> meta, Map<String, Double> metrics) {
        for (String key : HTTP_KEYS) {
            long code = wholeMetric(metrics, key);
            if (code == NONE) {
                code = wholeString(meta.get(key));
            }
            if (code != NONE) {
                return code < 0 || code > 0xFFFF_FFFFL ? 0 : (int) code;
            }
        }
        return 0;
    }

    /** The gRPC status code as a decimal string, or "" when absent or not a code the Agent knows. */
    static String grpc(Map<String, String> meta, Map<String, Double> metrics) {
        String raw = null;
        for (String key : GRPC_KEYS) {
            raw = lookup(meta, metrics, key);
            if (raw != null) {
                break;
            }
        }
        if (raw == null) {
            // OTel 1.39 names it rpc.response.status_code, for gRPC only.
            String systemName = meta.get("rpc.system.name");
            boolean grpcByName = "grpc".equals(systemName);
            boolean grpcBySystem = (systemName == null || systemName.isEmpty())
                    && "grpc".equals(meta.get("rpc.system"));
            if (grpcByName || grpcBySystem) {
                raw = lookup(meta, metrics, RPC_RESPONSE_STATUS);
            }
        }
        return raw == null ? "" : parseGrpc(raw);
    }

    /** A key's value: meta when non-empty, else metrics when a whole number (formatted); null when neither. */
    private static String lookup(Map<String, String> meta, Map<String, Double> metrics, String key) {
        String value = meta.get(key);
        if (value != null && !value.isEmpty()) {
            return value;
        }
        long whole = wholeMetric(metrics, key);
        return whole == NONE ? null : Long.toString(whole);
    }

    /** A numeric or named gRPC code made its number: digits, a {@code google.rpc.Code} name, or an alias. */
    static String parseGrpc(String raw) {
        long number = parseUint32(raw);
        if (number >= 0) {
            return Long.toString(number);
        }
        String name = raw.startsWith("StatusCode.") ? raw.substring("StatusCode.".length()) : raw;
        String upper = name.toUpperCase(Locale.ROOT);
        String code = GRPC_ALIASES.get(upper);
        if (code == null) {
            code = GRPC_CODES.get(upper);
        }
        return code == null ? "" : code;
    }

    /** A metric that is a whole number in the int64 range, or {@link #NONE}. */
    private static long wholeMetric(Map<String, Double> metrics, String key) {
        Double value = metrics.get(key);
        return value == null ? NONE : whole(value);
    }

    /** Go's {@code ParseInt(s, 10, 64)}, else a decimal float that is a whole number; {@link #NONE} when neither. */
    private static long wholeString(String s) {
        if (s == null || s.isEmpty()) {
            return NONE;
        }
        int start = s.charAt(0) == '+' || s.charAt(0) == '-' ? 1 : 0;
        if (start < s.length() && start + 19 >= s.length() && allDigits(s, start, s.length())) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                // 19 digits over the int64 range: read as a float below, as Go's fallback does
            }
        }
        return isDecimalFloat(s) ? whole(Double.parseDouble(s)) : NONE;
    }

    private static long whole(double v) {
        if (!(v > -TWO_TO_63 && v < TWO_TO_63) || v != Math.rint(v)) {
            return NONE;
        }
        return (long) v;
    }

    /** {@code ParseUint(s, 10, 32)}: ASCII digits only, at most 2^32-1; -1 otherwise. */
    private static long parseUint32(String s) {
        if (s.isEmpty() || s.length() > 20 || !allDigits(s, 0, s.length())) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            v = v * 10 + (s.charAt(i) - '0');
            if (v > 0xFFFF_FFFFL) {
                return -1;
            }
        }
        return v;
    }

    private static boolean allDigits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** {@code [+-]digits[.digits][(e|E)[+-]digits]} with at least one digit before the exponent. */
    private static boolean isDecimalFloat(String s) {
        int i = 0;
        int n = s.length();
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int digits = 0;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
            digits++;
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int exponentDigits = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                exponentDigits++;
            }
            if (exponentDigits == 0) {
                return false;
            }
        }
        return i == n;
    }
}
