package io.pilotfish.core.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LimitedBodyTest {

    private static final int LIMIT = 64 * 1024;

    private HttpServer server;
    private HttpClient http;
    private volatile byte[] body;
    private volatile boolean announce;
    private final CountDownLatch cutShort = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, announce ? body.length : 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int at = 0; at < body.length; at += 8192) {
                    out.write(body, at, Math.min(8192, body.length - at));
                }
            } catch (IOException closedByTheClient) {
                cutShort.countDown();
            }
        });
        server.start();
        http = HttpClient.newHttpClient();
    }

    @AfterEach
    void stop() {
        http.close();
        server.stop(0);
    }

    private byte[] get(byte[] answer, boolean announced) throws Exception {
        this.body = answer;
        this.announce = announced;
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/x");
        return http.send(HttpRequest.newBuilder(uri).build(), LimitedBody.handler("GET /x", LIMIT, true)).body();
    }

    @Test
    void aBodyUpToTheLimitIsReadWholeWithOrWithoutItsLength() throws Exception {
        byte[] exact = new byte[LIMIT];
        Arrays.fill(exact, (byte) 'a');
        assertArrayEquals(exact, get(exact, true));
        assertArrayEquals(exact, get(exact, false));
        assertArrayEquals(new byte[0], get(new byte[0], false));
    }

    @Test
    void anAnnouncedLengthOverTheLimitIsRefusedBeforeReading() {
        IOException e = assertThrows(IOException.class, () -> get(new byte[LIMIT + 1], true));
        BodyTooLargeException refused = BodyTooLargeException.in(e).orElseThrow();
        assertEquals(LIMIT + 1, refused.declaredLength());
        assertEquals(0, refused.bytesRead());
        assertEquals("GET /x refused: the answer is larger than the limit of 64 KiB (Content-Length: 65537)",
                refused.getMessage());
    }

    @Test
    void anUnannouncedBodyIsCutJustPastTheLimitAndItsStartQuotedEscaped() throws Exception {
        byte[] big = new byte[16 << 20];
        Arrays.fill(big, (byte) 'x');
        byte[] start = "{\"a\":\"\u001b[31m\r\n".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(start, 0, big, 0, start.length);

        IOException e = assertThrows(IOException.class, () -> get(big, false));

        BodyTooLargeException refused = BodyTooLargeException.in(e).orElseThrow();
        assertEquals(-1, refused.declaredLength());
        assertTrue(refused.bytesRead() > LIMIT && refused.bytesRead() < LIMIT + (1 << 20),
                "read " + refused.bytesRead());
        assertTrue(refused.getMessage().contains("starting \"{\"a\":\"\\x1b[31m\\r\\nxxx"), refused.getMessage());
        assertFalse(refused.getMessage().contains("\u001b"), "control bytes are escaped");
        assertTrue(cutShort.await(20, TimeUnit.SECONDS), "the connection was closed, the rest never read");
    }

    @Test
    void sizesAreWrittenAsPeopleReadThem() {
        assertEquals("4 MiB", BodyTooLargeException.size(4L << 20));
        assertEquals("1536 KiB", BodyTooLargeException.size(48L << 20 >> 5));
        assertEquals("1000 bytes", BodyTooLargeException.size(1000));
    }
}
