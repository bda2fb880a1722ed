package io.pilotfish.agent.doctor;

import java.util.Objects;
import java.util.Optional;

/**
 * What one check found.
 *
 * @param detail one line: what was found
 * @param fix    what to do about it; present for {@link CheckStatus#WARN} and {@link CheckStatus#FAIL} only
 */
public record CheckResult(String id, String title, CheckStatus status, String detail, Optional<String> fix) {

    public CheckResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(status, "status");
        detail = oneLine(Objects.requireNonNull(detail, "detail"));
        fix = Objects.requireNonNull(fix, "fix").map(CheckResult::oneLine);
        if ((status == CheckStatus.WARN || status == CheckStatus.FAIL) && fix.isEmpty()) {
            throw new IllegalArgumentException(status + " of check " + id + " needs a fix");
        }
    }

    public static CheckResult pass(DoctorCheck check, String detail) {
        return new CheckResult(check.id(), check.title(), CheckStatus.PASS, detail, Optional.empty());
    }

    public static CheckResult skip(DoctorCheck check, String detail) {
        return new CheckResult(check.id(), check.title(), CheckStatus.SKIP, detail, Optional.empty());
    }

    public static CheckResult warn(DoctorCheck check, String detail, String fix) {
        return new CheckResult(check.id(), check.title(), CheckStatus.WARN, detail, Optional.of(fix));
    }

    public static CheckResult fail(DoctorCheck check, String detail, String fix) {
        return new CheckResult(check.id(), check.title(), CheckStatus.FAIL, detail, Optional.of(fix));
    }

    CheckResult withText(String newDetail, Optional<String> newFix) {
        return new CheckResult(id, title, status, newDetail, newFix);
    }

    /** The report is one line per check: line breaks in messages (config problem lists) become "; ". */
    private static String oneLine(String text) {
        return text.strip().replaceAll(":\\s*\\R\\s*(-\\s+)?", ": ").replaceAll("\\s*\\R\\s*(-\\s+)?", "; ");
    }
}
