package io.pilotfish.config.ssm;

import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.MotoServer;
import io.pilotfish.testkit.TaskSpec;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real SSM (the testkit's {@link MotoServer}, installed by {@code scripts/ensure-moto.sh}) on loopback, and the
 * simulator's ECS container-credentials endpoint, which the SDK's default chain reads through
 * {@code aws.containerCredentialsFullUri} and {@code aws.containerAuthorizationToken}, exactly as a task role is
 * resolved in ECS.
 */
final class AwsTestEnvironment implements BeforeAllCallback, AfterAllCallback {

    static final String REGION = "eu-west-1";
    static final String TOKEN = "test-container-token";
    static final String ACCESS_KEY = "ASIATESTACCESSKEY000";
    static final String SECRET_KEY = "test-secret-access-key-never-printed";
    static final String SESSION_TOKEN = "test-session-token-never-printed";

    private MotoServer moto;
    private EcsMetadataSimulator task;

    URI endpoint() {
        return moto.endpoint();
    }

    SsmSettings settings() {
        return new SsmSettings(REGION, "123456789012", Optional.of(endpoint()),
                SsmSettings.DEFAULT_API_CALL_TIMEOUT, SsmSettings.DEFAULT_ATTEMPT_TIMEOUT);
    }

    /** Requests the SDK made for task-role credentials. */
    long credentialRequests() {
        return task.credentialRequests();
    }

    /** Of those, the ones refused for a wrong or missing authorization token. */
    long rejectedCredentialRequests() {
        return task.rejectedCredentialRequests();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        task = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .roleCredentials(new EcsMetadataSimulator.RoleCredentials(
                        "arn:aws:iam::123456789012:role/pilotfish-task", ACCESS_KEY, SECRET_KEY, SESSION_TOKEN))
                .credentialsToken(TOKEN)
                .start();
        System.setProperty("aws.containerCredentialsFullUri", task.credentialsFullUri().toString());
        System.setProperty("aws.containerAuthorizationToken", TOKEN);
        System.setProperty("aws.region", REGION);
        moto = MotoServer.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (moto != null) {
                moto.close();
            }
        } finally {
            if (task != null) {
                task.close();
            }
            System.clearProperty("aws.containerCredentialsFullUri");
            System.clearProperty("aws.containerAuthorizationToken");
            System.clearProperty("aws.region");
        }
    }
}
