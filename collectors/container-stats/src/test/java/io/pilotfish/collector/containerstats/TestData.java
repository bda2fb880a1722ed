package io.pilotfish.collector.containerstats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.ecs.EcsTaskSnapshot;
import io.pilotfish.core.ecs.TaskMetadataParser;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Loads the shared ECS corpus and this module's fixtures; {@code /task} JSON is read by core's parser (a test
 * dependency) into core's snapshot, so the converter sees the tags the agent gives it.
 */
final class TestData {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant FETCHED_AT = Instant.parse("2025-01-01T00:00:00Z");

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

    /** {@code /task} JSON read by core's parser, as the agent reads it. */
    static TaskMetadata task(byte[] body) {
        return TaskMetadataParser.parseTask(body, "v4");
    }

    /** The snapshot the agent would hold for this task: core's, with the real tagger's tags. */
    static TaskSnapshot snapshot(TaskMetadata task) {
        return new EcsTaskSnapshot(task, FETCHED_AT);
    }

    /** {@code /task} JSON without the container of this DockerId, as if it had not started yet. */
    static byte[] withoutContainer(byte[] taskJson, String dockerId) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(taskJson);
            ArrayNode containers = (ArrayNode) root.get("Containers");
            for (int i = containers.size() - 1; i >= 0; i--) {
                if (dockerId.equals(containers.get(i).path("DockerId").asText())) {
                    containers.remove(i);
                }
            }
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code /task} JSON without a top-level field, e.g. {@code Cluster}. */
    static byte[] withoutField(byte[] taskJson, String field) {
        return edited(taskJson, root -> root.remove(field));
    }

    /** {@code /task} JSON with a top-level field set, e.g. {@code LaunchType}. */
    static byte[] withField(byte[] taskJson, String field, String value) {
        return edited(taskJson, root -> root.put(field, value));
    }

    /** {@code /task} JSON where the container of this DockerId has {@code field} set to {@code value}. */
    static byte[] withContainerField(byte[] taskJson, String dockerId, String field, int value) {
        return edited(taskJson, root -> {
            for (JsonNode container : root.get("Containers")) {
                if (dockerId.equals(container.path("DockerId").asText())) {
                    ((ObjectNode) container).put(field, value);
                    return;
                }
            }
            throw new IllegalArgumentException("no container " + dockerId + " in the task");
        });
    }

    private static byte[] edited(byte[] taskJson, java.util.function.Consumer<ObjectNode> change) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(taskJson);
            change.accept(root);
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
}
