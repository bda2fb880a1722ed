package io.pilotfish.collector.ecsmetadata;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Turns successive views of the task into signals: events (and, when metrics are on, counts) for what changed since
 * the previous view, and gauges for the current state when metrics are on. Remembers only the previous view, so
 * memory stays flat however long the task runs. Not thread-safe: the scraper calls it from one scrape at a time.
 */
final class TaskLifecycle {

    static final String SOURCE_TYPE = "ecs";
    /** The exit status of a process ended by SIGKILL (128 + 9), which is how the kernel's OOM killer ends it. */
    static final int SIGKILL_EXIT_CODE = 137;
    private static final String AGGREGATION_KEY_PREFIX = "ecs-task:";
    /** A task id: 32 hex digits on current ARNs ({@code task/<cluster>/<id>}), a dashed UUID on old ones. */
    private static final Pattern TASK_ID = Pattern.compile("[0-9A-Za-z-]{1,64}");

    private final EcsMetadataConfig config;

    private String taskArn = "";
    private String aggregationKey = "";
    private boolean taskWasStopping;
    private Map<String, ContainerMetadata> previous = Map.of();
    /** Statuses reported for this task so far, so a status nobody is in any more reports 0 instead of vanishing. */
    private final Set<String> statusesSeen = new TreeSet<>();
    private Instant lastObservation;
    private TaskSnapshot tagsOf;
    private Map<String, TagSet> containerTags = new HashMap<>();

    TaskLifecycle(EcsMetadataConfig config) {
        this.config = config;
    }

    /** Events for the changes since the previous view; with metrics on, counts for them and the gauges of this one. */
    List<Signal> observe(TaskSnapshot snapshot, Instant now) {
        TaskMetadata task = snapshot.task();
        long timestamp = now.getEpochSecond();
        long interval = lastObservation == null ? 1
                : Math.max(1, Math.round(Duration.between(lastObservation, now).toMillis() / 1000.0));
        lastObservation = now;
        List<Signal> signals = new ArrayList<>();
        if (!task.taskArn().equals(taskArn)) {
            // First view of this task (or, which ECS never does, another task behind the same endpoint).
            taskArn = task.taskArn();
            aggregationKey = aggregationKey(task);
            taskWasStopping = false;
            previous = Map.of();
            statusesSeen.clear();
            if (config.events()) {
                signals.add(taskStarted(snapshot, timestamp));
            }
        }
        Map<String, ContainerMetadata> seen = new LinkedHashMap<>();
        for (ContainerMetadata container : reported(task)) {
            transitions(snapshot, previous.get(container.dockerId()), container, timestamp, interval, signals);
            seen.put(container.dockerId(), container);
        }
        previous = seen;
        taskWasStopping = "STOPPED".equals(task.desiredStatus());
        signals.addAll(gauges(snapshot, now));
        return signals;
    }

    /**
     * The gauges of one view, when metrics are on: how many containers are in each state, and each container's state.
     */
    List<Metric> gauges(TaskSnapshot snapshot, Instant now) {
        if (!config.metrics()) {
            return List.of();
        }
        long timestamp = now.getEpochSecond();
        List<Metric> metrics = new ArrayList<>();
        Map<String, Integer> byStatus = new TreeMap<>();
        List<ContainerMetadata> containers = reported(snapshot.task());
        for (ContainerMetadata container : containers) {
            byStatus.merge(statusName(container), 1, Integer::sum);
        }
        statusesSeen.addAll(byStatus.keySet());
        TagSet taskTags = snapshot.taskTags(Cardinality.ORCHESTRATOR);
        for (String status : statusesSeen) {
            metrics.add(Metric.gauge("ecs.task.containers", byStatus.getOrDefault(status, 0), timestamp,
                    taskTags.with("status:" + status)));
        }
        for (ContainerMetadata container : containers) {
            TagSet tags = tagsOf(snapshot, container);
            metrics.add(Metric.gauge("ecs.container.running", container.isRunning() ? 1 : 0, timestamp, tags));
            container.restartCount().ifPresent(restarts ->
                    metrics.add(Metric.gauge("ecs.container.restarts", restarts, timestamp, tags)));
            container.exitCode().ifPresent(code ->
                    metrics.add(Metric.gauge("ecs.container.exit_code", code, timestamp, tags)));
            if (container.isRunning() && container.startedAt().isPresent()) {
                double uptime = Duration.between(container.startedAt().get(), now).toMillis() / 1000.0;
                metrics.add(Metric.gauge("ecs.container.uptime", Math.max(0, uptime), timestamp, tags));
            }
        }
        return metrics;
    }

    private void transitions(TaskSnapshot snapshot, ContainerMetadata before, ContainerMetadata now, long timestamp,
                             long interval, List<Signal> signals) {
        boolean restarted = before != null && now.restartCount().isPresent()
                && now.restartCount().getAsInt() > before.restartCount().orElse(0);
        boolean wasStopped = before != null && before.isStopped();
        boolean wasRunning = before != null && before.isRunning();
        if (restarted && config.events()) {
            signals.add(restartedEvent(snapshot, before, now, timestamp));
        }
        if (now.isStopped() && (!wasStopped || restarted)) {
            stopped(snapshot, now, timestamp, interval, signals);
        } else if (now.isRunning() && !wasRunning && !restarted && config.events()) {
            signals.add(startedEvent(snapshot, now, timestamp));
        }
    }

