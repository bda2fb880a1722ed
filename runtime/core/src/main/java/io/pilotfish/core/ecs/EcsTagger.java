package io.pilotfish.core.ecs;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.signal.TagSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Derives the tags the Datadog Agent's tagger gives an ECS task and its containers, so dashboards and monitors built
 * on the Datadog Agent keep working.
 *
 * <ul>
 *   <li>LOW, task: {@code task_name}, {@code task_family}, {@code task_version}, {@code cluster_name},
 *       {@code ecs_cluster_name}, {@code aws_account}, {@code region}, {@code ecs_service} (lowercased, when the
 *       endpoint gives a ServiceName), {@code service_arn} and {@code cluster_arn} (as given, when the endpoint gives
 *       them: the cluster ARN is the {@code Cluster} field on Fargate; EC2 gives the short name only), and on Fargate
 *       {@code availability-zone} plus the deprecated {@code availability_zone}.</li>
 *   <li>LOW, container: {@code ecs_container_name}, {@code image_name}, {@code short_image}, {@code image_tag},
 *       {@code image_id} (when the endpoint gives an ImageID; the pause container has none), and {@code docker_image}
 *       ({@code name:tag}) only where the Datadog Agent adds it: on the Docker runtime, i.e. launch type EC2
 *       (or no launch type and not Fargate, for v3 endpoints that do not report it).</li>
 *   <li>ORCHESTRATOR adds {@code task_arn} and {@code task_definition_arn} (when the endpoint gives it); HIGH adds
 *       {@code container_name} (the runtime name, {@code DockerName}) and {@code container_id} (the
 *       {@code DockerId}).</li>
 * </ul>
 * Container tags include the task's, so every task tag is on both. Tags with an empty value are left out, as the
 * Agent's tag list does. Pure functions; thread-safe.
 */
public final class EcsTagger {


    private EcsTagger() {
    }

    /** The parts of an image reference, split as the Datadog Agent splits it. */
    public record ImageRef(String name, String shortName, String tag, String registry) {
    }

    public static TagSet taskTags(TaskMetadata task, Cardinality cardinality) {
        List<String> tags = new ArrayList<>();
        add(tags, "task_name", task.family()); // Datadog keeps task_name (= family) for backward compatibility
        add(tags, "task_family", task.family());
        add(tags, "task_version", task.revision());
        add(tags, "cluster_name", task.clusterName());
        add(tags, "ecs_cluster_name", task.clusterName());
        add(tags, "aws_account", task.accountId());
        add(tags, "region", task.region());
        add(tags, "ecs_service", task.serviceName().toLowerCase(Locale.ROOT));
        add(tags, "service_arn", task.serviceArn());
        if (!task.clusterName().isEmpty()) {
            add(tags, "cluster_arn", task.clusterArn()); // the Agent keeps cluster tags for tasks with a cluster
        }
        if (task.isFargate()) {
            add(tags, "availability-zone", task.availabilityZone());
            add(tags, "availability_zone", task.availabilityZone());
        }
        if (cardinality != Cardinality.LOW) {
            add(tags, "task_arn", task.taskArn());
            add(tags, "task_definition_arn", task.taskDefinitionArn());
        }
        return TagSet.of(tags);
    }

    /** Tags of one container: its own tags plus {@link #taskTags} at the same cardinality. */
    public static TagSet containerTags(TaskMetadata task, ContainerMetadata container, Cardinality cardinality) {
        return taskTags(task, cardinality).with(ownContainerTags(task, container, cardinality));
    }

    static TagSet ownContainerTags(TaskMetadata task, ContainerMetadata container, Cardinality cardinality) {
        List<String> tags = new ArrayList<>();
        add(tags, "ecs_container_name", container.name());
        ImageRef image = parseImage(container.image());
        if (image != null) {
            add(tags, "image_name", image.name());
            add(tags, "short_image", image.shortName());
            add(tags, "image_tag", image.tag());
            if (task.runsOnDocker() && !image.tag().isEmpty()) {
                add(tags, "docker_image", image.name() + ":" + image.tag());
            }
        }
        add(tags, "image_id", container.imageId());
        if (cardinality == Cardinality.HIGH) {
            add(tags, "container_name", runtimeName(container));
            add(tags, "container_id", container.dockerId());
        }
        return TagSet.of(tags);
    }

    /** The name the container runtime knows: {@code DockerName} ({@code ecs-<family>-<rev>-<name>-<hash>} on EC2). */
    public static String runtimeName(ContainerMetadata container) {
        return container.dockerName().isEmpty() ? container.name() : container.dockerName();
    }

    /**
     * Splits an image reference: the digest ({@code @sha256:...}) is dropped, the tag is what follows the last colon
     * after the last slash (so a registry port is not a tag), {@code latest} when there is none; the short name is
     * the last path segment; the registry is the first segment when there are at least two slashes. A bare image id
     * ({@code sha256:...}) keeps only its name. Null for an empty reference.
     */
    public static ImageRef parseImage(String image) {
        if (image == null || image.isBlank()) {
            return null;
        }
        if (image.startsWith("sha256:")) {
            return new ImageRef(image, "", "", "");
        }
        String reference = image;
        int digest = reference.lastIndexOf("@sha");
        if (digest >= 0) {
            reference = reference.substring(0, digest);
        }
        String name = reference;
        String tag = "";
        int lastColon = reference.lastIndexOf(':');
        if (lastColon > reference.lastIndexOf('/')) {
            tag = reference.substring(lastColon + 1);
            name = reference.substring(0, lastColon);
        }
        int firstSlash = name.indexOf('/');
        int lastSlash = name.lastIndexOf('/');
        String shortName = name.substring(lastSlash + 1);
        String registry = firstSlash >= 0 && firstSlash != lastSlash ? name.substring(0, firstSlash) : "";
        return new ImageRef(name, shortName, tag.isEmpty() ? "latest" : tag, registry);
    }

    private static void add(List<String> tags, String key, String value) {
        if (value != null && !value.isEmpty()) {
            tags.add(key + ":" + value);
        }
    }
}
