package io.pilotfish.it;

import io.pilotfish.sink.datadog.traces.AgentPayloadReader;
import io.pilotfish.sink.datadog.traces.MsgpackReader;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the trace intake received, read back: chunks from {@code AgentPayload}s, and APM stats groups. */
final class RecordedTraces {

    private RecordedTraces() {
    }

    /** Every chunk the intake accepted with a span of this service, with its tracer payload. */
    static List<Map.Entry<AgentPayloadReader.Tracer, AgentPayloadReader.Chunk>> chunks(IntakeRecorder intake,
                                                                                String service) {
        List<Map.Entry<AgentPayloadReader.Tracer, AgentPayloadReader.Chunk>> out = new ArrayList<>();
        for (RecordedRequest request : intake.requests("/api/v0.2/traces")) {
            if (!request.accepted()) {
                continue;
            }
            for (AgentPayloadReader.Tracer tracer : AgentPayloadReader.read(request.body()).tracerPayloads()) {
                for (AgentPayloadReader.Chunk chunk : tracer.chunks()) {
                    if (chunk.spans().stream().anyMatch(s -> s.service().startsWith(service))) {
                        out.add(Map.entry(tracer, chunk));
                    }
                }
            }
        }
        return out;
    }

    /** Hits and errors of the stats groups of {@code service}'s spans named {@code name}. */
    static long[] stats(IntakeRecorder intake, String service, String name) {
        long hits = 0;
        long errors = 0;
        for (RecordedRequest request : intake.requests("/api/v0.2/stats")) {
            if (!request.accepted()) {
                continue;
            }
            Map<String, Object> payload = MsgpackReader.map(MsgpackReader.read(request.body()));
            for (Object client : MsgpackReader.list(payload.get("Stats"))) {
                for (Object bucket : MsgpackReader.list(MsgpackReader.map(client).get("Stats"))) {
                    for (Object g : MsgpackReader.list(MsgpackReader.map(bucket).get("Stats"))) {
                        Map<String, Object> group = MsgpackReader.map(g);
                        if (service.equals(group.get("Service")) && name.equals(group.get("Name"))) {
                            hits += ((Number) group.get("Hits")).longValue();
                            errors += ((Number) group.get("Errors")).longValue();
                        }
                    }
                }
            }
        }
        return new long[] {hits, errors};
    }
}
