package io.pilotfish.agent.doctor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.List;

/** The results of every check, as text for people or JSON for machines. */
public record DoctorReport(List<CheckResult> results) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public DoctorReport {
        results = List.copyOf(results);
    }

    /** True when no check failed (warnings and skips are fine). */
    public boolean ok() {
        return results.stream().noneMatch(r -> r.status() == CheckStatus.FAIL);
    }

    /** 0 when {@link #ok()}, else 1. */
    public int exitCode() {
        return ok() ? 0 : 1;
    }

    public long count(CheckStatus status) {
        return results.stream().filter(r -> r.status() == status).count();
    }

    /** One line per check, an indented {@code fix:} line under each warning and failure, then a summary line. */
    public String text() {
        int width = results.stream().mapToInt(r -> r.title().length()).max().orElse(0) + 2;
        StringBuilder out = new StringBuilder();
        for (CheckResult result : results) {
            out.append(String.format("%-5s %-" + width + "s %s%n", result.status(), result.title(), result.detail()));
            result.fix().ifPresent(fix -> out.append("      fix: ").append(fix).append(System.lineSeparator()));
        }
        out.append(String.format("%d checks: %d passed, %d warnings, %d failed, %d skipped. %s%n", results.size(),
                count(CheckStatus.PASS), count(CheckStatus.WARN), count(CheckStatus.FAIL), count(CheckStatus.SKIP),
                ok() ? "No failures." : "Fix the failures above and run pilotfish doctor again."));
        return out.toString();
    }

    /** {@code {"checks":[{"id","title","status","detail","fix"}],"ok":bool}}; {@code fix} is null when there is none. */
    public String json() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode checks = root.putArray("checks");
        for (CheckResult result : results) {
            ObjectNode check = checks.addObject();
            check.put("id", result.id());
            check.put("title", result.title());
            check.put("status", result.status().name());
            check.put("detail", result.detail());
            check.put("fix", result.fix().orElse(null));
        }
        root.put("ok", ok());
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
