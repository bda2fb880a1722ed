package io.pilotfish.collector.apm.receive;

import io.pilotfish.collector.apm.ApmConfig;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.Secret;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The endpoints tracers reach Datadog through the agent with: profiles, instrumentation telemetry, Dynamic
 * Instrumentation (logs and diagnostics) and the EVP proxy. Each request is forwarded to its Datadog host with the
 * API key and the headers the trace-agent adds (host, env, version, container tags). The EVP proxy only ever forwards
 * to {@code <subdomain>.<site>} with a subdomain of the characters the Agent allows, and only the Agent's allowed
 * request headers, so no request can take the API key to another host.
 */
final class IntakeProxy {

    enum Route {
        PROFILING("profiling"), TELEMETRY("telemetry"), DEBUGGER_LOGS("debugger"),
        DEBUGGER_INTAKE("debugger_diagnostics"), EVP("evp_proxy");

        final String tag;

        Route(String tag) {
            this.tag = tag;
        }
    }

    /** What to answer the tracer: the intake's status and body, or ours when it could not be reached. */
    record Answer(int status, String contentType, byte[] body) {
        static Answer text(int status, String message) {
            return new Answer(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A request to forward, as received. */
    record Forward(Route route, String path, String rawQuery, String method, Map<String, String> headers, byte[] body,
                   int length, String containerId, List<String> containerTags) {
    }

    static final Pattern EVP_SUBDOMAIN = Pattern.compile("[A-Za-z0-9_.\\-]+");
    /** Paths and queries the EVP proxy forwards: no scheme, authority or traversal can ride along. */
    static final Pattern EVP_PATH = Pattern.compile("(/[A-Za-z0-9_.\\-~]+)*/?");
    static final Pattern EVP_QUERY = Pattern.compile("[A-Za-z0-9_.\\-~=&%+,:]*");
    private static final int MAX_DEBUGGER_TAGS = 4001;
    private static final int MAX_ANSWER_BYTES = 64 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** java.net.http sets these itself, or refuses them; the rest of the tracer's headers go along. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length", "expect",
            "upgrade", "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection", "proxy-authorization",
            "dd-api-key", "dd-application-key", "via", "http2-settings");

    private final HttpClient http;
    private final AgentSettings agent;
    private final ApmConfig.Intake intake;
    private final String defaultEnv;
    /** Asked per request: the task metadata may not be known yet when the receiver starts. */
    private final java.util.function.BooleanSupplier fargate;

    IntakeProxy(HttpClient http, AgentSettings agent, ApmConfig.Intake intake, String defaultEnv,
                java.util.function.BooleanSupplier fargate) {
        this.http = http;
        this.agent = agent;
        this.intake = intake;
        this.defaultEnv = defaultEnv;
        this.fargate = fargate;
    }

    private String site() {
        String site = agent.site() == null ? "" : agent.site().trim();
        return site.isEmpty() ? "datadoghq.com" : site;
    }

    private String hostTags() {
        String tags = "host:" + nullToEmpty(agent.hostname()) + ",default_env:" + defaultEnv + ",agent_version:"
                + agent.version();
        return fargate.getAsBoolean() ? tags + ",orchestrator:fargate_ecs" : tags;
    }

    /** Where the request goes, or an answer refusing it. */
    CompletableFuture<Answer> forward(Forward request) {
        Optional<Secret> key = agent.apiKey().get();
        if (key.isEmpty()) {
            return CompletableFuture.completedFuture(Answer.text(503, "no Datadog API key is configured "
                    + "(DD_API_KEY or the SSM parameter): the agent cannot forward " + request.route().tag));
        }
        HttpRequest.Builder builder;
        String containerTags = String.join(",", request.containerTags());
        try {
            switch (request.route()) {
                case PROFILING -> {
                    builder = request(withQuery(intake.profiling().orElse(
                            URI.create("https://intake.profile." + site() + "/api/v2/profile")), request.rawQuery()));
                    copyHeaders(request, builder);
                    String tags = hostTags() + (containerTags.isEmpty() ? "" : "," + containerTags);
                    builder.setHeader("X-Datadog-Additional-Tags", tags);
                }
                case TELEMETRY -> {
                    String rest = request.path().substring("/telemetry/proxy".length());
                    URI base = intake.telemetry().orElse(
                            URI.create("https://instrumentation-telemetry-intake." + site()));
                    builder = request(withQuery(join(base, rest), request.rawQuery()));
                    copyHeaders(request, builder);
                    builder.setHeader("DD-Agent-Hostname", nullToEmpty(agent.hostname()));
                    builder.setHeader("DD-Agent-Env", defaultEnv);
                    if (!containerTags.isEmpty()) {
                        builder.setHeader("X-Datadog-Container-Tags", containerTags);
                    }
                }
                case DEBUGGER_LOGS, DEBUGGER_INTAKE -> {
                    URI target = request.route() == Route.DEBUGGER_LOGS
                            ? intake.debuggerLogs().orElse(URI.create("https://http-intake.logs." + site()
                            + "/api/v2/logs"))
                            : intake.debuggerIntake().orElse(URI.create("https://debugger-intake." + site()
                            + "/api/v2/debugger"));
                    builder = request(withQuery(target, debuggerQuery(request, containerTags)));
                    copyHeaders(request, builder);
                    builder.setHeader("DD-REQUEST-ID", UUID.randomUUID().toString());
                    builder.setHeader("DD-EVP-ORIGIN", "agent-debugger");
                }
                case EVP -> {
                    Answer refused = evpRefusal(request);
                    if (refused != null) {
                        return CompletableFuture.completedFuture(refused);
                    }
                    String subdomain = header(request, "X-Datadog-EVP-Subdomain");
                    String rest = request.path().substring("/evp_proxy/v1".length());
                    URI base = intake.evp().orElse(URI.create("https://" + subdomain + "." + site()));
                    builder = request(withQuery(join(base, rest), request.rawQuery()));
                    for (String allowed : InfoDocument.EVP_ALLOWED_HEADERS) {
                        String value = header(request, allowed);
                        if (value != null && !NOT_FORWARDED.contains(allowed.toLowerCase(Locale.ROOT))) {
                            builder.setHeader(allowed, value);
                        }
                    }
                    builder.setHeader("X-Datadog-Hostname", nullToEmpty(agent.hostname()));
                    builder.setHeader("X-Datadog-AgentDefaultEnv", defaultEnv);
                    if (!request.containerId().isEmpty()) {
                        builder.setHeader("Datadog-Container-ID", request.containerId());
                    }
                    if (!containerTags.isEmpty()) {
                        builder.setHeader("X-Datadog-Container-Tags", containerTags);
                    }
                }
                default -> throw new IllegalStateException("unknown route " + request.route());
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Answer.text(400, "cannot forward this request: "
                    + e.getMessage()));
        }
        builder.setHeader("DD-API-KEY", key.get().reveal());
        builder.setHeader("Via", "trace-agent " + agent.version());
        builder.method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body(), 0, request.length()));
        return http.sendAsync(builder.build(), info -> HttpResponse.BodySubscribers.mapping(
                        HttpResponse.BodySubscribers.ofInputStream(), in -> {
                            try (in) {
                                ByteArrayOutputStream out = new ByteArrayOutputStream();
                                byte[] buf = new byte[8192];
                                int n;
                                while ((n = in.read(buf)) > 0 && out.size() < MAX_ANSWER_BYTES) {
                                    out.write(buf, 0, Math.min(n, MAX_ANSWER_BYTES - out.size()));
                                }
                                return out.toByteArray();
                            } catch (java.io.IOException e) {
                                return new byte[0];
                            }
                        }))
                .thenApply(r -> new Answer(r.statusCode(),
                        r.headers().firstValue("Content-Type").orElse("application/octet-stream"), r.body()))
                .exceptionally(e -> Answer.text(502, "the Datadog intake could not be reached for "
                        + request.route().tag + ": " + rootMessage(e)));
    }

