package io.pilotfish.collector.apm.decode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Payload pieces shared by the decoder tests and the fuzz seeds. */
final class Payloads {

    static final long TRACE_ID = 0x1234_5678_9ABC_DEF0L;
    static final long BIG_SPAN_ID = 0xFEDC_BA98_7654_3210L; // above Long.MAX_VALUE as a uint64

    private Payloads() {
    }

    /** A map in the order given: {@code map("k1", v1, "k2", v2)}. */
    static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    /** A list that may hold nulls. */
    static List<Object> list(Object... values) {
        List<Object> list = new ArrayList<>();
        for (Object v : values) {
            list.add(v);
        }
        return list;
    }

    /** A span with every field of span.proto set, as a tracer's map. */
    static Map<String, Object> fullSpan() {
        return map(
                "service", "billing",
                "name", "servlet.request",
                "resource", "GET /invoices/?",
                "trace_id", TRACE_ID,
                "span_id", BIG_SPAN_ID,
                "parent_id", 42L,
                "start", 1_700_000_000_123_456_789L,
                "duration", 2_500_000L,
                "error", 1,
                "meta", map("http.method", "GET", "env", "prod", "_dd.p.tid", "6650a0f500000000"),
                "metrics", map("_sampling_priority_v1", 1.0, "_top_level", 1, "http.status_code", 500.0),
                "type", "web",
                "meta_struct", map("appsec", new byte[] {(byte) 0x81, (byte) 0xA1, 'k', 0x01}),
                "span_links", list(map(
                        "trace_id", 11L,
                        "trace_id_high", 12L,
                        "span_id", 13L,
                        "attributes", map("link.kind", "follows"),
                        "tracestate", "dd=s:1",
                        "flags", 0x8000_0001L)),
                "span_events", list(map(
                        "time_unix_nano", 1_700_000_000_200_000_000L,
                        "name", "exception",
                        "attributes", map(
                                "message", map("type", 0, "string_value", "boom"),
                                "handled", map("type", 1, "bool_value", true),
                                "count", map("type", 2, "int_value", -7L),
                                "ratio", map("type", 3, "double_value", 0.25),
                                "lines", map("type", 4, "array_value", map("values", list(
                                        map("type", 2, "int_value", 10),
                                        map("type", 0, "string_value", "x")))))))
        );
    }

    /** A short web span: the common fields only. */
    static Map<String, Object> webSpan(long spanId, long parentId) {
        return map(
                "service", "web", "name", "http.request", "resource", "GET /", "trace_id", 7L, "span_id", spanId,
                "parent_id", parentId, "start", 1_000L, "duration", 10L, "error", 0,
                "meta", map("env", "prod"), "metrics", map("_top_level", 1.0), "type", "web");
    }

    /** {@code [[full span, web span], [web span]]} as v0.4 msgpack. */
    static byte[] v04() {
        return new MsgpackWriter().value(list(list(fullSpan(), webSpan(2, 1)), list(webSpan(3, 0)))).bytes();
    }

    /** A v0.5 payload: two traces, three spans, meta and metrics through the dictionary. */
    static byte[] v05() {
        List<Object> dictionary = list("", "web", "http.request", "GET /", "env", "prod", "_top_level", "db",
                "SELECT ?");
        List<Object> root = list(1, 2, 3, 7L, 1L, 0L, 1_000L, 50L, 0, map(), map(), 0);
        List<Object> child = list(7, 7, 8, 7L, 2L, 1L, 1_010L, 20L, 1, map(), map(), 7);
        List<Object> other = list(1, 2, 3, 9L, 5L, 0L, 2_000L, 5L, 0, map(), map(), 0);
        MsgpackWriter w = new MsgpackWriter().array(2).value(dictionary).array(2);
        w.array(2);
        writeV05Span(w, root, 4, 5, 6, 1.0);
        writeV05Span(w, child, -1, -1, -1, 0);
        w.array(1);
        writeV05Span(w, other, 4, 5, -1, 0);
        return w.bytes();
    }

    /** A span array with integer-keyed meta and metrics (-1: none), which {@link MsgpackWriter#value} cannot write. */
    static void writeV05Span(MsgpackWriter w, List<Object> fields, int metaKey, int metaValue, int metricKey,
                             double metric) {
        w.array(12);
        for (int i = 0; i < 9; i++) {
            w.value(fields.get(i));
        }
        if (metaKey >= 0) {
            w.map(1).integer(metaKey).integer(metaValue);
        } else {
            w.map(0);
        }
        if (metricKey >= 0) {
            w.map(1).integer(metricKey).float64(metric);
        } else {
            w.map(0);
        }
        w.value(fields.get(11));
    }

    /** A v0.7 TracerPayload with two chunks. */
    static Map<String, Object> v07Payload() {
        return map(
                "container_id", "abc123",
                "language_name", "go",
                "language_version", "go1.22",
                "tracer_version", "v1.65.0",
                "runtime_id", "0b8a-11",
                "chunks", list(
                        map("priority", 2, "origin", "synthetics", "spans", list(fullSpan(), webSpan(2, 1)),
                                "tags", map("_dd.p.dm", "-4"), "dropped_trace", false),
                        map("priority", -1, "origin", "", "spans", list(webSpan(5, 0)), "tags", map(),
                                "dropped_trace", true)),
                "tags", map("_dd.tags.process", "entrypoint.name:app"),
                "env", "prod",
                "hostname", "ip-10-0-0-1",
                "app_version", "1.2.3");
    }

    static byte[] v07() {
        return new MsgpackWriter().value(v07Payload()).bytes();
    }
}
