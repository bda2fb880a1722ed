package io.pilotfish.task;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.HostConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.startupcheck.IsRunningStartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * Runs a {@link TaskDefinition} on podman as ECS runs it: containers started in {@code dependsOn} order (START,
 * HEALTHY, COMPLETE, SUCCESS), each container's {@code healthCheck} run by exec on ECS's schedule, the definition's
 * memory, CPU, user and read-only root applied, task volumes shared, and ECS's stop sequence (dependents first;
 * SIGTERM, then SIGKILL after the container's {@code stopTimeout}).
 *
 * <p>Networking follows the task's mode on loopback only: in {@code awsvpc} every container shares one network
 * namespace, as a task's containers share {@code localhost} (here the host's, where the test's metadata endpoint,
 * SSM and intake listen); in {@code bridge} each app container gets a namespace of its own with nothing in it
 * ({@code --network none}), so it reaches the agent only through a shared volume, and the agent keeps the host's.
 * No bridge network is ever made.
 *
 * <p>A task with a FireLens log router gets what ECS does for it: each container whose log driver is
 * {@code awsfirelens} starts after the router (a START dependency, unless it depends on the router already), has
 * {@code FLUENT_HOST} and {@code FLUENT_PORT} in its environment, and its output goes to its launch's
 * {@link LogDriver}, which ECS's stop waits for before the next container is stopped (Docker closes a container's
 * logger before its stop returns).
 */
final class EcsTask implements AutoCloseable {

    /** How one container of the definition is launched here: the image, and what the test adds. */
    static final class Launch {
        String image;
        List<String> entrypoint;
        List<String> command;
        final Map<String, String> environment = new LinkedHashMap<>();
        final List<String[]> binds = new ArrayList<>();
        /** Host paths mounted read-write (a directory the container makes its socket in). */
        final List<String[]> writableBinds = new ArrayList<>();
        Integer stopTimeoutSeconds;
        /** Where the container's stdout and stderr go, for a log driver that is not Docker's json-file. */
        LogDriver logDriver;
    }

    /**
     * A container's log driver as Docker runs it: it takes each frame of the container's output from the start, and
     * once the container has stopped it sends what is left and is done.
     */
    interface LogDriver extends AutoCloseable {
        /** A frame of stdout or stderr, or {@link OutputFrame#END} once the container's output has ended. */
        void accept(OutputFrame frame);

        /** The container runs (its id is known). */
        void started(Running r) throws Exception;

        /** Waits until the driver has handed on everything the container wrote; fails the test if it cannot. */
        void awaitDone(Duration timeout) throws InterruptedException;

        @Override
        void close();
    }

    /** ECS's FireLens port: the TCP forward input of the configuration it generates. */
    static final int FLUENT_PORT = 24224;

    enum Health { STARTING, HEALTHY, UNHEALTHY }

    /** One container as it runs: its Testcontainers handle, output and health. */
    final class Running {
        final TaskDefinition.Container definition;
        final GenericContainer<?> container;
        final List<String> lines = new CopyOnWriteArrayList<>();
        final StringBuilder partial = new StringBuilder();
        volatile Instant startedAt;
        volatile Instant healthyAt;
        volatile Health health = Health.STARTING;
        volatile String lastHealthOutput = "";
        volatile int healthChecks;
        volatile Long exitCode;
        volatile Boolean oomKilled;

        Running(TaskDefinition.Container definition, GenericContainer<?> container) {
            this.definition = definition;
            this.container = container;
        }

        String id() {
            return container.getContainerId();
        }

        synchronized void accept(OutputFrame frame) {
            if (frame.getBytes() == null) {
                return;
            }
            partial.append(new String(frame.getBytes(), StandardCharsets.UTF_8));
            int newline;
            while ((newline = partial.indexOf("\n")) >= 0) {
                lines.add(partial.substring(0, newline));
                partial.delete(0, newline + 1);
            }
        }

        String output() {
            return String.join("\n", lines);
        }
    }

