package io.pilotfish.collector.dogstatsd.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Container ids in cgroup files shaped like the ones Docker, containerd, ECS on EC2 and Fargate write. */
class CgroupContainerIdTest {

    private static final String DOCKER_ID = "3726184226f5d3147c25fdeab5b60097e378e8a720503a5e19ecfdf29f869860";
    private static final String ECS_ID = "38fac3e99302b3622be089dd41e7ccf38aff368a86cc339972075136ee2710ce";
    private static final String TASK_ID = "1f5b1d5fb6a14f4e9e25c9b3bd6c3e52";
    private static final String FARGATE_ID = TASK_ID + "-3224217283";

    @Test
    void dockerOnCgroupV2() {
        assertEquals(DOCKER_ID, CgroupContainerId.parse("0::/docker/" + DOCKER_ID + "\n"));
    }

    @Test
    void dockerWithTheSystemdCgroupDriver() {
        assertEquals(DOCKER_ID, CgroupContainerId.parse("0::/system.slice/docker-" + DOCKER_ID + ".scope\n"));
    }

    @Test
    void containerdOnCgroupV2() {
        assertEquals(DOCKER_ID, CgroupContainerId.parse(
                "0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-" + DOCKER_ID + ".scope\n"));
    }

    @Test
    void ecsOnEc2WithCgroupV1() {
        String file = """
                12:pids:/ecs/55091c13-b8cf-4801-b527-f4601742204d/%1$s
                11:hugetlb:/ecs/55091c13-b8cf-4801-b527-f4601742204d/%1$s
                10:memory:/ecs/55091c13-b8cf-4801-b527-f4601742204d/%1$s
                4:cpu,cpuacct:/ecs/55091c13-b8cf-4801-b527-f4601742204d/%1$s
                1:name=systemd:/ecs/55091c13-b8cf-4801-b527-f4601742204d/%1$s
                0::/
                """.formatted(ECS_ID);
        assertEquals(ECS_ID, CgroupContainerId.parse(file));
    }

    @Test
    void fargate() {
        String file = """
                11:memory:/ecs/%1$s/%2$s
                10:cpuset:/ecs/%1$s/%2$s
                1:name=systemd:/ecs/%1$s/%2$s
                """.formatted(TASK_ID, FARGATE_ID);
        assertEquals(FARGATE_ID, CgroupContainerId.parse(file));
    }

    @Test
    void fargateOnCgroupV2() {
        assertEquals(FARGATE_ID, CgroupContainerId.parse("0::/ecs/" + TASK_ID + "/" + FARGATE_ID + "\n"));
    }

    @Test
    void hostProcessesHaveNone() {
        assertEquals("", CgroupContainerId.parse(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope\n"));
        assertEquals("", CgroupContainerId.parse("0::/system.slice/sshd.service\n"));
        assertEquals("", CgroupContainerId.parse("0::/\n"), "a private cgroup namespace shows only its root");
        assertEquals("", CgroupContainerId.parse(""));
    }

    @Test
    void anIdMustEndThePath() {
        assertEquals("", CgroupContainerId.parse("0::/docker/" + DOCKER_ID + "/init.scope-extra\n"));
        assertEquals("", CgroupContainerId.parse("0::/docker/" + DOCKER_ID.substring(1) + "\n"), "63 hex digits");
    }

    @Test
    void readsTheCgroupFileOfAPidUnderTheProcRoot(@TempDir Path proc) throws IOException {
        Files.createDirectories(proc.resolve("4242"));
        Files.writeString(proc.resolve("4242/cgroup"), "0::/docker/" + DOCKER_ID + "\n");
        CgroupContainerId ids = new CgroupContainerId(proc);

        assertEquals(DOCKER_ID, ids.forPid(4242));
        assertEquals("", ids.forPid(4243), "a process that is gone");
        assertEquals("", ids.forPid(0), "the kernel's pid for a peer outside our pid namespace");
    }
}
