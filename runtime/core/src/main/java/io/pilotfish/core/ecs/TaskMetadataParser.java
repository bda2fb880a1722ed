package io.pilotfish.core.ecs;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Turns TMDE v3/v4 JSON ({@code /task}, {@code /taskWithTags} and the container endpoint) into the SPI model.
 *
 * <p>Lenient where the endpoint varies: unknown fields are ignored (v4 promises to add fields), absent fields become
 * empty values, {@code Revision} may be a string or a number, timestamps carry nanoseconds. Strict where the shape is
 * wrong: anything that is not a task (or container) object fails with a {@link MetadataException} naming the
 * problem. Thread-safe.
 */
public final class TaskMetadataParser {

    /** Trailing tokens fail: a truncated or concatenated body must not parse as a smaller document. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private TaskMetadataParser() {
    }

    /**
     * Parses a {@code /task} (or {@code /taskWithTags}) response body.
     *
     * @param metadataVersion {@code v4} or {@code v3}: the endpoint version the body came from
     */
    public static TaskMetadata parseTask(byte[] json, String metadataVersion) {
        return parseTask(readTree(json, "/task"), metadataVersion);
    }

    public static TaskMetadata parseTask(JsonNode root, String metadataVersion) {
        requireObject(root, "/task response");
        String taskArn = text(root, "TaskARN");
        if (taskArn.isEmpty()) {
            throw new MetadataException("The /task response has no TaskARN, so it is not task metadata"
                    + " (top-level keys: " + fieldNames(root) + ")");
        }
        JsonNode containersNode = root.path("Containers");
        List<ContainerMetadata> containers = new ArrayList<>();
        if (!containersNode.isMissingNode() && !containersNode.isNull()) {
            if (!containersNode.isArray()) {
                throw new MetadataException("The /task response has \"Containers\" of type "
                        + containersNode.getNodeType() + "; expected an array of container objects");
            }
            for (int i = 0; i < containersNode.size(); i++) {
                containers.add(parseContainer(containersNode.get(i), "Containers[" + i + "]"));
            }
        }
        String cluster = text(root, "Cluster");
        String region = arnPart(taskArn, 3);
        String account = arnPart(taskArn, 4);
        if (region.isEmpty()) {
            region = arnPart(cluster, 3); // a Fargate cluster is an ARN too
        }
        if (account.isEmpty()) {
            account = arnPart(cluster, 4);
        }
        JsonNode limits = root.path("Limits");
        JsonNode storage = root.path("EphemeralStorageMetrics");
        Optional<TaskMetadata.EphemeralStorage> ephemeral = Optional.empty();
        Optional<Long> utilized = longValue(storage, "Utilized");
        Optional<Long> reserved = longValue(storage, "Reserved");
        if (utilized.isPresent() || reserved.isPresent()) {
            ephemeral = Optional.of(new TaskMetadata.EphemeralStorage(utilized.orElse(0L), reserved.orElse(0L)));
        }
        String clusterArn = arn(root, "ClusterArn", "ClusterARN");
        if (clusterArn.isEmpty() && isArn(cluster)) {
            clusterArn = cluster; // Fargate gives the cluster as its ARN, EC2 by its short name
        }
        return new TaskMetadata(metadataVersion, cluster, clusterShortName(cluster), taskArn, text(root, "Family"),
                text(root, "Revision"), text(root, "DesiredStatus"), text(root, "KnownStatus"),
                text(root, "LaunchType"), text(root, "AvailabilityZone"), region, account,
                text(root, "ServiceName"), doubleValue(limits, "CPU"), longValue(limits, "Memory"), ephemeral,
                instant(root, "PullStartedAt"), instant(root, "PullStoppedAt"), containers, clusterArn,
                arn(root, "ServiceArn", "ServiceARN"), arn(root, "TaskDefinitionArn", "TaskDefinitionARN"));
    }

    /** Parses the container endpoint's body (the base URI itself): one {@code Containers[]} element. */
    public static ContainerMetadata parseContainer(byte[] json) {
        return parseContainer(readTree(json, "container endpoint"), "container endpoint response");
    }

    public static ContainerMetadata parseContainer(JsonNode node) {
        return parseContainer(node, "container endpoint response");
    }

