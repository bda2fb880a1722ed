import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import datadog.trace.api.internal.InternalTracer;
import io.opentracing.Scope;
import io.opentracing.Span;
import io.opentracing.Tracer;
import io.opentracing.util.GlobalTracer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The tracer-app workload with dd-java-agent (run with -javaagent:dd-java-agent.jar): a com.sun.net.httpserver app
 * that calls itself APP_TRACES times (default 20) on GET /users/42, APP_ERRORS of them (default 5, the first ones)
 * answered 500. dd-java-agent does not instrument com.sun.net.httpserver, so the handler makes the spans itself
 * through OpenTracing, whose GlobalTracer the agent fills with its own tracer: a root "web.request" (type web,
 * resource "GET /users/{id}", http.status_code, error on a 500) with one child "postgres.query" (type sql, service
 * DD_SERVICE-postgres, a SQL resource with literals for the agent to obfuscate, db.system=postgresql). The client
 * side is a plain socket, which the agent does not trace, so there are exactly APP_TRACES traces. The agent reads
 * only its standard environment (DD_TRACE_AGENT_URL, DD_SERVICE, DD_ENV, DD_VERSION,
 * DD_TRACE_STATS_COMPUTATION_ENABLED...). Flushes the traces and the client stats, prints "sent N traces", exits 0.
 */
public final class TracerApp {

    static final String SQL = "SELECT * FROM users WHERE id = 42 AND name = 'alice'";

    public static void main(String[] args) throws Exception {
        int traces = intEnv("APP_TRACES", 20);
        int errors = Math.min(intEnv("APP_ERRORS", 5), traces);
        String service = System.getenv().getOrDefault("DD_SERVICE", "tracer-app-java");

        Tracer tracer = GlobalTracer.get();
        if (!(datadog.trace.api.GlobalTracer.get() instanceof InternalTracer)) {
            System.err.println("dd-java-agent is not attached (no Datadog tracer in datadog.trace.api.GlobalTracer):"
                    + " run with -javaagent:<dir>/java/dd-java-agent.jar");
            System.exit(2);
        }
        if (!GlobalTracer.isRegistered()) {
            // The agent's tracer runs but its instrumentation did not install, so OpenTracing's GlobalTracer is a
            // no-op. dd-java-agent 1.40's Byte Buddy (1.14.18) knows JDKs up to 23: on 24+ it needs
            // -Dnet.bytebuddy.experimental=true (its stderr then says "Failed to resolve the class file version of
            // the current VM").
            System.err.println("dd-java-agent did not register its tracer with OpenTracing's GlobalTracer (its "
                    + "instrumentation failed to install; on a JDK newer than 23, add "
                    + "-Dnet.bytebuddy.experimental=true)");
            System.exit(2);
        }

        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/users/", exchange -> handle(tracer, service, exchange));
        server.start();
        int port = server.getAddress().getPort();
        try {
            for (int i = 0; i < traces; i++) {
                int expected = i < errors ? 500 : 200;
                int status = get(port, "/users/42" + (i < errors ? "?fail=1" : ""));
                if (status != expected) {
                    throw new IllegalStateException("GET /users/42 answered " + status + ", expected " + expected);
                }
            }
        } finally {
            server.stop(0);
        }

        InternalTracer internal = (InternalTracer) datadog.trace.api.GlobalTracer.get();
        internal.flush();
        internal.flushMetrics();
        System.out.println("sent " + traces + " traces");
        System.out.flush();
        // The agent's shutdown hook closes the tracer (its writer and stats aggregator) on exit.
        System.exit(0);
    }

    private static void handle(Tracer tracer, String service, HttpExchange exchange) throws IOException {
        boolean fail = String.valueOf(exchange.getRequestURI().getQuery()).contains("fail=1");
        int status = fail ? 500 : 200;
        Span root = tracer.buildSpan("web.request")
                .withTag("span.type", "web")
                .withTag("resource.name", "GET /users/{id}")
                .withTag("span.kind", "server")
                .withTag("http.method", "GET")
                .withTag("http.route", "/users/{id}")
                .withTag("http.url", "http://127.0.0.1:" + exchange.getLocalAddress().getPort()
                        + exchange.getRequestURI().getPath())
                .start();
        try (Scope ignored = tracer.activateSpan(root)) {
            Span query = tracer.buildSpan("postgres.query")
                    .asChildOf(root)
                    .withTag("service.name", service + "-postgres")
                    .withTag("span.type", "sql")
                    .withTag("resource.name", SQL)
                    .withTag("span.kind", "client")
                    .withTag("db.system", "postgresql")
                    .withTag("db.name", "users")
                    .start();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                query.finish();
            }
            byte[] body = (fail ? "{\"error\":\"boom\"}" : "{\"id\":42,\"name\":\"alice\"}")
                    .getBytes(StandardCharsets.UTF_8);
            root.setTag("http.status_code", status);
            if (fail) {
                root.setTag("error", true);
                root.setTag("error.message", "HTTP 500: boom");
                root.setTag("error.type", "InternalServerError");
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } finally {
            root.finish();
        }
    }

    /** An HTTP/1.0 GET over a plain socket (the agent traces HttpURLConnection and HttpClient, not sockets). */
    private static int get(int port, String target) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            in.transferTo(response);
            String head = response.toString(StandardCharsets.ISO_8859_1);
            String[] statusLine = head.substring(0, Math.max(0, head.indexOf('\r'))).split(" ");
            if (statusLine.length < 2) {
                throw new IOException("no HTTP status line in: " + head);
            }
            return Integer.parseInt(statusLine[1]);
        }
    }

    private static int intEnv(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }
}