    private void stopped(TaskSnapshot snapshot, ContainerMetadata container, long timestamp, long interval,
                         List<Signal> signals) {
        TaskMetadata task = snapshot.task();
        TagSet tags = tagsOf(snapshot, container);
        OptionalInt exitCode = container.exitCode();
        String exitTag = "exit_code:" + (exitCode.isPresent() ? exitCode.getAsInt() : "unknown");
        boolean killed = exitCode.isPresent() && exitCode.getAsInt() == SIGKILL_EXIT_CODE;
        Optional<String> memoryLimit = memoryLimit(task, container);
        boolean likelyOom = killed && memoryLimit.isPresent() && !taskWasStopping;
        if (config.metrics()) {
            signals.add(Metric.count("ecs.container.stops", 1, timestamp, interval, tags.with(exitTag)));
            if (likelyOom) {
                signals.add(Metric.count("ecs.container.oom_kills", 1, timestamp, interval, tags));
            }
        }
        if (!config.events()) {
            return;
        }
        String name = displayName(container);
        String title;
        Event.AlertType alert;
        List<String> text = new ArrayList<>();
        if (killed) {
            title = "Container " + name + " killed by SIGKILL (exit code 137)" + (likelyOom
                    ? ", likely out of memory" : "");
            alert = Event.AlertType.ERROR;
            text.add(killExplanation(memoryLimit, likelyOom));
        } else if (exitCode.isPresent()) {
            title = "Container " + name + " exited with code " + exitCode.getAsInt();
            alert = exitCode.getAsInt() == 0 ? Event.AlertType.SUCCESS : Event.AlertType.ERROR;
        } else {
            title = "Container " + name + " stopped without an exit code";
            alert = Event.AlertType.ERROR;
            text.add("ECS reports no exit code: the container may never have started (for example an image pull or"
                    + " resource error).");
        }
        text.add("Exit code: " + (exitCode.isPresent() ? exitCode.getAsInt() : "none") + ".");
        container.startedAt().ifPresent(started -> text.add("Started at " + started + (container.finishedAt()
                .map(finished -> ", finished at " + finished + " (ran " + seconds(started, finished) + " s)")
                .orElse("") + ".")));
        text.add(essentialContext(task));
        text.addAll(identity(task, container));
        TagSet eventTags = tags.with("event_type:container_stopped", exitTag);
        // A tag, not just the title, so an event monitor can count likely OOM kills without the metrics.
        signals.add(event(title, text, timestamp, alert, Event.Priority.NORMAL,
                likelyOom ? eventTags.with("oom_kill:likely") : eventTags));
    }

    private static String killExplanation(Optional<String> memoryLimit, boolean likelyOom) {
        String base = "Exit code 137 means the process was ended by SIGKILL (128 + 9). ";
        if (likelyOom) {
            return base + "It runs under a " + memoryLimit.get() + ", and the kernel's OOM killer ends a container"
                    + " that exceeds its limit with SIGKILL, so this was likely an out-of-memory kill. The task metadata"
                    + " endpoint does not report the reason: this is an inference from the exit code and the limit.";
        }
        if (memoryLimit.isPresent()) {
            return base + "The task was already stopping, so this is most likely ECS killing a container that did not"
                    + " exit within its stop timeout after SIGTERM, not an out-of-memory kill.";
        }
        return base + "No memory limit is set on the container or the task, so no limit was exceeded; it may be a"
                + " stop timeout after SIGTERM, or the host running out of memory.";
    }

    private static String essentialContext(TaskMetadata task) {
        if ("STOPPED".equals(task.desiredStatus())) {
            return "The task is stopping (desired status STOPPED): an essential container exited, or the task was"
                    + " stopped.";
        }
        return "The task's desired status is still " + (task.desiredStatus().isEmpty() ? "unknown"
                : task.desiredStatus()) + ": so far this container's exit has not stopped the task, so it is likely"
                + " not essential.";
    }

    private Event startedEvent(TaskSnapshot snapshot, ContainerMetadata container, long timestamp) {
        List<String> text = new ArrayList<>();
        text.add("Image: " + container.image() + ".");
        container.startedAt().ifPresent(started -> text.add("Started at " + started + "."));
        text.addAll(identity(snapshot.task(), container));
        return event("Container " + displayName(container) + " started", text, timestamp, Event.AlertType.INFO,
                Event.Priority.LOW, tagsOf(snapshot, container).with("event_type:container_started"));
    }

