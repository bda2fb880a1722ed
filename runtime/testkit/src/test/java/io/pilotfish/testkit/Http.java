package io.pilotfish.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Small java.net.http helpers for the tests. */
final class Http {

    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private Http() {
    }

    /** A new client: a new connection, so a reset connection is never retried by the client's pool. */
    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    static HttpResponse<String> get(HttpClient client, URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return get(client(), uri);
    }

    static URI at(URI base, String path) {
        return URI.create(base + path);
    }

    static JsonNode json(String body) {
        try {
            return MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode getJson(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = get(uri);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + uri + " answered " + response.statusCode() + ": " + response.body());
        }
        return json(response.body());
    }

    static Path shared(String relative) {
        String dir = System.getProperty("pilotfish.shared.dir");
        Path base = dir == null || dir.isBlank() ? Path.of("/work/shared") : Path.of(dir);
        Path file = base.resolve(relative);
        if (!Files.exists(file)) {
            throw new AssertionError("shared test data missing: " + file);
        }
        return file;
    }

    static JsonNode sharedJson(String relative) {
        try {
            return MAPPER.readTree(Files.readAllBytes(shared(relative)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
