import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;
import org.komamitsu.fluency.fluentd.ingester.sender.FluentdSender;
import org.komamitsu.fluency.ingester.Ingester;
import org.komamitsu.fluency.ingester.sender.Sender;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * The fluent-app workload with fluency (org.komamitsu:fluency-fluentd): APP_LINES records (default 100)
 * {@code {"log": "line <i> of <APP_NAME>", "source": "stdout" | "stderr"}} (every 5th line on stderr) under the tag
 * FLUENT_TAG (default app-java), with EventTime timestamps; fluency buffers them and sends PackedForward chunks.
 *
 * <p>Environment: FLUENT_TARGET {@code tcp:<port>} (on 127.0.0.1; required). fluency 2.7.0 sends over TCP (or TLS)
 * only, so {@code unix:<path>} exits 2 rather than pretending. FLUENT_ACK true|false (default false): fluency's
 * ack-response mode, each chunk then carrying the chunk option and waiting for the server's ack. APP_NAME (default
 * app-java); APP_DEADLINE_SECONDS (default 60). The system property fluency.version names the version in messages
 * (the jars carry none). Prints "sent N records" and exits 0 once fluency's ingester has handed over chunks holding
 * all N records (with ack: each chunk acknowledged, as fluency's ingest returns only then); exits 1 otherwise.
 *
 * <p>Why count at the ingester: fluency's buffer is empty as soon as the flusher has taken a chunk, before it is
 * written or acknowledged; a chunk whose send fails goes back to the buffer and is retried, and close() drops what is
 * left without telling the caller. Counting the records of each chunk whose ingest returned is the only exact
 * "handed over" fluency offers.
 */
public final class FluentApp {

    public static void main(String[] args) throws Exception {
        String target = env("FLUENT_TARGET", "");
        boolean ack = bool("FLUENT_ACK", false);
        int lines = number("APP_LINES", 100);
        String name = env("APP_NAME", "app-java");
        String tag = env("FLUENT_TAG", "app-java");
        int deadlineSeconds = number("APP_DEADLINE_SECONDS", 60);
        if (target.startsWith("unix:")) {
            fail(2, "FLUENT_TARGET=" + target + ": fluency " + System.getProperty("fluency.version", "")
                    + " has no Unix socket sender (TCP and TLS only)");
        }
        if (!target.matches("tcp:\\d+")) {
            fail(2, "FLUENT_TARGET=\"" + target + "\": give tcp:<port>");
        }
        int port = Integer.parseInt(target.substring(4));

        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicLong handedOver = new AtomicLong();
        FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd() {
            @Override
            protected Ingester buildIngester(FluentdSender sender) {
                return new CountingIngester(super.buildIngester(sender), handedOver);
            }
        };
        builder.setAckResponseMode(ack);
        // fluency reports a chunk it gave up on (after its retries) here; any is a failure of the run.
        builder.setErrorHandler(errors::add);
        // A late ack under load is not lost data: give the server time (fluency's default read timeout is 5 s).
        builder.setReadTimeoutMilli(30_000);
        Fluency fluency = builder.build("127.0.0.1", port);
        try {
            for (int i = 1; i <= lines; i++) {
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("log", "line " + i + " of " + name);
                record.put("source", i % 5 == 0 ? "stderr" : "stdout");
                fluency.emit(tag, EventTime.fromEpochMilli(System.currentTimeMillis()), record);
            }
            fluency.flush();
            long deadline = System.nanoTime() + deadlineSeconds * 1_000_000_000L;
            while (handedOver.get() < lines && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } finally {
            fluency.close();
        }
        if (handedOver.get() != lines) {
            fail(1, "after " + deadlineSeconds + " s " + handedOver.get() + " of " + lines + " records were "
                    + (ack ? "acknowledged" : "written") + (errors.isEmpty() ? "" : "; " + errors.size()
                    + " send errors, the last: " + errors.getLast()));
        }
        if (!errors.isEmpty()) {
            // Every record got through in the end (a chunk that fails is retried), but say what happened.
            System.err.println("app-java: " + errors.size() + " send errors on the way, the last: "
                    + errors.getLast());
        }
        System.out.println("sent " + lines + " records");
    }

    /** fluency's ingester, counting the records of each chunk it handed over (ingest returned). */
    private record CountingIngester(Ingester delegate, AtomicLong handedOver) implements Ingester {
        @Override
        public void ingest(String tag, ByteBuffer chunk) throws IOException {
            long records = 0;
            // A chunk is PackedForward's entries, [time, record] one after another. Copied to the heap: fluency's
            // chunks are direct buffers, which msgpack-core 0.9 cannot read on JDK 21+ (java.nio.MemoryBlock).
            byte[] bytes = new byte[chunk.remaining()];
            chunk.duplicate().get(bytes);
            try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(bytes)) {
                while (unpacker.hasNext()) {
                    unpacker.skipValue();
                    records++;
                }
            }
            delegate.ingest(tag, chunk);
            handedOver.addAndGet(records);
        }

        @Override
        public Sender getSender() {
            return delegate.getSender();
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static int number(String name, int fallback) {
        String value = env(name, Integer.toString(fallback));
        if (!value.matches("\\d{1,9}")) {
            fail(2, name + "=\"" + value + "\" is not a non-negative number");
        }
        return Integer.parseInt(value);
    }

    private static boolean bool(String name, boolean fallback) {
        String value = env(name, Boolean.toString(fallback)).toLowerCase(java.util.Locale.ROOT);
        if (!value.equals("true") && !value.equals("false")) {
            fail(2, name + "=\"" + value + "\" is not true or false");
        }
        return value.equals("true");
    }

    private static void fail(int code, String message) {
        System.err.println("app-java: " + message);
        System.exit(code);
    }
}