    private final TaskDefinition definition;
    private final Map<String, Launch> launches;
    private final Map<String, Path> volumes = new LinkedHashMap<>();
    private final Set<String> initializedVolumes = ConcurrentHashMap.newKeySet();
    private final Path emptyDirectory;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final List<String> startOrder = new CopyOnWriteArrayList<>();
    private final ExecutorService healthChecks = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ecs-health-check");
        t.setDaemon(true);
        return t;
    });
    private final List<Future<?>> monitors = new ArrayList<>();
    private volatile boolean stopping;
    private StartHook onStarted = r -> { };
    private java.util.function.Consumer<Running> onStopped = r -> { };

    /** Called right after a container started (to register it where ECS would list it). */
    interface StartHook {
        void started(Running r) throws Exception;
    }

    EcsTask(TaskDefinition definition, Map<String, Launch> launches) throws IOException {
        this.definition = definition;
        this.launches = Map.copyOf(launches);
        this.emptyDirectory = Files.createTempDirectory("ecs-empty-");
        Files.setPosixFilePermissions(emptyDirectory, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String volume : definition.volumes()) {
            // A task volume as ECS makes it: an empty directory owned by root, mode 0755, until a container whose
            // image declares the mount path a VOLUME mounts it first (below).
            Path dir = Files.createTempDirectory("ecs-volume-" + volume + "-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            volumes.put(volume, dir);
        }
    }

    void onStarted(StartHook hook) {
        this.onStarted = hook;
    }

    /** Called once a container stopped (ECS then shows it {@code STOPPED} in the task metadata). */
    void onStopped(java.util.function.Consumer<Running> hook) {
        this.onStopped = hook;
    }

    TaskDefinition definition() {
        return definition;
    }

    Path volume(String name) {
        return volumes.get(name);
    }

    /** Starts every container whose dependencies are met, in order; fails as ECS would fail the task. */
    void start(Duration ceiling) throws Exception {
        Instant deadline = Instant.now().plus(ceiling);
        Set<String> pending = new LinkedHashSet<>();
        definition.containers().forEach(c -> pending.add(c.name()));
        while (!pending.isEmpty()) {
            boolean startedOne = false;
            for (String name : List.copyOf(pending)) {
                TaskDefinition.Container c = definition.container(name);
                if (dependenciesMet(c)) {
                    startContainer(c);
                    pending.remove(name);
                    startedOne = true;
                }
            }
            if (!startedOne) {
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("containers " + pending + " never had their dependencies met; "
                            + describe());
                }
                Thread.sleep(100);
            }
        }
    }

    /** Starts one container now, whatever its dependencies (for tests that add an app later). */
    Running startContainer(TaskDefinition.Container c) throws Exception {
        Launch launch = launches.get(c.name());
        if (launch == null) {
            throw new IllegalArgumentException("no launch given for container '" + c.name() + "'");
        }
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(launch.image))
                .withImagePullPolicy(image -> false) // local images only: there is no registry here
                .withStartupCheckStrategy(new IsRunningStartupCheckStrategy())
                .withStartupTimeout(Duration.ofSeconds(120));
        Map<String, String> env = new LinkedHashMap<>(c.environment());
        boolean awsvpc = "awsvpc".equals(definition.networkMode());
        if (usesFireLens(c)) {
            if (!awsvpc) {
                // In bridge mode ECS gives the router's bridge address; this simulation makes no bridge network.
                throw new IllegalArgumentException("FireLens is simulated in awsvpc mode only, not "
                        + definition.networkMode());
            }
            // ECS's variables for an app that sends to the router itself: in awsvpc it listens on the task's loopback.
            env.put("FLUENT_HOST", "127.0.0.1");
            env.put("FLUENT_PORT", Integer.toString(FLUENT_PORT));
        }
        env.putAll(launch.environment);
        container.withEnv(env);
        boolean isAgent = c.name().equals(TaskWorld.AGENT);
        container.withNetworkMode(awsvpc || isAgent ? "host" : "none");
        for (TaskDefinition.MountPoint mount : c.mountPoints()) {
            Path dir = volumes.get(mount.sourceVolume());
            if (dir == null) {
                throw new IllegalArgumentException("mount of unknown volume " + mount.sourceVolume());
            }
            if (initializedVolumes.add(mount.sourceVolume())) {
                copyUp(launch.image, mount.containerPath(), dir);
            }
            container.withFileSystemBind(dir.toString(), mount.containerPath(),
                    mount.readOnly() ? BindMode.READ_ONLY : BindMode.READ_WRITE);
        }
        for (String[] bind : launch.binds) {
            container.withFileSystemBind(bind[0], bind[1], BindMode.READ_ONLY);
        }
        for (String[] bind : launch.writableBinds) {
            container.withFileSystemBind(bind[0], bind[1], BindMode.READ_WRITE);
        }
        if (c.readonlyRootFilesystem()) {
            // ECS (Docker) makes the whole root read-only, /tmp and /run included; podman's API mounts writable
            // tmpfs there, which would hide a program that needs a writable /tmp. Empty read-only directories
            // take their place.
            for (String path : List.of("/tmp", "/var/tmp", "/run")) {
                container.withFileSystemBind(emptyDirectory.toString(), path, BindMode.READ_ONLY);
            }
        }
        container.withCreateContainerCmdModifier(cmd -> {
            HostConfig host = cmd.getHostConfig() == null ? new HostConfig() : cmd.getHostConfig();
            c.memoryMiB().ifPresent(mib -> host.withMemory(mib * 1024L * 1024L));
            c.memoryReservationMiB().ifPresent(mib -> host.withMemoryReservation(mib * 1024L * 1024L));
            c.cpu().ifPresent(units -> host.withCpuShares(Math.max(2, units)));
            host.withReadonlyRootfs(c.readonlyRootFilesystem());
            cmd.withHostConfig(host);
            c.user().ifPresent(cmd::withUser);
            if (launch.entrypoint != null) {
                cmd.withEntrypoint(launch.entrypoint);
            }
            if (launch.command != null) {
                cmd.withCmd(launch.command);
            }
            // ECS runs the definition's healthCheck itself (below); the image's HEALTHCHECK is not podman's to run.
            cmd.withHealthcheck(new com.github.dockerjava.api.model.HealthCheck().withTest(List.of("NONE")));
        });
        Running r = new Running(c, container);
        container.withLogConsumer(r::accept);
        if (launch.logDriver != null) {
            container.withLogConsumer(launch.logDriver::accept);
        }
        running.put(c.name(), r);
        container.start();
        r.startedAt = Instant.now();
        if (launch.logDriver != null) {
            launch.logDriver.started(r);
        }
        startOrder.add(c.name());
        onStarted.started(r);
        c.healthCheck().ifPresent(check -> monitors.add(healthChecks.submit(() -> monitor(r, check))));
        return r;
    }

    /**
     * What ECS (and Docker) do when a container first mounts an empty task volume at a path its image declares a
     * {@code VOLUME}: the volume takes that directory's owner and mode (AWS's bind-mount documentation shows a
     * Dockerfile that chowns and declares the path, so a non-root container can write to it). Otherwise the
     * volume stays root's, 0755.
     */
    private static void copyUp(String image, String containerPath, Path volume) throws IOException {
        DockerClient docker = DockerClientFactory.instance().client();
        Map<String, ?> declared = docker.inspectImageCmd(image).exec().getConfig().getVolumes();
        if (declared == null || !declared.containsKey(containerPath)) {
            return;
        }
        String id = docker.createContainerCmd(image).exec().getId();
        try (var tar = docker.copyArchiveFromContainerCmd(id, containerPath).exec()) {
            byte[] header = tar.readNBytes(512);
            int mode = Integer.parseInt(octal(header, 100, 8), 8) & 07777;
            int uid = Integer.parseInt(octal(header, 108, 8), 8);
            int gid = Integer.parseInt(octal(header, 116, 8), 8);
            Files.setAttribute(volume, "unix:uid", uid);
            Files.setAttribute(volume, "unix:gid", gid);
            Files.setAttribute(volume, "unix:mode", mode);
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    private static String octal(byte[] header, int offset, int length) {
        String field = new String(header, offset, length, StandardCharsets.US_ASCII);
        return field.replace("\0", "").strip();
    }

    private static boolean usesFireLens(TaskDefinition.Container c) {
        return c.logConfiguration().map(TaskDefinition.LogConfiguration::isFireLens).orElse(false);
    }

    /**
     * The definition's {@code dependsOn}, and what ECS adds: a container whose log driver is awsfirelens starts once
     * the router has started, unless it depends on the router already or the router depends on other containers.
     */
    List<TaskDefinition.DependsOn> dependsOn(TaskDefinition.Container c) {
        Optional<TaskDefinition.Container> router = definition.firelensRouter();
        if (router.isEmpty() || !usesFireLens(c) || c.name().equals(router.get().name())
                || !router.get().dependsOn().isEmpty()
                || c.dependsOn().stream().anyMatch(d -> d.containerName().equals(router.get().name()))) {
            return c.dependsOn();
        }
        List<TaskDefinition.DependsOn> all = new ArrayList<>(c.dependsOn());
        all.add(new TaskDefinition.DependsOn(router.get().name(), "START"));
        return all;
    }

    private boolean dependenciesMet(TaskDefinition.Container c) {
        for (TaskDefinition.DependsOn dependency : dependsOn(c)) {
            Running r = running.get(dependency.containerName());
            if (r == null) {
                return false;
            }
            switch (dependency.condition()) {
                case "START" -> { }
                case "HEALTHY" -> {
                    if (r.health == Health.UNHEALTHY) {
                        throw new AssertionError(dependency.containerName() + " became UNHEALTHY, so ECS stops the"
                                + " task before " + c.name() + " starts: " + r.lastHealthOutput + "\n" + r.output());
                    }
                    if (r.health != Health.HEALTHY) {
                        return false;
                    }
                }
                case "COMPLETE", "SUCCESS" -> {
                    InspectContainerResponse.ContainerState state = inspect(r).getState();
                    if (Boolean.TRUE.equals(state.getRunning())) {
                        return false;
                    }
                    if ("SUCCESS".equals(dependency.condition()) && state.getExitCodeLong() != 0) {
                        throw new AssertionError(dependency.containerName() + " exited "
                                + state.getExitCodeLong());
                    }
                }
                default -> throw new IllegalArgumentException("unknown dependsOn condition " + dependency);
            }
        }
        return true;
    }

    /**
     * Docker's health-check schedule, which ECS uses: the first check one interval after the start, then one every
     * interval; a check that outlasts the timeout fails; failures within the start period do not count, and
     * {@code retries} consecutive failures after it make the container UNHEALTHY.
     */
    private void monitor(Running r, TaskDefinition.HealthCheck check) {
        Instant startPeriodEnds = r.startedAt.plus(check.startPeriod());
        int consecutiveFailures = 0;
        ExecutorService exec = Executors.newSingleThreadExecutor(t -> {
            Thread thread = new Thread(t, "ecs-health-exec");
            thread.setDaemon(true);
            return thread;
        });
        try {
            while (!stopping) {
                Thread.sleep(check.interval().toMillis());
                if (stopping) {
                    return;
                }
                boolean ok;
                Future<ExecResult> result = exec.submit(() -> r.container.execInContainer(
                        check.argv().toArray(String[]::new)));
                try {
                    ExecResult done = result.get(check.timeout().toMillis(), TimeUnit.MILLISECONDS);
                    ok = done.getExitCode() == 0;
                    r.lastHealthOutput = (done.getStdout() + done.getStderr()).strip();
                } catch (TimeoutException e) {
                    ok = false;
                    r.lastHealthOutput = "timed out after " + check.timeout();
                } catch (Exception e) {
                    ok = false;
                    r.lastHealthOutput = "could not run: " + e;
                }
                r.healthChecks++;
                if (ok) {
                    consecutiveFailures = 0;
                    if (r.health != Health.HEALTHY) {
                        r.healthyAt = Instant.now();
                    }
                    r.health = Health.HEALTHY;
                } else if (Instant.now().isAfter(startPeriodEnds)) {
                    consecutiveFailures++;
                    if (consecutiveFailures >= check.retries()) {
                        r.health = Health.UNHEALTHY;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            exec.shutdownNow();
        }
    }

    Running container(String name) {
        Running r = running.get(name);
        if (r == null) {
            throw new IllegalArgumentException("container '" + name + "' is not running in this task");
        }
        return r;
    }

    boolean isStarted(String name) {
        return running.containsKey(name);
    }

    /** Waits for a line of a container's output. */
    boolean awaitLine(String name, Predicate<String> line, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (running.containsKey(name) && container(name).lines.stream().anyMatch(line)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    ExecResult exec(String name, String... argv) throws Exception {
        return container(name).container.execInContainer(argv);
    }

    /**
     * ECS's stop sequence: containers others depend on are stopped after their dependents; each gets SIGTERM and,
     * after its stop timeout, SIGKILL. Returns the containers in the order they were stopped.
     */
    List<String> stop() {
        stopping = true;
        List<String> order = new ArrayList<>(startOrder);
        Collections.reverse(order);
        for (String name : order) {
            stop(name);
        }
        return order;
    }

    /** SIGTERM, then SIGKILL after the container's stop timeout (the launch's, else the definition's). */
    void stop(String name) {
        Running r = container(name);
        if (r.exitCode != null) {
            return;
        }
        Launch launch = launches.get(name);
        long timeout = launch.stopTimeoutSeconds != null ? launch.stopTimeoutSeconds
                : r.definition.stopTimeout().toSeconds();
        DockerClient docker = DockerClientFactory.instance().client();
        if (Boolean.TRUE.equals(inspect(r).getState().getRunning())) {
            docker.stopContainerCmd(r.id()).withTimeout((int) timeout).exec();
        }
        if (launch.logDriver != null) {
            try {
                launch.logDriver.awaitDone(Duration.ofSeconds(90));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while " + name + "'s log driver finished", e);
            }
        }
        InspectContainerResponse.ContainerState state = inspect(r).getState();
        r.exitCode = state.getExitCodeLong();
        r.oomKilled = state.getOOMKilled();
        onStopped.accept(r);
    }

    InspectContainerResponse inspect(Running r) {
        return DockerClientFactory.instance().client().inspectContainerCmd(r.id()).exec();
    }

    /** The container's memory cgroup, read on the host: current and peak usage in bytes (cgroup v1 or v2). */
    MemoryUsage memory(String name) throws IOException {
        Running r = container(name);
        Long pid = inspect(r).getState().getPidLong();
        String cgroup = null;
        boolean v2 = false;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3 && (",memory,".contains("," + parts[1] + ",") || parts[1].contains("memory"))) {
                cgroup = parts[2];
            } else if (parts.length == 3 && parts[0].equals("0") && parts[1].isEmpty() && cgroup == null) {
                cgroup = parts[2];
                v2 = true;
            }
        }
        if (cgroup == null) {
            throw new IOException("no memory cgroup for " + name + " (pid " + pid + ")");
        }
        Path dir = v2 ? Path.of("/sys/fs/cgroup" + cgroup) : Path.of("/sys/fs/cgroup/memory" + cgroup);
        if (Files.isDirectory(dir) && Files.exists(dir.resolve("memory.max_usage_in_bytes"))) {
            return new MemoryUsage(read(dir.resolve("memory.usage_in_bytes")),
                    read(dir.resolve("memory.max_usage_in_bytes")), read(dir.resolve("memory.limit_in_bytes")),
                    oomKills(dir.resolve("memory.oom_control"), "oom_kill "));
        }
        Path unified = Path.of("/sys/fs/cgroup" + cgroup);
        return new MemoryUsage(read(unified.resolve("memory.current")), read(unified.resolve("memory.peak")),
                readLimit(unified.resolve("memory.max")), oomKills(unified.resolve("memory.events"), "oom_kill "));
    }

    record MemoryUsage(long currentBytes, long peakBytes, long limitBytes, long oomKills) {
        double peakMiB() {
            return peakBytes / 1048576.0;
        }

        double currentMiB() {
            return currentBytes / 1048576.0;
        }
    }

    private static long read(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).strip());
    }

    private static long readLimit(Path file) throws IOException {
        String value = Files.readString(file).strip();
        return value.equals("max") ? Long.MAX_VALUE : Long.parseLong(value);
    }

    private static long oomKills(Path file, String key) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).strip());
            }
        }
        return 0;
    }

    String describe() {
        StringBuilder text = new StringBuilder();
        running.forEach((name, r) -> text.append("\n--- ").append(name).append(" (").append(r.health)
                .append(", ").append(r.healthChecks).append(" checks: ").append(r.lastHealthOutput).append(")\n")
                .append(tail(r.lines, 60)));
        return text.toString();
    }

    private static String tail(List<String> lines, int n) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    Optional<Instant> healthyAt(String name) {
        return Optional.ofNullable(container(name).healthyAt);
    }

    @Override
    public void close() {
        stopping = true;
        monitors.forEach(m -> m.cancel(true));
        healthChecks.shutdownNow();
        for (Running r : running.values()) {
            try {
                r.container.stop();
            } catch (RuntimeException e) {
                // Already gone: nothing to remove.
            }
        }
        for (Launch launch : launches.values()) {
            if (launch.logDriver != null) {
                launch.logDriver.close();
            }
        }
        List<Path> dirs = new ArrayList<>(volumes.values());
        dirs.add(emptyDirectory);
        for (Path dir : dirs) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temp dir left behind is harmless.
            }
        }
    }
}
