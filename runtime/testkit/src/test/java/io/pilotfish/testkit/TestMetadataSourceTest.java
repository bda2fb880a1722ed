package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.testkit.TestMetadataSource.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class TestMetadataSourceTest {

    private static final Instant START = Instant.parse("2025-05-01T00:00:00Z");

    private final ManualClock clock = new ManualClock(START);
    private final TestMetadataSource source = new TestMetadataSource(clock);
    /** The simulator's rendering of a task: the same JSON shape as a real endpoint's. */
    private final byte[] demoTask = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).build().taskJson();

    private static Throwable failure(CompletionStage<?> stage) {
        CompletionException e = assertThrows(CompletionException.class, () -> stage.toCompletableFuture().join());
        return e.getCause();
    }

    @Test
    void aTaskIsCurrentAtOnceParsedByCoreWithRealTags() {
        source.task(demoTask);

        TaskSnapshot current = source.current().orElseThrow();
        assertEquals(3, current.task().containers().size());
        assertTrue(current.taskTags(Cardinality.LOW).stream().anyMatch(t -> t.startsWith("task_family:")),
                current.taskTags(Cardinality.LOW).toString());
        assertEquals(0, source.refreshes());
        assertEquals(List.of(), source.requests(), "setting the task is not a request");
    }

    @Test
    void refreshReadsTaskAndStampsTheClock() {
        source.task(demoTask);
        clock.advance(Duration.ofSeconds(30));

        TaskSnapshot refreshed = source.refresh().toCompletableFuture().join();

        assertEquals(START.plusSeconds(30), refreshed.fetchedAt());
        assertSame(refreshed, source.current().orElseThrow());
        assertEquals(1, source.refreshes());
        assertEquals(List.of("/task"), source.requests());
    }

    @Test
    void answersComeInOrderAndTheLastOneRepeats() {
        source.answer("/task/stats", Answer.body("{\"a\":1}"), Answer.failure("down for a moment"))
                .then("/task/stats", Answer.body("{\"b\":2}"));

        assertArrayEquals("{\"a\":1}".getBytes(StandardCharsets.UTF_8),
                source.get("/task/stats").toCompletableFuture().join());
        assertEquals("down for a moment", failure(source.get("/task/stats")).getMessage());
        for (int i = 0; i < 3; i++) {
            assertEquals("{\"b\":2}", new String(source.get("/task/stats").toCompletableFuture().join(),
                    StandardCharsets.UTF_8));
        }
        assertEquals(5, source.requests("/task/stats"));
    }

    @Test
    void scriptedRefreshesGiveEachOutcomeInTurn() {
        source.thenFail(new MetadataException("first refresh fails")).thenTask(demoTask);

        assertEquals("first refresh fails", failure(source.refresh()).getMessage());
        assertTrue(source.current().isEmpty());
        assertEquals(3, source.refresh().toCompletableFuture().join().task().containers().size());
        assertEquals(2, source.refreshes());
    }

    @Test
    void unscriptedPathsFailLikeA404NamingThePath() {
        Throwable error = failure(source.get("/stats"));
        assertInstanceOf(MetadataException.class, error);
        assertTrue(error.getMessage().contains("/stats") && error.getMessage().contains("404"), error.getMessage());
        assertInstanceOf(MetadataException.class, failure(source.refresh()), "no /task scripted");
    }

    @Test
    void thrownAnswersThrowFromTheCallItself() {
        source.unscripted(Answer.thrown(new IllegalStateException("broken source")));
        assertEquals("broken source", assertThrows(IllegalStateException.class, () -> source.get("/x")).getMessage());
        assertThrows(IllegalStateException.class, source::refresh);
    }

    @Test
    void aBodyThatIsNotATaskFailsTheRefreshAndKeepsTheSnapshot() {
        source.task(demoTask);
        TaskSnapshot before = source.current().orElseThrow();
        source.answer("/task", Answer.body("<html>not json</html>"));

        assertInstanceOf(MetadataException.class, failure(source.refresh()));
        assertSame(before, source.current().orElseThrow());
    }

    @Test
    void unavailableFailsEveryCallAndHoldsNothing() {
        source.task(demoTask).available(false);

        assertFalse(source.available());
        assertTrue(source.current().isEmpty());
        assertTrue(failure(source.refresh()).getMessage().contains("ECS_CONTAINER_METADATA_URI_V4"));
        assertInstanceOf(MetadataException.class, failure(source.get("/task")));
    }

    @Test
    void listenersHearOfChangesOnly() {
        List<TaskSnapshot> heard = new ArrayList<>();
        source.onChange(heard::add);
        byte[] stopped = new String(demoTask, StandardCharsets.UTF_8)
                .replaceFirst("\"KnownStatus\":\"RUNNING\"", "\"KnownStatus\":\"STOPPED\"")
                .getBytes(StandardCharsets.UTF_8);
        source.thenTask(demoTask).thenTask(demoTask).thenTask(stopped);

        source.refresh();
        source.refresh();
        source.refresh();

        assertEquals(2, heard.size(), "the first view and the change, not the repeat");
        assertEquals("STOPPED", heard.get(1).task().knownStatus());
    }
}
