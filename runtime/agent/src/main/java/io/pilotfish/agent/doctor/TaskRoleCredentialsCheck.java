package io.pilotfish.agent.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.config.ssm.ResponseLimits;
import io.pilotfish.core.http.BodyTooLargeException;
import io.pilotfish.core.http.LimitedBody;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;

/**
 * The task role's credentials, as the AWS SDK finds them in a container: {@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}
 * (below {@code http://169.254.170.2}) or {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} with its authorization token.
 * Reports the role and the expiration; never the keys, the token or the credentials path (which grants them).
 */
public final class TaskRoleCredentialsCheck implements DoctorCheck {

    public static final URI DEFAULT_RELATIVE_BASE = URI.create("http://169.254.170.2");
    static final String RELATIVE = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    static final String FULL = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    static final String TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    static final String TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI relativeBase;

    public TaskRoleCredentialsCheck() {
        this(DEFAULT_RELATIVE_BASE);
    }

    /** @param relativeBase what {@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI} is resolved against (tests) */
    public TaskRoleCredentialsCheck(URI relativeBase) {
        this.relativeBase = Objects.requireNonNull(relativeBase, "relativeBase");
    }

    @Override
    public String id() {
        return "credentials";
    }

    @Override
    public String title() {
        return "task-role credentials";
    }

    @Override
    public CheckResult run(DoctorContext context) throws InterruptedException {
        Optional<String> relative = context.env(RELATIVE);
        Optional<String> full = context.env(FULL);
        if (relative.isEmpty() && full.isEmpty()) {
            return CheckResult.fail(this, "neither " + RELATIVE + " nor " + FULL + " is set: the task has no task "
                    + "role, or ECS did not inject it", "Set taskRoleArn in the task definition (Pilotfish reads SSM "
                    + "with it). On EC2 the ECS agent must run with ECS_ENABLE_TASK_IAM_ROLE=true (bridge and awsvpc "
                    + "tasks; ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true for host mode), in /etc/ecs/ecs.config");
        }
        String variable = relative.isPresent() ? RELATIVE : FULL;
        URI uri;
        try {
            uri = relative.isPresent() ? URI.create(stripSlash(relativeBase.toString()) + withSlash(relative.get()))
                    : URI.create(full.get());
            if (uri.getHost() == null || uri.getScheme() == null) {
                throw new IllegalArgumentException("no host");
            }
        } catch (IllegalArgumentException e) {
            return CheckResult.fail(this, variable + " does not form a valid URL", "Do not override " + variable
                    + " in the task definition: ECS sets it");
        }
        String where = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + " (from " + variable + ")";
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(context.timeout()).GET();
        if (relative.isEmpty()) {
            Optional<String> token;
            try {
                token = authorizationToken(context);
            } catch (IOException e) {
                return CheckResult.fail(this, TOKEN_FILE + " cannot be read: " + e.getClass().getSimpleName(),
                        "Make the token file readable by the Pilotfish user, or unset " + TOKEN_FILE);
            }
            token.ifPresent(t -> request.header("Authorization", t));
        }
        HttpResponse<byte[]> response;
        try {
            // Read as the agent reads it: an answer larger than a credentials answer can be is refused unread.
            response = context.http().send(request.build(), LimitedBody.handler("GET " + where,
                    ResponseLimits.CREDENTIALS_MAX_BODY_BYTES, false));
        } catch (HttpTimeoutException e) {
            return CheckResult.fail(this, where + " did not answer within " + Doctor.seconds(context.timeout()),
                    "The credentials endpoint answers only inside an ECS task; check that nothing (an iptables rule, "
                            + "a proxy in HTTP_PROXY without NO_PROXY=169.254.170.2) blocks it");
        } catch (IOException e) {
            if (BodyTooLargeException.in(e).isPresent()) {
                return CheckResult.fail(this, where + " answered with more than "
                        + BodyTooLargeException.size(ResponseLimits.CREDENTIALS_MAX_BODY_BYTES) + ", which Pilotfish "
                        + "refuses to read (a credentials answer is about 1.5 KB)", "Check " + variable + ": it "
                        + "should point at the ECS credentials endpoint; do not override it in the task definition");
            }
            return CheckResult.fail(this, where + " could not be reached: " + e.getClass().getSimpleName(),
                    "The credentials endpoint answers only inside an ECS task; run doctor in the Pilotfish "
                            + "container (ECS Exec)");
        }
        int status = response.statusCode();
        if (status != 200) {
            String fix = status == 401 || status == 403
                    ? "The endpoint refused the authorization token: check " + TOKEN + " / " + TOKEN_FILE
                    : "The task's credentials are not available: check that taskRoleArn is set and that the ECS "
                    + "agent runs with ECS_ENABLE_TASK_IAM_ROLE=true (EC2)";
            return CheckResult.fail(this, where + " answered HTTP " + status, fix);
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            // No excerpt: the body holds credentials.
            return CheckResult.fail(this, where + " answered with a body that is not JSON",
                    "Check " + variable + ": it should point at the ECS credentials endpoint");
        }
        if (body == null || !body.isObject() || text(body, "AccessKeyId").isEmpty()
                || text(body, "SecretAccessKey").isEmpty()) {
            return CheckResult.fail(this, where + " answered without AccessKeyId and SecretAccessKey",
                    "Check " + variable + ": it should point at the ECS credentials endpoint");
        }
        String role = text(body, "RoleArn").map(r -> "role " + r).orElse("credentials");
        Optional<String> expiration = text(body, "Expiration");
        String expires = expiration.map(e -> ", expires " + e).orElse("");
        if (expiration.isPresent()) {
            try {
                if (Instant.parse(expiration.get()).isBefore(Instant.now())) {
                    return CheckResult.fail(this, where + " returned " + role + " that expired at "
                            + expiration.get(), "The ECS agent is not refreshing credentials: check the instance's "
                            + "clock and the ECS agent's log");
                }
            } catch (DateTimeParseException e) {
                // An unusual format is reported as it is; the SDK judges it on its own.
            }
        }
        return CheckResult.pass(this, role + expires + " from " + where);
    }

    private Optional<String> authorizationToken(DoctorContext context) throws IOException {
        Optional<String> file = context.env(TOKEN_FILE);
        if (file.isPresent()) {
            return Optional.of(Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).trim());
        }
        return context.env(TOKEN);
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isTextual() || value.asText().isBlank() ? Optional.empty()
                : Optional.of(value.asText());
    }

    private static String stripSlash(String base) {
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    private static String withSlash(String path) {
        return path.startsWith("/") ? path : "/" + path;
    }
}
