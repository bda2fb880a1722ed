package io.pilotfish.collector.containerstats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Loads the shared ECS corpus and this module's fixtures, and reads {@code /task} JSON into the SPI model with a
 * deliberately small parser of our own (the real one lives in core and is not a dependency of plugins).
 */
final class TestData {

    static final ObjectMapper JSON = new ObjectMapper();

    private TestData() {
    }

    static Path ecsCorpus() {
        return Path.of(System.getProperty("pilotfish.shared.dir", "/work/shared"), "testdata", "ecs");
    }

    static byte[] shared(String relative) {
        try {
            return Files.readAllBytes(ecsCorpus().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] fixture(String name) {
        try (InputStream in = TestData.class.getResourceAsStream("/stats/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test fixture /stats/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A stats payload; a single container's {@code /stats} object is wrapped into a one-entry map by its id. */
    static Map<String, JsonNode> stats(byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            if (root.has("cpu_stats") || root.has("read")) {
                String id = root.hasNonNull("id") ? root.get("id").asText() : "single-container";
                ObjectNode wrapped = JSON.createObjectNode();
                wrapped.set(id, root);
                return StatsParser.parse(JSON.writeValueAsBytes(wrapped));
            }
            return StatsParser.parse(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TaskMetadata task(byte[] body) {
        try {
            return task(JSON.readTree(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TaskMetadata task(JsonNode root) {
        String cluster = text(root, "Cluster");
        String taskArn = text(root, "TaskARN");
        String[] arn = taskArn.split(":");
        JsonNode limits = root.path("Limits");
        JsonNode storage = root.path("EphemeralStorageMetrics");
        List<ContainerMetadata> containers = new ArrayList<>();
        for (JsonNode c : root.path("Containers")) {
            JsonNode cLimits = c.path("Limits");
            Map<String, String> labels = new LinkedHashMap<>();
            c.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
            containers.add(new ContainerMetadata(text(c, "DockerId"), text(c, "Name"), text(c, "DockerName"),
                    text(c, "Image"), text(c, "ImageID"), labels, text(c, "DesiredStatus"), text(c, "KnownStatus"),
                    c.has("ExitCode") ? OptionalInt.of(c.get("ExitCode").asInt()) : OptionalInt.empty(),
                    cLimits.has("CPU") ? Optional.of(cLimits.get("CPU").asDouble()) : Optional.empty(),
                    cLimits.has("Memory") ? Optional.of(cLimits.get("Memory").asLong()) : Optional.empty(),
                    instant(c, "CreatedAt"), instant(c, "StartedAt"), instant(c, "FinishedAt"), text(c, "Type"),
                    OptionalInt.empty(), Optional.empty(), List.of()));
        }
        return new TaskMetadata("v4", cluster, cluster.substring(cluster.lastIndexOf('/') + 1), taskArn,
                text(root, "Family"), text(root, "Revision"), text(root, "DesiredStatus"), text(root, "KnownStatus"),
                text(root, "LaunchType"), text(root, "AvailabilityZone"), arn.length > 3 ? arn[3] : "",
                arn.length > 4 ? arn[4] : "", text(root, "ServiceName"),
                limits.has("CPU") ? Optional.of(limits.get("CPU").asDouble()) : Optional.empty(),
                limits.has("Memory") ? Optional.of(limits.get("Memory").asLong()) : Optional.empty(),
                storage.has("Utilized") ? Optional.of(new TaskMetadata.EphemeralStorage(
                        storage.get("Utilized").asLong(), storage.get("Reserved").asLong())) : Optional.empty(),
                instant(root, "PullStartedAt"), instant(root, "PullStoppedAt"), containers);
    }

    /**
     * A task for a stats payload that has no recorded metadata: one NORMAL running container per entry, named
     * after the stats' {@code name}; the pause container (by name) is CNI_PAUSE.
     */
    static TaskMetadata taskFor(Map<String, JsonNode> stats) {
        List<ContainerMetadata> containers = new ArrayList<>();
        stats.forEach((id, entry) -> {
            String name = entry != null && entry.hasNonNull("name")
                    ? entry.get("name").asText().replaceFirst("^/", "") : "container-" + containers.size();
            String type = name.contains("internalecspause") ? "CNI_PAUSE" : "NORMAL";
            containers.add(new ContainerMetadata(id, name, name, "example/" + name + ":1", "", Map.of(),
                    "RUNNING", "RUNNING", OptionalInt.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.empty(), type, OptionalInt.empty(),
                    Optional.empty(), List.of()));
        });
        return new TaskMetadata("v4", "synthetic", "synthetic",
                "arn:aws:ecs:us-east-1:123456789012:task/synthetic/0123456789abcdef", "synthetic", "1", "RUNNING",
                "RUNNING", "FARGATE", "", "us-east-1", "123456789012", "", Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), containers);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? "" : value.asText();
    }

    private static Optional<Instant> instant(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(Instant.parse(value.asText()));
    }
}
