package io.pilotfish.collector.forward;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.spi.ecs.ContainerMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a container's Docker labels (its task definition's {@code dockerLabels}, listed in the task metadata) say
 * about its logs, read as the Datadog Agent reads them:
 * <ul>
 *   <li>{@code com.datadoghq.ad.logs}: a JSON list whose first entry gives {@code source}, {@code service},
 *       {@code tags} (a list or a comma-separated string) and {@code log_processing_rules}; a labelled container's
 *       logs are collected even when {@code DD_LOGS_CONFIG_CONTAINER_COLLECT_ALL} is off;</li>
 *   <li>{@code com.datadoghq.tags.service}: unified service tagging, the service when the logs label names none.</li>
 * </ul>
 * A label that does not parse is reported ({@link #problem}) and ignored: the logs still go, as the container's.
 *
 * @param labelled   whether the container has a {@code com.datadoghq.ad.logs} label that parsed
 * @param source     the label's source, or ""
 * @param service    the label's service, else the unified service label's, or ""
 * @param tags       the label's tags
 * @param rulesJson  the label's {@code log_processing_rules} as JSON, or "" for none
 * @param shortImage the image's short name ({@code shop-app} of {@code public.ecr.aws/acme/shop-app:1.4}), the
 *                   Agent's source and service for a container collected without a label
 * @param problem    why the logs label was ignored, or ""
 */
record ContainerLogLabels(boolean labelled, String source, String service, List<String> tags, String rulesJson,
                          String shortImage, String problem) {

    static final String LOGS_LABEL = "com.datadoghq.ad.logs";
    static final String SERVICE_LABEL = "com.datadoghq.tags.service";
    static final ContainerLogLabels NONE = new ContainerLogLabels(false, "", "", List.of(), "", "", "");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A label is a few hundred bytes; one larger than this is refused rather than parsed. */
    private static final int MAX_LABEL_CHARS = 64 * 1024;

    static ContainerLogLabels of(ContainerMetadata container) {
        Map<String, String> labels = container.labels();
        String unifiedService = labels.getOrDefault(SERVICE_LABEL, "").trim();
        String image = shortImage(container.image());
        String raw = labels.get(LOGS_LABEL);
        if (raw == null || raw.isBlank()) {
            return new ContainerLogLabels(false, "", unifiedService, List.of(), "", image, "");
        }
        try {
            if (raw.length() > MAX_LABEL_CHARS) {
                throw new IllegalArgumentException("longer than " + MAX_LABEL_CHARS + " characters");
            }
            JsonNode root = JSON.readTree(raw);
            JsonNode first = root != null && root.isArray() && !root.isEmpty() ? root.get(0) : null;
            if (first == null || !first.isObject()) {
                throw new IllegalArgumentException("expected a JSON list of objects, e.g. "
                        + "[{\"source\":\"java\",\"service\":\"web\"}]");
            }
            String source = text(first, "source");
            String service = text(first, "service");
            List<String> tags = new ArrayList<>();
            JsonNode tagNode = first.path("tags");
            if (tagNode.isArray()) {
                tagNode.forEach(t -> add(tags, t.asText()));
            } else if (tagNode.isTextual()) {
                for (String t : tagNode.asText().split(",")) {
                    add(tags, t);
                }
            }
            JsonNode rules = first.path("log_processing_rules");
            String rulesJson = rules.isMissingNode() || rules.isNull() ? "" : JSON.writeValueAsString(rules);
            return new ContainerLogLabels(true, source, service.isEmpty() ? unifiedService : service,
                    List.copyOf(tags), rulesJson, image, "");
        } catch (JsonProcessingException e) {
            return unreadable(unifiedService, image, "not JSON (" + e.getOriginalMessage() + ")");
        } catch (IllegalArgumentException e) {
            return unreadable(unifiedService, image, e.getMessage());
        }
    }

    private static ContainerLogLabels unreadable(String service, String image, String why) {
        return new ContainerLogLabels(false, "", service, List.of(), "", image, "label " + LOGS_LABEL + " ignored: "
                + why);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() ? value.asText().trim() : "";
    }

    private static void add(List<String> tags, String tag) {
        String trimmed = tag.trim();
        if (!trimmed.isEmpty()) {
            tags.add(trimmed);
        }
    }

    /** {@code registry/path/name:tag@digest} → {@code name}. */
    static String shortImage(String image) {
        String name = image == null ? "" : image.trim();
        int at = name.indexOf('@');
        if (at >= 0) {
            name = name.substring(0, at);
        }
        int slash = name.lastIndexOf('/');
        if (slash >= 0) {
            name = name.substring(slash + 1);
        }
        int colon = name.indexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        return name;
    }
}
