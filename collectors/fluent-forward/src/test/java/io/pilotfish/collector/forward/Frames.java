package io.pilotfish.collector.forward;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Forward protocol frames for tests, built with {@link MsgpackWriter} as the loggers write them. */
final class Frames {

    static final String TAG = "app-firelens-0123456789abcdef";

    private Frames() {
    }

    /** What FireLens's awsfirelens driver sends for one stdout or stderr line. */
    static Map<String, Object> fireLensRecord(String line, String source) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("container_id", "abc123def456");
        record.put("container_name", "/ecs-web-7-app-d6a9e8f0c1b2a3e4");
        record.put("source", source);
        record.put("log", line);
        record.put("ecs_cluster", "prod-cluster");
        record.put("ecs_task_arn", "arn:aws:ecs:us-east-1:123456789012:task/prod-cluster/0123456789abcdef");
        record.put("ecs_task_definition", "web:7");
        return record;
    }

    /** EventTime: extension 0 of 8 bytes, seconds and nanoseconds, as fixext 8. */
    static byte[] eventTime(long seconds, long nanos) {
        return ByteBuffer.allocate(8).putInt((int) seconds).putInt((int) nanos).array();
    }

    static byte[] message(String tag, long seconds, Map<String, Object> record, Map<String, Object> option) {
        MsgpackWriter w = new MsgpackWriter().array(option == null ? 3 : 4).str(tag).integer(seconds).value(record);
        if (option != null) {
            w.value(option);
        }
        return w.bytes();
    }

    static byte[] entry(long seconds, Map<String, Object> record) {
        return new MsgpackWriter().array(2).integer(seconds).value(record).bytes();
    }

    static byte[] entries(int n, String prefix) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            out.writeBytes(entry(1_700_000_000L + i, fireLensRecord(prefix + i, "stdout")));
        }
        return out.toByteArray();
    }

    static byte[] forward(String tag, int n, String prefix, Map<String, Object> option) {
        MsgpackWriter w = new MsgpackWriter().array(option == null ? 2 : 3).str(tag).array(n);
        w.raw(entries(n, prefix));
        if (option != null) {
            w.value(option);
        }
        return w.bytes();
    }

    static byte[] packed(String tag, byte[] entries, Map<String, Object> option) {
        MsgpackWriter w = new MsgpackWriter().array(option == null ? 2 : 3).str(tag).bin(entries);
        if (option != null) {
            w.value(option);
        }
        return w.bytes();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