    /** Why the EVP proxy refuses a request, or null to forward it. */
    static Answer evpRefusal(Forward request) {
        String subdomain = header(request, "X-Datadog-EVP-Subdomain");
        if (subdomain == null || subdomain.isEmpty()) {
            return Answer.text(400, "the X-Datadog-EVP-Subdomain header is required");
        }
        if (!EVP_SUBDOMAIN.matcher(subdomain).matches() || subdomain.length() > 253) {
            return Answer.text(400, "X-Datadog-EVP-Subdomain may only hold letters, digits, '_', '.' and '-'");
        }
        String rest = request.path().substring("/evp_proxy/v1".length());
        if (!EVP_PATH.matcher(rest).matches() || rest.contains("..")) {
            return Answer.text(400, "the EVP proxy forwards plain paths only");
        }
        if (request.rawQuery() != null && !EVP_QUERY.matcher(request.rawQuery()).matches()) {
            return Answer.text(400, "the EVP proxy forwards plain query strings only");
        }
        if ("true".equalsIgnoreCase(header(request, "X-Datadog-NeedsAppKey"))) {
            return Answer.text(403, "this request needs a Datadog application key, which Pilotfish does not hold");
        }
        return null;
    }

    private String debuggerQuery(Forward request, String containerTags) {
        StringBuilder tags = new StringBuilder(hostTags());
        if (!containerTags.isEmpty()) {
            tags.append(',').append(containerTags);
        }
        String extra = header(request, "X-Datadog-Additional-Tags");
        if (extra != null && !extra.isEmpty()) {
            tags.append(',').append(extra);
        }
        String query = request.rawQuery() == null ? "" : request.rawQuery();
        StringBuilder rest = new StringBuilder();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            if (pair.startsWith("ddtags=")) {
                String value = URLDecoder.decode(pair.substring(7), StandardCharsets.UTF_8);
                if (!value.isEmpty()) {
                    tags.append(',').append(value);
                }
            } else {
                rest.append(rest.isEmpty() ? "" : "&").append(pair);
            }
        }
        String all = tags.length() > MAX_DEBUGGER_TAGS ? tags.substring(0, MAX_DEBUGGER_TAGS) : tags.toString();
        return (rest.isEmpty() ? "" : rest + "&") + "ddtags=" + URLEncoder.encode(all, StandardCharsets.UTF_8);
    }

    private static HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(TIMEOUT);
    }

    private static void copyHeaders(Forward request, HttpRequest.Builder builder) {
        for (Map.Entry<String, String> header : request.headers().entrySet()) {
            if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                builder.setHeader(header.getKey(), header.getValue());
            }
        }
    }

    static String header(Forward request, String name) {
        return PayloadWork.headerOrNull(request.headers(), name);
    }

    private static URI join(URI base, String path) {
        String prefix = base.toString();
        if (prefix.endsWith("/") && path.startsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        return URI.create(prefix + path);
    }

    private static URI withQuery(URI uri, String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return uri;
        }
        return URI.create(uri + (uri.getRawQuery() == null ? "?" : "&") + rawQuery);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
