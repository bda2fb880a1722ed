package io.pilotfish.collector.forward.firelens;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code provider ecs} as Fluent Bit's datadog output applies it: the ECS fields FireLens adds to every record leave
 * the attributes and become Datadog tags, so that the logs carry the same {@code task_arn}, {@code cluster_name},
 * {@code task_family} ... as the task's metrics. The mapping (Fluent Bit {@code plugins/out_datadog/datadog_remap.c}):
 * <ul>
 *   <li>{@code container_id}, {@code container_image} → the same tag;</li>
 *   <li>{@code container_name} → {@code container_name}, without Docker's leading {@code /};</li>
 *   <li>{@code ecs_cluster} → {@code cluster_name}, the part after {@code cluster/} of an ARN;</li>
 *   <li>{@code ecs_task_definition} {@code family:revision} → {@code task_family} and {@code task_version};</li>
 *   <li>{@code ecs_task_arn} → {@code task_arn} (the whole ARN), {@code task_id} (after {@code task/}) and
 *       {@code region} (from the ARN).</li>
 * </ul>
 * A field that is not a non-empty string stays an attribute, as there.
 */
public final class EcsProviderTags {

    private static final String CLUSTER_PREFIX = "cluster/";
    private static final String TASK_PREFIX = "task/";
    private static final String ARN_PREFIX = "arn:aws:ecs:";

    /** The tags taken out, and the attributes left. */
    public record Remapped(List<String> tags, Map<String, Object> attributes) {
    }

    private EcsProviderTags() {
    }

    public static Remapped remap(Map<String, Object> attributes) {
        List<String> tags = new ArrayList<>();
        Map<String, Object> left = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : attributes.entrySet()) {
            if (!(e.getValue() instanceof String value) || value.isEmpty() || !remapOne(e.getKey(), value, tags)) {
                left.put(e.getKey(), e.getValue());
            }
        }
        return new Remapped(tags, left);
    }

    private static boolean remapOne(String key, String value, List<String> tags) {
        switch (key) {
            case "container_id", "container_image" -> tags.add(key + ":" + value);
            case "container_name" ->
                    tags.add("container_name:" + (value.startsWith("/") ? value.substring(1) : value));
            case "ecs_cluster" -> {
                int at = value.indexOf(CLUSTER_PREFIX);
                tags.add("cluster_name:" + (at >= 0 ? value.substring(at + CLUSTER_PREFIX.length()) : value));
            }
            case "ecs_task_definition" -> {
                int colon = value.indexOf(':');
                if (colon >= 0) {
                    tags.add("task_family:" + value.substring(0, colon));
                    tags.add("task_version:" + value.substring(colon + 1));
                } else {
                    tags.add("ecs_task_definition:" + value);
                }
            }
            case "ecs_task_arn" -> {
                tags.add("task_arn:" + value);
                if (value.startsWith(ARN_PREFIX)) {
                    int colon = value.indexOf(':', ARN_PREFIX.length());
                    if (colon > ARN_PREFIX.length()) {
                        tags.add("region:" + value.substring(ARN_PREFIX.length(), colon));
                    }
                }
                int at = value.indexOf(TASK_PREFIX);
                tags.add("task_id:" + (at >= 0 ? value.substring(at + TASK_PREFIX.length()) : value));
            }
            default -> {
                return false;
            }
        }
        return true;
    }
}