    private Event restartedEvent(TaskSnapshot snapshot, ContainerMetadata before, ContainerMetadata now,
                                 long timestamp) {
        int count = now.restartCount().getAsInt();
        List<String> text = new ArrayList<>();
        text.add("The restart count went from " + before.restartCount().orElse(0) + " to " + count
                + " (the container's ECS restart policy restarted it).");
        now.exitCode().ifPresent(code -> text.add("Last exit code: " + code + "."));
        text.add("Known status now: " + now.knownStatus() + ".");
        text.addAll(identity(snapshot.task(), now));
        TagSet tags = tagsOf(snapshot, now).with("event_type:container_restarted");
        // The exit that caused the restart: a stop that the restart hid between two scrapes has no stop event.
        if (now.exitCode().isPresent()) {
            tags = tags.with("exit_code:" + now.exitCode().getAsInt());
        }
        return event("Container " + displayName(now) + " restarted (restart count " + count + ")", text, timestamp,
                Event.AlertType.WARNING, Event.Priority.NORMAL, tags);
    }

    private Event taskStarted(TaskSnapshot snapshot, long timestamp) {
        TaskMetadata task = snapshot.task();
        List<String> text = new ArrayList<>();
        text.add("Launch type: " + (task.launchType().isEmpty()
                ? "not reported (" + task.metadataVersion() + " endpoint)" : task.launchType()) + ".");
        text.add("Availability zone: " + (task.availabilityZone().isEmpty() ? "not reported"
                : task.availabilityZone()) + ".");
        text.add("Cluster: " + task.clusterName() + ".");
        List<String> containers = new ArrayList<>();
        for (ContainerMetadata container : reported(task)) {
            containers.add(displayName(container) + " (" + container.knownStatus() + ")");
        }
        text.add("Containers: " + (containers.isEmpty() ? "none yet" : String.join(", ", containers)) + ".");
        text.add("Task: " + task.taskArn());
        return event("Task " + task.family() + ":" + task.revision() + " started", text, timestamp,
                Event.AlertType.INFO, Event.Priority.NORMAL,
                snapshot.taskTags(Cardinality.ORCHESTRATOR).with("event_type:task_started"));
    }

    private Event event(String title, List<String> text, long timestamp, Event.AlertType alert,
                        Event.Priority priority, TagSet tags) {
        // Aggregating by task groups every event of one task together in the event stream.
        return new Event(title, String.join("\n", text), timestamp, alert, priority, SOURCE_TYPE, aggregationKey, tags,
                "");
    }

    /**
     * The key that groups one task's events: {@code ecs-task:<task id>}. The id is unique per task and read from the
     * ARN, so every agent that sees the task, before or after a restart, derives the same key. The ARN itself is no
     * key: with the cluster name in it (up to 255 characters) it often exceeds the 100 characters Datadog keeps. An
     * id that does not look like one (never seen on ECS) is replaced by a hash of the ARN, which is as stable.
     */
    static String aggregationKey(TaskMetadata task) {
        String id = task.taskId();
        if (TASK_ID.matcher(id).matches()) {
            return AGGREGATION_KEY_PREFIX + id;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(task.taskArn().getBytes(StandardCharsets.UTF_8));
            return AGGREGATION_KEY_PREFIX + HexFormat.of().formatHex(digest, 0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static List<String> identity(TaskMetadata task, ContainerMetadata container) {
        return List.of("Task: " + task.family() + ":" + task.revision() + " " + task.taskArn(),
                "Container id: " + container.dockerId());
    }

    /**
     * Tags of a container's series: the task-level tags with the task ARN (ORCHESTRATOR), the container's
     * task-definition name and image, plus {@code container_name} (the runtime name), which is one-to-one with the
     * container inside a task and so costs no cardinality beyond the task ARN.
     */
    private TagSet tagsOf(TaskSnapshot snapshot, ContainerMetadata container) {
        if (snapshot != tagsOf) {
            tagsOf = snapshot;
            containerTags = new HashMap<>();
        }
        return containerTags.computeIfAbsent(container.dockerId(), id -> {
            TagSet tags = snapshot.containerTags(id, Cardinality.ORCHESTRATOR);
            String runtimeName = snapshot.containerTags(id, Cardinality.HIGH).valueOf("container_name");
            return runtimeName == null ? tags : tags.with("container_name:" + runtimeName);
        });
    }

    private List<ContainerMetadata> reported(TaskMetadata task) {
        if (config.includeInternal()) {
            return task.containers();
        }
        return task.containers().stream().filter(c -> !c.isInternal()).toList();
    }

    /** The memory limit that applies, described, if any: the container's own, else the task's. */
    private static Optional<String> memoryLimit(TaskMetadata task, ContainerMetadata container) {
        Optional<Long> own = container.memoryLimitMiB().filter(mib -> mib > 0);
        if (own.isPresent()) {
            return Optional.of("container memory limit of " + own.get() + " MiB");
        }
        return task.memoryLimitMiB().filter(mib -> mib > 0).map(mib -> "task memory limit of " + mib + " MiB");
    }

    private static String statusName(ContainerMetadata container) {
        return container.knownStatus().isEmpty() ? "unknown" : container.knownStatus().toLowerCase(Locale.ROOT);
    }

    private static String displayName(ContainerMetadata container) {
        return container.name().isEmpty() ? container.dockerName() : container.name();
    }

    private static String seconds(Instant from, Instant to) {
        return String.format(Locale.ROOT, "%.1f", Duration.between(from, to).toMillis() / 1000.0);
    }
}
