package io.pilotfish.config.ssm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.core.http.BodyTooLargeException;
import io.pilotfish.core.http.LimitedBody;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.core.SdkSystemSetting;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * The ECS task role's credentials, read as the SDK's container provider reads them
 * ({@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI} below {@code http://169.254.170.2}, or
 * {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} with {@code AWS_CONTAINER_AUTHORIZATION_TOKEN} or its {@code _FILE}; the
 * {@code aws.*} system properties first), but with a limit on the answer's size: the SDK's own provider reads the
 * body whole, whatever its length. Credentials are kept until five minutes before they expire.
 */
final class TaskRoleCredentialsProvider implements AwsCredentialsProvider {

    private static final URI ECS_ENDPOINT = URI.create("http://169.254.170.2");
    /** Plain-HTTP full URIs are allowed only to these (as in the SDK): the token must not cross a network. */
    private static final Set<String> CONTAINER_HOSTS = Set.of("169.254.170.2", "169.254.170.23", "fd00:ec2::23",
            "[fd00:ec2::23]");
    private static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);
    private static final Duration UNDATED_LIFETIME = Duration.ofMinutes(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One client for the process: each SSM client gets its own provider, but they share the connection pool. */
    private static final class Http {
        static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).proxy(HttpClient.Builder.NO_PROXY).build();
    }

    private final Function<SdkSystemSetting, Optional<String>> settings;
    private final Clock clock;
    private AwsSessionCredentials cached;
    private Instant refreshAt = Instant.MIN;

    TaskRoleCredentialsProvider() {
        this(SdkSystemSetting::getStringValue, Clock.systemUTC());
    }

    /** @param settings the value of an SDK setting (system property, then environment variable) */
    TaskRoleCredentialsProvider(Function<SdkSystemSetting, Optional<String>> settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * Whether a task-role endpoint is configured; the SDK's default chain would then read it (after static keys,
     * which a task with a role does not use).
     */
    static boolean configured() {
        return SdkSystemSetting.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI.getStringValue().filter(v -> !v.isBlank())
                .or(() -> SdkSystemSetting.AWS_CONTAINER_CREDENTIALS_FULL_URI.getStringValue()
                        .filter(v -> !v.isBlank())).isPresent();
    }

    @Override
    public synchronized AwsCredentials resolveCredentials() {
        Instant now = clock.instant();
        if (cached != null && now.isBefore(refreshAt)) {
            return cached;
        }
        AwsSessionCredentials fresh = fetch();
        cached = fresh;
        refreshAt = fresh.expirationTime().map(expiry -> expiry.minus(REFRESH_BEFORE_EXPIRY))
                .filter(at -> at.isAfter(now)).orElse(now.plus(UNDATED_LIFETIME));
        return fresh;
    }

    private AwsSessionCredentials fetch() {
        URI uri = endpoint();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
        if (setting(SdkSystemSetting.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI).isEmpty()) {
            authorizationToken().ifPresent(token -> request.header("Authorization", token));
        }
        // Never the path in a message: it grants the credentials.
        String where = uri.getScheme() + "://" + uri.getAuthority();
        HttpResponse<byte[]> response;
        try {
            response = Http.CLIENT.send(request.build(), LimitedBody.handler("GET " + where + " (task-role "
                    + "credentials)", ResponseLimits.CREDENTIALS_MAX_BODY_BYTES, false));
        } catch (IOException e) {
            Optional<BodyTooLargeException> tooLarge = BodyTooLargeException.in(e);
            if (tooLarge.isPresent()) {
                throw ResponseLimits.refused(ResponseLimits.Route.CREDENTIALS, tooLarge.get());
            }
            throw SdkClientException.create("Unable to load credentials from the task-role credentials endpoint "
                    + where + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw SdkClientException.create("Unable to load credentials: interrupted");
        }
        if (response.statusCode() != 200) {
            throw SdkClientException.create("Unable to load credentials from the task-role credentials endpoint "
                    + where + ": HTTP " + response.statusCode());
        }
        return parse(response.body(), where);
    }

    /** The credentials in an answer; a message that names what is missing, never a value. */
    static AwsSessionCredentials parse(byte[] body, String where) {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            throw SdkClientException.create("Unable to load credentials: " + where + " answered with something "
                    + "other than a JSON object");
        }
        String accessKey = json.path("AccessKeyId").asText("");
        String secretKey = json.path("SecretAccessKey").asText("");
        String token = json.path("Token").asText("");
        if (accessKey.isEmpty() || secretKey.isEmpty() || token.isEmpty()) {
            throw SdkClientException.create("Unable to load credentials: " + where + " answered without "
                    + "AccessKeyId, SecretAccessKey and Token");
        }
        AwsSessionCredentials.Builder credentials = AwsSessionCredentials.builder().accessKeyId(accessKey)
                .secretAccessKey(secretKey).sessionToken(token).providerName("TaskRoleCredentialsProvider");
        String expiration = json.path("Expiration").asText("");
        if (!expiration.isEmpty()) {
            try {
                credentials.expirationTime(Instant.parse(expiration));
            } catch (DateTimeParseException e) {
                // Undated: refetched after UNDATED_LIFETIME instead.
            }
        }
        return credentials.build();
    }

    private URI endpoint() {
        Optional<String> relative = setting(SdkSystemSetting.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);
        if (relative.isPresent()) {
            String base = setting(SdkSystemSetting.AWS_CONTAINER_SERVICE_ENDPOINT).orElse(ECS_ENDPOINT.toString());
            String path = relative.get().startsWith("/") ? relative.get() : "/" + relative.get();
            return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
        }
        String full = setting(SdkSystemSetting.AWS_CONTAINER_CREDENTIALS_FULL_URI).orElseThrow(() ->
                SdkClientException.create("Unable to load credentials from the task-role credentials endpoint: "
                        + "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI "
                        + "is set"));
        URI uri;
        try {
            uri = URI.create(full);
        } catch (IllegalArgumentException e) {
            throw SdkClientException.create("Unable to load credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI is not "
                    + "a URL");
        }
        if (uri.getHost() == null || !("https".equalsIgnoreCase(uri.getScheme())
                || "http".equalsIgnoreCase(uri.getScheme()) && allowedPlainHost(uri.getHost()))) {
            throw SdkClientException.create("Unable to load credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI must be "
                    + "https, or http to a loopback address or the ECS/EKS container credentials address");
        }
        return uri;
    }

    private static boolean allowedPlainHost(String host) {
        if (CONTAINER_HOSTS.contains(host)) {
            return true;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private Optional<String> authorizationToken() {
        Optional<String> file = setting(SdkSystemSetting.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE);
        if (file.isPresent()) {
            try {
                return Optional.of(Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).trim());
            } catch (IOException e) {
                throw SdkClientException.create("Unable to load credentials: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
                        + "cannot be read (" + e.getClass().getSimpleName() + ")");
            }
        }
        return setting(SdkSystemSetting.AWS_CONTAINER_AUTHORIZATION_TOKEN);
    }

    private Optional<String> setting(SdkSystemSetting setting) {
        return settings.apply(setting).filter(value -> !value.isBlank()).map(String::trim);
    }
}