    private static ContainerMetadata parseContainer(JsonNode node, String where) {
        requireObject(node, where);
        String dockerId = text(node, "DockerId");
        if (dockerId.isEmpty()) {
            throw new MetadataException("The " + where + " has no DockerId, so it is not container metadata"
                    + " (keys: " + fieldNames(node) + ")");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode labelsNode = node.path("Labels");
        if (labelsNode.isObject()) {
            labelsNode.properties().forEach(e -> {
                if (!e.getValue().isNull()) {
                    labels.put(e.getKey(), e.getValue().asText());
                }
            });
        }
        List<String> networkModes = new ArrayList<>();
        JsonNode networks = node.path("Networks");
        if (networks.isArray()) {
            for (JsonNode network : networks) {
                String mode = text(network, "NetworkMode");
                if (!mode.isEmpty()) {
                    networkModes.add(mode);
                }
            }
        }
        JsonNode limits = node.path("Limits");
        String health = text(node.path("Health"), "status");
        return new ContainerMetadata(dockerId, text(node, "Name"), text(node, "DockerName"), text(node, "Image"),
                text(node, "ImageID"), labels, text(node, "DesiredStatus"), text(node, "KnownStatus"),
                intValue(node, "ExitCode"), doubleValue(limits, "CPU"), longValue(limits, "Memory"),
                instant(node, "CreatedAt"), instant(node, "StartedAt"), instant(node, "FinishedAt"),
                text(node, "Type"), intValue(node, "RestartCount"),
                health.isEmpty() ? Optional.empty() : Optional.of(health), networkModes);
    }

    /** The short name of a cluster given as a name ({@code default}) or an ARN ({@code arn:...:cluster/name}). */
    public static String clusterShortName(String cluster) {
        if (cluster == null) {
            return "";
        }
        if (cluster.startsWith("arn:")) {
            int slash = cluster.lastIndexOf('/');
            return slash < 0 ? cluster : cluster.substring(slash + 1);
        }
        return cluster;
    }

    /**
     * Part {@code index} of an ARN {@code arn:partition:service:region:account:resource}: 3 is the region, 4 the
     * account. Empty if the value is not an ARN.
     */
    static String arnPart(String arn, int index) {
        if (arn == null || !arn.startsWith("arn:")) {
            return "";
        }
        String[] parts = arn.split(":", 6);
        return parts.length > index && index < 5 ? parts[index] : "";
    }

    private static JsonNode readTree(byte[] json, String what) {
        if (json == null || json.length == 0) {
            throw new MetadataException("The " + what + " response is empty; expected a JSON object");
        }
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new MetadataException("The " + what + " response is empty; expected a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            var at = e.getLocation();
            String where = at == null ? "" : " (at line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            // The parser quotes the bad token: escaped and cut, it is logged.
            throw new MetadataException("The " + what + " response is not valid JSON: "
                    + SafeText.excerpt(e.getOriginalMessage(), 200) + where, e);
        } catch (IOException e) {
            throw new MetadataException("The " + what + " response could not be read: "
                    + SafeText.excerpt(e.getMessage(), 200), e);
        }
    }

    private static void requireObject(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            String type = node == null ? "nothing" : node.getNodeType().toString().toLowerCase();
            throw new MetadataException("The " + where + " is a JSON " + type + "; expected a JSON object");
        }
    }

    /** The first field names, each escaped and cut: they come from the body, and the message is logged. */
    private static String fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        Iterator<String> fields = node.fieldNames();
        while (fields.hasNext() && names.size() < 8) {
            names.add(SafeText.excerpt(fields.next(), 24));
        }
        if (fields.hasNext()) {
            names.add("...");
        }
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /**
     * The first of {@code fields} that holds an ARN; empty if none does. The ECS agent's task response has no service
     * or task-definition ARN today, but v4 promises to add fields, and AWS spells ARN fields both ways ({@code TaskARN}
     * in the endpoint, {@code taskDefinitionArn} in the ECS API). A value that is not an ARN is not taken: a tag named
     * {@code *_arn} must hold one.
     */
    private static String arn(JsonNode node, String... fields) {
        for (String field : fields) {
            String value = text(node, field);
            if (isArn(value)) {
                return value;
            }
        }
        return "";
    }

    private static boolean isArn(String value) {
        return value.startsWith("arn:");
    }

    /** A scalar as text ({@code Revision} may be a number); empty when absent, null or not a scalar. */
    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isValueNode() && !value.isNull() ? value.asText() : "";
    }

    private static Optional<Double> doubleValue(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isNumber()) {
            return Optional.of(value.asDouble());
        }
        if (value.isTextual()) {
            try {
                return Optional.of(Double.parseDouble(value.asText().trim()));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static Optional<Long> longValue(JsonNode node, String field) {
        return doubleValue(node, field).map(Double::longValue);
    }

    private static OptionalInt intValue(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            return OptionalInt.of(value.asInt());
        }
        if (value.isTextual()) {
            try {
                return OptionalInt.of(Integer.parseInt(value.asText().trim()));
            } catch (NumberFormatException e) {
                return OptionalInt.empty();
            }
        }
        return OptionalInt.empty();
    }

    private static Optional<Instant> instant(JsonNode node, String field) {
        String value = text(node, field);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            Instant parsed = OffsetDateTime.parse(value).toInstant();
            // Go's zero time means "not set".
            return parsed.getEpochSecond() <= ZERO_GO_TIME ? Optional.empty() : Optional.of(parsed);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** {@code 0001-01-01T00:00:00Z}, Go's zero {@code time.Time}. */
    private static final long ZERO_GO_TIME = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();
}
