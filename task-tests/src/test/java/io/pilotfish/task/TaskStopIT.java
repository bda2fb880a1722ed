package io.pilotfish.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * ECS's stop sequence on the Fargate task of {@code deploy/}: the apps get SIGTERM first (they depend on the agent),
 * then the agent, which has its {@code stopTimeout} before SIGKILL. Apps send until their own SIGTERM.
 */
class TaskStopIT {

    static final Pattern SENT = Pattern.compile("APP SENT (\\d+) (\\S+)");
    static final Pattern DROPPED_AT_SHUTDOWN = Pattern.compile("pipeline stopped in \\d+ ms; (\\d+) items dropped at shutdown");

    @Test
    void everyPointSentBeforeSigtermIsAtTheIntake() throws Exception {
        try (TaskWorld world = TaskWorld.builder(FargateTaskIT.FILE)
                .env("app", "APP_CONTINUOUS", "true").env("worker", "APP_CONTINUOUS", "true").build()) {
            start(world);
            for (String app : List.of("app", "worker")) {
                assertTrue(world.task.awaitLine(app, l -> l.startsWith("APP SENDING"), Duration.ofSeconds(90)),
                        app + " never sent" + world.task.describe());
            }
            List<String> order = world.task.stop();
            assertEquals(TaskWorld.AGENT, order.get(order.size() - 1), "the agent is stopped last: " + order);

            EcsTask.Running agent = world.task.container(TaskWorld.AGENT);
            assertEquals(143, agent.exitCode, "the agent exits on SIGTERM by itself (137 is SIGKILL)"
                    + world.task.describe());
            assertFalse(agent.oomKilled, "OOM-killed");
            assertEquals(0, droppedAtShutdown(agent), agent.output());
            // The agent has exited: what the intake holds is all there is.
            for (String app : List.of("app", "worker")) {
                Matcher sent = sent(world, app);
                assertEquals(Long.parseLong(sent.group(1)),
                        TaskChecks.countTotal(world.intake, sent.group(2), "ecs_container_name:" + app), 1e-9,
                        app + "'s count at the intake: " + world.intake.series(sent.group(2)));
            }
        }
    }

    /**
     * A task definition that lowers {@code stopTimeout} to 2 s sets the agent's shutdown deadline under it, as
     * deploy/README.md says; the intake is down, so the queue cannot drain in time. The agent still ends by itself
     * before SIGKILL, and says how much it could not send.
     */
    @Test
    void aTwoSecondStopTimeoutEndsWithTheAgentsOwnExitAndTheLossCounted() throws Exception {
        try (TaskWorld world = TaskWorld.builder(FargateTaskIT.FILE)
                .env("app", "APP_CONTINUOUS", "true").env("worker", "APP_CONTINUOUS", "true")
                .stopTimeout(TaskWorld.AGENT, 2)
                .env(TaskWorld.AGENT, "PILOTFISH_SHUTDOWN_DEADLINE", "1s")
                .build()) {
            start(world);
            world.intake.awaitSeries("task.app.requests", Duration.ofSeconds(90));
            world.intake.outage();
            long before = world.intake.requestCount();
            TaskWorld.await("the agent to keep data queued for the failing intake", Duration.ofSeconds(90),
                    () -> world.intake.requestCount() > before + 2 && TaskChecks.agentFigure("pilotfish_sink_queue_items") > 0);

            world.task.stop();
            EcsTask.Running agent = world.task.container(TaskWorld.AGENT);
            assertEquals(143, agent.exitCode, "the agent exits by itself within the 2 s (137 is SIGKILL)"
                    + world.task.describe());
            long dropped = droppedAtShutdown(agent);
            assertTrue(dropped > 0, "what could not be sent is counted: " + agent.output());
            assertTrue(agent.lines.stream().anyMatch(l -> l.contains("items could not be sent before the shutdown"
                    + " deadline and were dropped")), agent.output());
        }
    }

    static void start(TaskWorld world) {
        try {
            world.task.start(Duration.ofMinutes(3));
        } catch (Throwable e) {
            throw new AssertionError("the task did not start: " + e.getMessage() + world.task.describe(), e);
        }
    }

    static Matcher sent(TaskWorld world, String app) {
        for (String line : world.task.container(app).lines) {
            Matcher m = SENT.matcher(line);
            if (m.find()) {
                return m;
            }
        }
        throw new AssertionError(app + " never said what it sent:\n" + world.task.container(app).output());
    }

    static long droppedAtShutdown(EcsTask.Running agent) {
        for (String line : agent.lines) {
            Matcher m = DROPPED_AT_SHUTDOWN.matcher(line);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        throw new AssertionError("the agent never reported its shutdown:\n" + agent.output());
    }
}
