package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.sun.net.httpserver.HttpServer;
import io.pilotfish.core.config.ConfigValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Shared test helpers: contexts, targets and a tiny JDK HTTP server. */
final class Fixtures {

    static final String API_KEY = java.util.UUID.randomUUID().toString().replace("-", ""); // a fresh 32-hex key per run
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private Fixtures() {
    }

    static DoctorContext context(Map<String, String> env, DatadogTarget target) {
        return new DoctorContext(env, TIMEOUT, target);
    }

    static DoctorContext context(Map<String, String> env) {
        return context(env, DatadogTarget.from(Map.of(), env));
    }

    /** A target from {@code pilotfish.*} keys given as alternating key, value. */
    static DatadogTarget target(String... keyValues) {
        Map<String, ConfigValue> keys = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            keys.put(keyValues[i], ConfigValue.of(keyValues[i + 1]));
        }
        return DatadogTarget.from(keys, Map.of());
    }

    static Map<String, String> env(Map<String, String> base, String... keyValues) {
        Map<String, String> env = new LinkedHashMap<>(base);
        for (int i = 0; i < keyValues.length; i += 2) {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }

    /** A loopback port nothing listens on (bound, then released). */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JDK HTTP server on 127.0.0.1 answering every path with the given status and body. */
    static HttpServer server(int status, String body) {
        return server(exchange -> new Answer(status, body));
    }

    record Answer(int status, String body) {
    }

    interface Responder {
        Answer answer(com.sun.net.httpserver.HttpExchange exchange);
    }

    static HttpServer server(Responder responder) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                Answer answer = responder.answer(exchange);
                byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
                if (bytes.length > 0) {
                    exchange.getResponseBody().write(bytes);
                }
                exchange.close();
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static URI base(HttpServer server) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    static void assertNoSecret(CheckResult result, String... secrets) {
        for (String secret : secrets) {
            assertFalse(result.detail().contains(secret), "secret in detail: " + result.detail());
            assertFalse(result.fix().orElse("").contains(secret), "secret in fix");
        }
    }
}
