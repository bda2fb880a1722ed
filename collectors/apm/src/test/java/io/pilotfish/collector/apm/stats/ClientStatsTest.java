package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pilotfish.spi.trace.ApmStats;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the agent does to a tracer's stats before aggregating them (its {@code processStats}). */
class ClientStatsTest {

    private static final byte[] SKETCH = DDSketch.emptyEncoding();

    private static ApmStats payload(String env, String lang, String tracerVersion, String version, String imageTag,
                                    List<String> tags, ApmStats.Group group) {
        return new ApmStats("h", env, version, List.of(new ApmStats.Bucket(5, 10, List.of(group), 3)), lang,
                tracerVersion, "rid", 9, "", "svc", "tracer-cid", tags, "", imageTag, true);
    }

    private static ApmStats.Group group(String service, String name, String resource) {
        return new ApmStats.Group(service, name, resource, 200, "web", "", 1, 0, 7, SKETCH, SKETCH, false, 1, "server",
                List.of("peer.service:x"), 1, "", "GET", "/");
    }

    @Test
    void fillsWhatTheTracerLeftOutFromTheRequestAndTheAgent() {
        ApmStats in = payload("", "", "", "", "", List.of("t:1"), group("My Service!", "Flask.Request", ""));
        ApmStats out = ClientStats.prepare(in, "python", "2.9.0", "cid-from-header",
                List.of("image_tag:v9", "git.commit.sha:", "git.commit.sha:abc", "version:1.4", "env:x"),
                "Prod Env", true);
        assertEquals("prod_env", out.env());
        assertEquals("python", out.lang());
        assertEquals("2.9.0", out.tracerVersion());
        assertEquals("cid-from-header", out.containerId());
        assertEquals(List.of("image_tag:v9", "git.commit.sha:", "git.commit.sha:abc", "version:1.4", "env:x"),
                out.tags());
        assertEquals(List.of("v9", "abc", "1.4"), List.of(out.imageTag(), out.gitCommitSha(), out.version()));
        ApmStats.Group g = out.buckets().getFirst().groups().getFirst();
        assertEquals("my_service", g.service());
        assertEquals("Flask.Request", g.name(), "names keep their case");
        assertEquals("Flask.Request", g.resource(), "an empty resource takes the name");
        assertSame(SKETCH, g.okSummary());
        assertEquals(List.of(5L, 10L, 3L), List.of(out.buckets().getFirst().start(),
                out.buckets().getFirst().duration(), out.buckets().getFirst().agentTimeShift()));
        assertEquals(List.of("h", "rid", "svc"), List.of(out.hostname(), out.runtimeId(), out.service()));
        assertEquals(9, out.sequence());
    }

    @Test
    void keepsWhatTheTracerSent() {
        ApmStats in = payload("staging", "go", "1.60", "2.0", "img", List.of("t:1"), group("svc", "op", "res"));
        ApmStats out = ClientStats.prepare(in, "python", "2.9.0", "", List.of("version:9"), "prod", true);
        assertEquals(List.of("staging", "go", "1.60", "2.0", "img"),
                List.of(out.env(), out.lang(), out.tracerVersion(), out.version(), out.imageTag()));
        assertEquals("", out.containerId(), "the request's container, not the tracer's field");
        assertEquals(List.of("t:1"), out.tags(), "no container tags known: the tracer's");
        assertEquals("", out.gitCommitSha(), "no container: nothing from its tags");
        assertEquals("res", out.buckets().getFirst().groups().getFirst().resource());
    }

    @Test
    void dropsTheContainerWhenTheDimensionIsOff() {
        ApmStats in = payload("", "", "", "", "", List.of("t:1"), group("svc", "op", "res"));
        ApmStats out = ClientStats.prepare(in, "", "", "cid", List.of("image_tag:v9"), "none", false);
        assertEquals("", out.containerId());
        assertEquals(List.of(), out.tags());
        assertEquals("", out.imageTag());
    }
}
