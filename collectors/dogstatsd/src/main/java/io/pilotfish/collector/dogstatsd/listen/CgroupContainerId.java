package io.pilotfish.collector.dogstatsd.listen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The container a process runs in, read from {@code /proc/<pid>/cgroup} the way the Datadog Agent and its clients
 * read it: the first cgroup path that ends in a container id.
 */
public final class CgroupContainerId {

    /** {@code hierarchy-id:controllers:path}; cgroup v2 has the single line {@code 0::/path}. */
    private static final Pattern LINE = Pattern.compile("^\\d+:[^:]*:(.+)$");
    /**
     * 64 hex digits: Docker, containerd and ECS on EC2. 32 hex digits, a dash and digits: ECS on Fargate. A trailing
     * {@code .scope} comes from systemd's cgroup driver ({@code docker-<id>.scope}). The Agent also knows Cloud
     * Foundry's Garden ids (UUIDs), which ECS never produces and which would match systemd unit names.
     */
    private static final Pattern CONTAINER_ID = Pattern.compile("([0-9a-f]{64}|[0-9a-f]{32}-\\d+)(?:\\.scope)?$");

    private final Path procRoot;

    /** @param procRoot where procfs is mounted: {@code /proc}, or a directory of fixtures in tests */
    public CgroupContainerId(Path procRoot) {
        this.procRoot = procRoot;
    }

    public static CgroupContainerId fromProc() {
        return new CgroupContainerId(Path.of("/proc"));
    }

    /**
     * The container id of process {@code pid}, or "" when the process is not in a container, is gone, or is not
     * visible from here (pid 0 is what the kernel reports for a peer outside our pid namespace).
     */
    public String forPid(int pid) {
        if (pid <= 0) {
            return "";
        }
        try {
            return parse(Files.readString(procRoot.resolve(Integer.toString(pid)).resolve("cgroup"),
                    StandardCharsets.UTF_8));
        } catch (IOException | SecurityException e) {
            return "";
        }
    }

    /** The container id in the text of a cgroup file, or "". */
    public static String parse(String cgroupFile) {
        for (String line : cgroupFile.split("\n")) {
            Matcher entry = LINE.matcher(line.strip());
            if (!entry.matches()) {
                continue;
            }
            Matcher id = CONTAINER_ID.matcher(entry.group(1));
            if (id.find()) {
                return id.group(1);
            }
        }
        return "";
    }
}
