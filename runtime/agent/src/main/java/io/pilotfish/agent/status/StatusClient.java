package io.pilotfish.agent.status;

import io.pilotfish.core.config.AgentConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Asks the agent running in this task, on its status endpoint: {@code status}, {@code health}, {@code doctor}. */
public final class StatusClient {

    private StatusClient() {
    }

    /** Where to reach an endpoint bound to {@code options.host()}: a wildcard bind is reached on the loopback. */
    public static String host(AgentConfig.StatusOptions options) {
        return io.pilotfish.health.StatusEndpoint.reachableHost(options.host());
    }

    /** A GET of {@code path}; the connection and the answer each get {@code timeout}. */
    public static HttpResponse<String> get(String host, int port, String path, Duration timeout)
            throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        String authority = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        return client.send(HttpRequest.newBuilder(URI.create("http://" + authority + path)).timeout(timeout).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
