package io.pilotfish.config.ssm;

import io.pilotfish.spi.ecs.TaskMetadata;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * How to reach SSM. Credentials come from the ECS task role ({@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI} /
 * {@code _FULL_URI}), else from the SDK's default chain; there is deliberately no static key here.
 *
 * @param region         e.g. {@code eu-west-1}
 * @param accountId      the task's account, used only to write IAM fixes; empty when unknown
 * @param endpoint       an endpoint override (VPC endpoint, tests)
 * @param apiCallTimeout the whole call including SDK retries
 * @param attemptTimeout one HTTP attempt
 */
public record SsmSettings(String region, String accountId, Optional<URI> endpoint, Duration apiCallTimeout,
                          Duration attemptTimeout) {

    public static final Duration DEFAULT_API_CALL_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(2);

    public SsmSettings {
        Objects.requireNonNull(region, "region");
        accountId = accountId == null ? "" : accountId;
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(apiCallTimeout, "apiCallTimeout");
        Objects.requireNonNull(attemptTimeout, "attemptTimeout");
    }

    /**
     * Settings from the standard AWS variables and the task: region from {@code AWS_REGION}, {@code AWS_DEFAULT_REGION},
     * else the task's region, availability zone or ARN; endpoint from {@code AWS_ENDPOINT_URL_SSM}, then
     * {@code AWS_ENDPOINT_URL}.
     *
     * @throws IllegalArgumentException when no region can be found or an endpoint variable is not a URL
     */
    public static SsmSettings fromEnvironment(Map<String, String> env, TaskMetadata task) {
        String region = firstNonBlank(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
        if (region == null && task != null) {
            region = firstNonBlank(task.region(), regionFromZone(task.availabilityZone()),
                    regionFromArn(task.taskArn()));
        }
        if (region == null) {
            throw new IllegalArgumentException("no AWS region: set AWS_REGION, or run where the task metadata "
                    + "endpoint reports the availability zone");
        }
        Optional<URI> endpoint = Optional.empty();
        for (String name : new String[] {"AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL"}) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                endpoint = Optional.of(endpointUri(name, value.trim()));
                break;
            }
        }
        String account = task == null ? "" : Objects.requireNonNullElse(task.accountId(), "");
        return new SsmSettings(region, account, endpoint, DEFAULT_API_CALL_TIMEOUT, DEFAULT_ATTEMPT_TIMEOUT);
    }

    /** {@code eu-west-1a} → {@code eu-west-1}; also {@code use1-az1}-style ids are not regions and give null. */
    static String regionFromZone(String zone) {
        if (zone == null || !zone.matches("[a-z]{2}(-[a-z]+)+-\\d+[a-z]+")) {
            return null;
        }
        return zone.replaceFirst("[a-z]+$", "");
    }

    /** {@code arn:aws:ecs:eu-west-1:123456789012:task/...} → {@code eu-west-1}. */
    static String regionFromArn(String arn) {
        if (arn == null) {
            return null;
        }
        String[] parts = arn.split(":", 6);
        return parts.length >= 5 && parts[0].equals("arn") && !parts[3].isBlank() ? parts[3] : null;
    }

    private static URI endpointUri(String name, String value) {
        try {
            URI uri = URI.create(value);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("missing scheme or host");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + "=\"" + value + "\": expected an endpoint URL such as "
                    + "https://ssm.eu-west-1.amazonaws.com");
        }
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }

    /**
     * A client on the JDK HTTP stack, reading no answer larger than {@link ResponseLimits#SSM_MAX_BODY_BYTES}. In a
     * task with a task role the credentials come from its endpoint through {@link TaskRoleCredentialsProvider}
     * (bounded as well); elsewhere from the SDK's default chain. The caller closes it.
     */
    public SsmClient createClient() {
        var builder = SsmClient.builder()
                .region(Region.of(region))
                .credentialsProvider(TaskRoleCredentialsProvider.configured()
                        ? new TaskRoleCredentialsProvider() : DefaultCredentialsProvider.builder().build())
                .httpClientBuilder(LimitedSdkHttpClient.wrapping(UrlConnectionHttpClient.builder()
                        .connectionTimeout(attemptTimeout)
                        .socketTimeout(attemptTimeout), ResponseLimits.SSM_MAX_BODY_BYTES))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .apiCallTimeout(apiCallTimeout)
                        .apiCallAttemptTimeout(attemptTimeout)
                        .build());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }
}
