package io.pilotfish.collector.ecsmetadata;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/** Recorded {@code /task} payloads of the shared corpus, edited for a test, as the metadata endpoint would serve. */
final class TaskJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TaskJson() {
    }

    /** A recorded payload with edits applied to containers by name. */
    static byte[] read(String file, Map<String, Consumer<ObjectNode>> containerEdits) {
        return read(file, root -> { }, containerEdits);
    }

    static byte[] read(String file, Consumer<ObjectNode> taskEdit, Map<String, Consumer<ObjectNode>> containerEdits) {
        Path dir = Path.of(System.getProperty("pilotfish.shared.dir", "/work/shared"), "testdata", "ecs");
        assumeTrue(Files.isDirectory(dir), "shared test data not found at " + dir);
        try {
            ObjectNode root = (ObjectNode) MAPPER.readTree(Files.readAllBytes(dir.resolve(file)));
            taskEdit.accept(root);
            root.get("Containers").forEach(container -> {
                Consumer<ObjectNode> edit = containerEdits.get(container.get("Name").asText());
                if (edit != null) {
                    edit.accept((ObjectNode) container);
                }
            });
            return MAPPER.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
