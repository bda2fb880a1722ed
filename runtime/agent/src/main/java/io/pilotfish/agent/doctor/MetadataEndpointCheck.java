package io.pilotfish.agent.doctor;

import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.spi.ecs.TaskMetadata;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** The ECS task metadata endpoint: which variable points at it, and whether {@code GET /task} answers and parses. */
public final class MetadataEndpointCheck implements DoctorCheck {

    static final String NOT_IN_ECS = "not running in an ECS task, or the ECS agent is too old (v4 needs Fargate "
            + "platform version 1.4 or ECS agent 1.39)";

    @Override
    public String id() {
        return "metadata";
    }

    @Override
    public String title() {
        return "metadata endpoint";
    }

    @Override
    public CheckResult run(DoctorContext context) throws InterruptedException {
        EcsMetadataClient client = context.metadata();
        if (!client.available()) {
            boolean setButBad = context.env(EcsMetadataClient.ENV_V4).isPresent()
                    || context.env(EcsMetadataClient.ENV_V3).isPresent();
            if (setButBad) {
                return CheckResult.fail(this, client.unavailableReason().orElse("the endpoint variable is unusable"),
                        "Do not override " + EcsMetadataClient.ENV_V4 + " in the task definition: ECS sets it");
            }
            return CheckResult.fail(this, "neither " + EcsMetadataClient.ENV_V4 + " nor " + EcsMetadataClient.ENV_V3
                    + " is set: " + NOT_IN_ECS, "Run Pilotfish as a container of the ECS task; on EC2 update the ECS "
                    + "agent to 1.39 or later, on Fargate use platform version 1.4.0 or LATEST");
        }
        String version = client.metadataVersion().orElse("?");
        String where = version + " at " + client.baseUri().map(Object::toString).orElse("?") + " (from "
                + client.sourceVariable().orElse("?") + ")";
        TaskMetadata task;
        try {
            task = context.task();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return CheckResult.fail(this, where + ": " + cause.getMessage(), "The endpoint answers only inside the "
                    + "task it belongs to: run doctor in the Pilotfish container (ECS Exec), not on your machine");
        } catch (TimeoutException e) {
            return CheckResult.fail(this, where + ": no answer within " + Doctor.seconds(context.timeout()),
                    "The endpoint answers only inside the task it belongs to; if it does, the ECS agent is "
                            + "overloaded: retry with a longer --timeout");
        }
        String summary = where + ", " + (task.launchType().isEmpty() ? "launch type unknown" : task.launchType())
                + " task " + task.family() + ":" + task.revision() + " in cluster " + task.clusterName();
        if ("v3".equals(version)) {
            return CheckResult.warn(this, summary + "; only v3 is available",
                    "v3 is no longer maintained and lacks network stats: use Fargate platform version 1.4.0 or "
                            + "ECS agent 1.39 or later for v4 (" + EcsMetadataClient.ENV_V4 + ")");
        }
        return CheckResult.pass(this, summary);
    }
}
