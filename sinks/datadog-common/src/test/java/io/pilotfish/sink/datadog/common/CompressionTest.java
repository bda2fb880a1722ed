package io.pilotfish.sink.datadog.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompressionTest {

    private static final byte[] JSON = ("[" + "{\"check\":\"app.can_connect\",\"status\":0},".repeat(500)
            + "{}]").getBytes(StandardCharsets.UTF_8);

    private static byte[] decode(Compression compression, byte[] body) throws IOException {
        try (InputStream in = compression == Compression.GZIP ? new GZIPInputStream(new ByteArrayInputStream(body))
                : new InflaterInputStream(new ByteArrayInputStream(body))) {
            return in.readAllBytes();
        }
    }

    @Test
    void headerValuesAreTheHttpNames() {
        assertEquals("gzip", Compression.GZIP.contentEncoding());
        assertEquals("deflate", Compression.DEFLATE.contentEncoding());
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aWholeBodyRoundTripsAndShrinks(Compression compression) throws IOException {
        byte[] body = compression.compress(JSON, 0, JSON.length);

        assertArrayEquals(JSON, decode(compression, body));
        assertTrue(body.length < JSON.length / 10, "compressed to " + body.length);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aStreamedBodyRoundTripsIncludingSingleBytes(Compression compression) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Deflater deflater = compression.newDeflater();
        try (OutputStream compressing = compression.compressing(out, deflater)) {
            compressing.write('[');
            compressing.write(JSON, 1, JSON.length - 1);
        } finally {
            deflater.end();
        }
        assertArrayEquals(JSON, decode(compression, out.toByteArray()));
    }

    @Test
    void onlyPartOfAnArrayIsCompressedWhenAsked() throws IOException {
        byte[] body = Compression.GZIP.compress(JSON, 1, 10);
        assertArrayEquals(java.util.Arrays.copyOfRange(JSON, 1, 11), decode(Compression.GZIP, body));
    }

    @Test
    void deflateIsZlibFramedAndGzipHasItsMagicNumber() {
        byte[] deflate = Compression.DEFLATE.compress(JSON, 0, JSON.length);
        // RFC 1950: CMF 0x78 (deflate, 32K window) and a header checksum divisible by 31.
        assertEquals(0x78, deflate[0] & 0xff);
        assertEquals(0, ((deflate[0] & 0xff) * 256 + (deflate[1] & 0xff)) % 31);

        byte[] gzip = Compression.GZIP.compress(JSON, 0, JSON.length);
        assertEquals(0x1f, gzip[0] & 0xff);
        assertEquals(0x8b, gzip[1] & 0xff);
    }
}
