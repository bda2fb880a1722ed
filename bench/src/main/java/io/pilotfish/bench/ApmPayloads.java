package io.pilotfish.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * v0.4 trace payloads ({@code PUT /v0.4/traces}, msgpack {@code [[span, ...], ...]}) shaped like those of
 * dd-trace-java 1.x behind a Spring web service: every trace has 10 spans, a {@code servlet.request} root (meta
 * {@code http.method}, {@code http.url}, {@code http.status_code}, {@code http.route}, {@code component},
 * {@code span.kind}, {@code env}, {@code version}, {@code language}, {@code runtime-id}, {@code _dd.p.dm},
 * {@code _dd.p.tid}; metrics {@code _sampling_priority_v1} = 1, {@code _dd.agent_psr}, {@code _dd.top_level},
 * {@code process_id}, {@code thread.id}), then {@code spring.handler}, two {@code trace.annotation} spans, two
 * {@code postgres.query} spans with literal SQL in the resource and {@code sql.query}, two Redis commands with
 * {@code redis.raw_command}, an OkHttp client call with a query string in {@code http.url}, and a Kafka produce. Six
 * routes; one trace in 50 is an error with an exception's type, message and stack. Used by
 * {@link TracePipelineBenchmark} and {@link ApmLoad}.
 *
 * <p>The bytes are built once; every trace id ({@code uint64}) and span start ({@code int64}) is written in its
 * 9-byte form, and their offsets are kept, so that {@link Payload#stamp} can give a payload new trace ids and current
 * start times in place without re-encoding.
 */
public final class ApmPayloads {

    /** Spans per trace. */
    public static final int SPANS_PER_TRACE = 10;

    private ApmPayloads() {
    }

    /**
     * A payload and where its ids and times are.
     *
     * @param bytes           the msgpack body
     * @param traces          traces in it
     * @param spans           spans in it
     * @param traceIdOffsets  per span, the offset of its trace id's 8 bytes
     * @param startOffsets    per span, the offset of its start's 8 bytes
     * @param relativeStarts  per span, its start relative to the payload's earliest span, in ns
     * @param traceOfSpan     per span, its trace's index
     * @param errorTraces     traces whose root has {@code error = 1}
     */
    public record Payload(byte[] bytes, int traces, int spans, int[] traceIdOffsets, int[] startOffsets,
                          long[] relativeStarts, int[] traceOfSpan, int errorTraces) {

        /**
         * Gives trace {@code t} the id {@code firstTraceId + t} and every span the start {@code baseStartNanos +} its
         * relative start, in place.
         */
        public void stamp(long firstTraceId, long baseStartNanos) {
            for (int s = 0; s < spans; s++) {
                putLong(bytes, traceIdOffsets[s], firstTraceId + traceOfSpan[s]);
                putLong(bytes, startOffsets[s], baseStartNanos + relativeStarts[s]);
            }
        }

        /** The longest a trace of this payload lasts from its earliest span's start to its latest span's end. */
        public long spanWindowNanos() {
            long max = 0;
            for (long start : relativeStarts) {
                max = Math.max(max, start);
            }
            return max + 100_000_000L;
        }
    }

    private static void putLong(byte[] bytes, int at, long value) {
        for (int i = 7; i >= 0; i--) {
            bytes[at + i] = (byte) value;
            value >>>= 8;
        }
    }

    // ---------------------------------------------------------------- what the service does

    /** method | route | path (with %d for an id) | handler | service method. */
    private static final String[] ROUTES_TEXT = {
        "GET|/api/orders/{id}|/api/orders/%d|OrderController.getOrder|OrderService.loadOrder",
        "POST|/api/orders|/api/orders|OrderController.createOrder|OrderService.placeOrder",
        "GET|/api/products/{sku}|/api/products/SKU-%d|ProductController.getProduct|CatalogService.findProduct",
        "GET|/api/cart|/api/cart|CartController.getCart|CartService.loadCart",
        "PUT|/api/cart/items/{itemId}|/api/cart/items/%d|CartController.updateItem|CartService.updateQuantity",
        "GET|/api/customers/{id}/orders|/api/customers/%d/orders|CustomerController.listOrders"
                + "|OrderService.listForCustomer",
    };

    private static final String USER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            + "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private static final String DB_HOST = "shop-db.cluster-c9akciq32.eu-west-1.rds.amazonaws.com";
    private static final String CACHE_HOST = "shop-cache.x1y2z3.ng.0001.euw1.cache.amazonaws.com";
    private static final String RUNTIME_ID = "8f1c6f1e-2b4a-4c55-9a1e-0d6c3f9b7e21";
    private static final String SERVICE = "shop-api";
    private static final String ENV = "prod";
    private static final String VERSION = "2.14.3";
    private static final String STACK;

    static {
        StringBuilder stack = new StringBuilder("java.lang.IllegalStateException: order is locked by another "
                + "checkout\n");
        String[] frames = {
            "com.example.shop.order.OrderService.lockOrder(OrderService.java:214)",
            "com.example.shop.order.OrderService.loadOrder(OrderService.java:97)",
            "com.example.shop.order.OrderController.getOrder(OrderController.java:58)",
            "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
            "java.base/java.lang.reflect.Method.invoke(Method.java:580)",
            "org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)",
            "org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod"
                    + ".java:188)",
            "org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle"
                    + "(ServletInvocableHandlerMethod.java:118)",
            "org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)",
            "org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)",
            "jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)",
            "org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:140)",
            "org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:167)",
            "org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:391)",
            "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1736)",
            "java.base/java.lang.Thread.run(Thread.java:1583)",
        };
        for (String frame : frames) {
            stack.append("\tat ").append(frame).append('\n');
        }
        STACK = stack.toString();
    }

    // ---------------------------------------------------------------- building

    /**
     * {@code traces} traces of 10 spans, the same bytes for the same seed. Trace ids start at 1 and starts at 0 until
     * {@link Payload#stamp} is called.
     */
    public static Payload build(int traces, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Msgpack out = new Msgpack(traces * 6_000);
        int spans = traces * SPANS_PER_TRACE;
        int[] traceIdOffsets = new int[spans];
        int[] startOffsets = new int[spans];
        long[] relativeStarts = new long[spans];
        int[] traceOfSpan = new int[spans];
        int errors = 0;
        int s = 0;
        out.array(traces);
        for (int t = 0; t < traces; t++) {
            boolean error = random.nextInt(50) == 0;
            if (error) {
                errors++;
            }
            // Traces of one payload were started over the tracer's flush interval.
            long traceStart = random.nextLong(80_000_000L);
            out.array(SPANS_PER_TRACE);
            for (SpanSpec span : trace(random, error)) {
                traceOfSpan[s] = t;
                relativeStarts[s] = traceStart + span.offset;
                writeSpan(out, span, s, traceIdOffsets, startOffsets);
                s++;
            }
        }
        return new Payload(out.bytes(), traces, spans, traceIdOffsets, startOffsets, relativeStarts, traceOfSpan,
                errors);
    }

    /** One span before encoding. */
    private static final class SpanSpec {
        String service = SERVICE;
        String name;
        String resource;
        String type;
        long spanId;
        long parentId;
        long offset;
        long duration;
        int error;
        final Map<String, String> meta = new LinkedHashMap<>();
        final Map<String, Object> metrics = new LinkedHashMap<>();
    }

    private static SpanSpec[] trace(SplittableRandom random, boolean error) {
        String[] route = ROUTES_TEXT[random.nextInt(ROUTES_TEXT.length)].split("\\|");
        String method = route[0];
        String path = route[2].contains("%d") ? String.format(route[2], 10_000 + random.nextInt(90_000)) : route[2];
        long orderId = 40_000 + random.nextInt(20_000);
        String customer = "c-" + (10_000 + random.nextInt(90_000));
        String session = Long.toHexString(random.nextLong()).substring(0, 10);
        long threadId = 40 + random.nextInt(160);
        String threadName = "http-nio-8080-exec-" + (1 + random.nextInt(200));
        long total = 8_000_000L + random.nextLong(60_000_000L);
        SpanSpec[] spans = new SpanSpec[SPANS_PER_TRACE];
        long[] ids = new long[SPANS_PER_TRACE];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextLong() >>> 1 | 1;
        }

        SpanSpec root = span(spans, 0, ids, -1, "servlet.request", method + " " + route[1], "web", 0, total);
        root.error = error ? 1 : 0;
        common(root, "tomcat-server", "server", threadName);
        root.meta.put("http.method", method);
        root.meta.put("http.url", "https://shop.example.com" + path + (method.equals("GET") ? "?expand=items"
                + "&locale=en-GB" : ""));
        root.meta.put("http.status_code", error ? "500" : method.equals("POST") ? "201" : "200");
        root.meta.put("http.route", route[1]);
        root.meta.put("http.useragent", USER_AGENT);
        root.meta.put("http.hostname", "shop.example.com");
        root.meta.put("network.client.ip", "10.0." + random.nextInt(256) + "." + random.nextInt(256));
        root.meta.put("peer.ipv4", root.meta.get("network.client.ip"));
        root.meta.put("servlet.context", "/");
        root.meta.put("servlet.path", path);
        root.meta.put("runtime-id", RUNTIME_ID);
        root.meta.put("_dd.p.dm", "-1");
        root.meta.put("_dd.p.tid", "6751a3f4" + "00000000");
        root.meta.put("_dd.git.commit.sha", "4f2a9c1d0b8e7f6a5c4d3e2f1a0b9c8d7e6f5a4b");
        if (error) {
            root.meta.put("error.type", "java.lang.IllegalStateException");
            root.meta.put("error.message", "order " + orderId + " is locked by another checkout");
            root.meta.put("error.stack", STACK);
        }
        root.metrics.put("_sampling_priority_v1", 1);
        root.metrics.put("_dd.agent_psr", 1.0);
        root.metrics.put("_dd.top_level", 1);
        root.metrics.put("_dd.profiling.enabled", 0);
        root.metrics.put("_dd.trace_span_attribute_schema", 0);
        root.metrics.put("_dd.dsm.enabled", 0);
        root.metrics.put("process_id", 4242);
        root.metrics.put("thread.id", threadId);
        root.metrics.put("peer.port", 40_000 + random.nextInt(20_000));

        long t = 600_000;
        SpanSpec handler = span(spans, 1, ids, 0, "spring.handler", route[3], "web", t, total - 1_200_000);
        common(handler, "spring-web-controller", "server", threadName);
        handler.metrics.put("thread.id", threadId);

        t += 200_000;
        SpanSpec service = span(spans, 2, ids, 1, "trace.annotation", route[4], "", t, total / 2);
        common(service, "trace", "internal", threadName);
        service.metrics.put("thread.id", threadId);

        t += 150_000;
        String sql1 = "SELECT o.id, o.status, o.total_cents, o.currency, o.created_at, o.updated_at FROM orders o "
                + "WHERE o.id = " + orderId + " AND o.customer_id = '" + customer + "' FOR UPDATE";
        db(span(spans, 3, ids, 2, "postgres.query", sql1, "sql", t, 900_000 + random.nextLong(4_000_000L)), sql1,
                "SELECT", threadName, threadId);
        t += 5_000_000;
        String sql2 = "SELECT i.sku, i.quantity, i.unit_price_cents, p.name FROM order_items i JOIN products p ON "
                + "p.sku = i.sku WHERE i.order_id IN (" + orderId + ", " + (orderId + 1) + ", " + (orderId + 7)
                + ") ORDER BY i.position LIMIT 100";
        db(span(spans, 4, ids, 2, "postgres.query", sql2, "sql", t, 700_000 + random.nextLong(3_000_000L)), sql2,
                "SELECT", threadName, threadId);

        t += 4_000_000;
        redis(span(spans, 5, ids, 2, "redis.command", "GET", "redis", t, 150_000 + random.nextLong(600_000L)),
                "GET session:" + session, threadName, threadId);

        t += 800_000;
        SpanSpec http = span(spans, 6, ids, 1, "okhttp.request", "GET /v1/inventory/?", "http", t,
                2_000_000L + random.nextLong(10_000_000L));
        common(http, "okhttp", "client", threadName);
        http.meta.put("http.method", "GET");
        http.meta.put("http.url", "http://inventory.internal:8080/v1/inventory/" + orderId
                + "?warehouse=eu-west-1&include=reservations");
        http.meta.put("http.status_code", "200");
        http.meta.put("peer.hostname", "inventory.internal");
        http.meta.put("out.host", "inventory.internal");
        http.metrics.put("peer.port", 8080);
        http.metrics.put("thread.id", threadId);

        t += 12_000_000;
        SpanSpec pricing = span(spans, 7, ids, 1, "trace.annotation", "PricingService.applyDiscounts", "", t,
                300_000 + random.nextLong(2_000_000L));
        common(pricing, "trace", "internal", threadName);
        pricing.metrics.put("thread.id", threadId);

        t += 2_500_000;
        SpanSpec kafka = span(spans, 8, ids, 1, "kafka.produce", "Produce Topic order-events", "queue", t,
                200_000 + random.nextLong(900_000L));
        kafka.service = "kafka";
        common(kafka, "java-kafka", "producer", threadName);
        kafka.meta.put("messaging.system", "kafka");
        kafka.meta.put("messaging.destination.name", "order-events");
        kafka.meta.put("kafka.bootstrap.servers", "b-1.shop-msk.abc123.c4.kafka.eu-west-1.amazonaws.com:9092,"
                + "b-2.shop-msk.abc123.c4.kafka.eu-west-1.amazonaws.com:9092");
        kafka.meta.put("_dd.base_service", SERVICE);
        kafka.metrics.put("kafka.partition", random.nextInt(12));
        kafka.metrics.put("_dd.measured", 1);
        kafka.metrics.put("thread.id", threadId);

        t += 1_200_000;
        redis(span(spans, 9, ids, 1, "redis.command", "SET", "redis", t, 150_000 + random.nextLong(600_000L)),
                "SET session:" + session + " {\"cart\":[{\"sku\":\"SKU-" + orderId + "\",\"qty\":2}]} EX 1800",
                threadName, threadId);
        return spans;
    }

    private static SpanSpec span(SpanSpec[] spans, int index, long[] ids, int parent, String name, String resource,
                                 String type, long offset, long duration) {
        SpanSpec span = new SpanSpec();
        span.name = name;
        span.resource = resource;
        span.type = type;
        span.spanId = ids[index];
        span.parentId = parent < 0 ? 0 : ids[parent];
        span.offset = offset;
        span.duration = duration;
        spans[index] = span;
        return span;
    }

    private static void common(SpanSpec span, String component, String kind, String threadName) {
        span.meta.put("env", ENV);
        span.meta.put("version", VERSION);
        span.meta.put("language", "jvm");
        span.meta.put("component", component);
        span.meta.put("span.kind", kind);
        span.meta.put("thread.name", threadName);
    }

    private static void db(SpanSpec span, String sql, String operation, String threadName, long threadId) {
        span.service = "postgresql";
        common(span, "java-jdbc-prepared_statement", "client", threadName);
        span.meta.put("sql.query", sql);
        span.meta.put("db.type", "postgresql");
        span.meta.put("db.instance", "shop");
        span.meta.put("db.user", "shop_app");
        span.meta.put("db.operation", operation);
        span.meta.put("db.pool.name", "HikariPool-1");
        span.meta.put("peer.hostname", DB_HOST);
        span.meta.put("_dd.base_service", SERVICE);
        span.metrics.put("_dd.measured", 1);
        span.metrics.put("thread.id", threadId);
    }

    private static void redis(SpanSpec span, String raw, String threadName, long threadId) {
        span.service = "redis";
        common(span, "redis-command", "client", threadName);
        span.meta.put("redis.raw_command", raw);
        span.meta.put("db.type", "redis");
        span.meta.put("peer.hostname", CACHE_HOST);
        span.meta.put("out.host", CACHE_HOST);
        span.meta.put("_dd.base_service", SERVICE);
        span.metrics.put("_dd.measured", 1);
        span.metrics.put("out.port", 6379);
        span.metrics.put("thread.id", threadId);
    }

    private static void writeSpan(Msgpack out, SpanSpec span, int index, int[] traceIdOffsets, int[] startOffsets) {
        out.map(12);
        out.str("service").str(span.service);
        out.str("name").str(span.name);
        out.str("resource").str(span.resource);
        out.str("trace_id");
        traceIdOffsets[index] = out.uint64(0) + 1;
        out.str("span_id").uint64(span.spanId);
        out.str("parent_id").uint64(span.parentId);
        out.str("start");
        startOffsets[index] = out.int64(0) + 1;
        out.str("duration").int64(span.duration);
        out.str("error").integer(span.error);
        out.str("meta").map(span.meta.size());
        for (Map.Entry<String, String> e : span.meta.entrySet()) {
            out.str(e.getKey()).str(e.getValue());
        }
        out.str("metrics").map(span.metrics.size());
        for (Map.Entry<String, Object> e : span.metrics.entrySet()) {
            out.str(e.getKey());
            if (e.getValue() instanceof Double d) {
                out.float64(d);
            } else {
                // the Java tracer writes whole-number metrics as msgpack integers
                out.integer(((Number) e.getValue()).longValue());
            }
        }
        out.str("type").str(span.type);
    }

    /** The few msgpack forms the payloads need. */
    static final class Msgpack {
        private byte[] buf;
        private int pos;

        Msgpack(int capacity) {
            buf = new byte[Math.max(64, capacity)];
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, pos);
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        private void u8(int v) {
            buf[pos++] = (byte) v;
        }

        private void be(long v, int bytes) {
            for (int i = bytes - 1; i >= 0; i--) {
                buf[pos++] = (byte) (v >>> (8 * i));
            }
        }

        Msgpack array(int n) {
            ensure(5);
            if (n < 16) {
                u8(0x90 | n);
            } else if (n < 65_536) {
                u8(0xdc);
                be(n, 2);
            } else {
                u8(0xdd);
                be(n, 4);
            }
            return this;
        }

        Msgpack map(int n) {
            ensure(5);
            if (n < 16) {
                u8(0x80 | n);
            } else if (n < 65_536) {
                u8(0xde);
                be(n, 2);
            } else {
                u8(0xdf);
                be(n, 4);
            }
            return this;
        }

        Msgpack str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            ensure(b.length + 5);
            if (b.length < 32) {
                u8(0xa0 | b.length);
            } else if (b.length < 256) {
                u8(0xd9);
                u8(b.length);
            } else if (b.length < 65_536) {
                u8(0xda);
                be(b.length, 2);
            } else {
                u8(0xdb);
                be(b.length, 4);
            }
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        /** Always the 9-byte form; returns where its type byte is. */
        int uint64(long v) {
            ensure(9);
            int at = pos;
            u8(0xcf);
            be(v, 8);
            return at;
        }

        /** Always the 9-byte form; returns where its type byte is. */
        int int64(long v) {
            ensure(9);
            int at = pos;
            u8(0xd3);
            be(v, 8);
            return at;
        }

        /** The shortest integer form, as msgpack writers pick it. */
        Msgpack integer(long v) {
            ensure(9);
            if (v >= 0 && v < 128) {
                u8((int) v);
            } else if (v >= 0 && v < 256) {
                u8(0xcc);
                u8((int) v);
            } else if (v >= 0 && v < 65_536) {
                u8(0xcd);
                be(v, 2);
            } else if (v >= 0 && v < 4_294_967_296L) {
                u8(0xce);
                be(v, 4);
            } else {
                u8(0xd3);
                be(v, 8);
            }
            return this;
        }

        Msgpack float64(double v) {
            ensure(9);
            u8(0xcb);
            be(Double.doubleToRawLongBits(v), 8);
            return this;
        }
    }
}
