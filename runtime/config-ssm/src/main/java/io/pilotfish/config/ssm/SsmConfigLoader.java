package io.pilotfish.config.ssm;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.ConfigValue;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathRequest;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.SsmException;

/**
 * Reads {@code pilotfish.*} configuration from SSM Parameter Store paths.
 *
 * <p>A parameter's name below its path becomes a key: {@code /pilotfish/prod/web/collectors/dogstatsd/port} read
 * under {@code /pilotfish/prod/web} sets {@code pilotfish.collectors.dogstatsd.port}. A parameter named
 * {@code config} or ending in {@code .properties} holds a properties document of full {@code pilotfish.*} keys.
 * A path that has a more specific path of the list below it (the cluster path above the family path) is read one
 * level deep only, so other families' parameters below it are never mistaken for keys; there, nested keys are
 * written with dots ({@code /pilotfish/prod/collectors.dogstatsd.port}) or in a document.
 */
public final class SsmConfigLoader {

    /** Sleeps between throttled attempts; tests substitute one that records instead of waiting. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    static final int MAX_THROTTLED_ATTEMPTS = 4;
    /** Failures that are about SSM as a whole, not one path: the other paths would fail the same way. */
    private static final Set<PathStatus.State> SERVICE_WIDE = java.util.EnumSet.of(PathStatus.State.TIMEOUT,
            PathStatus.State.UNREACHABLE, PathStatus.State.THROTTLED);
    static final Duration BASE_BACKOFF = Duration.ofMillis(200);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(3);
    private static final String KEY_PREFIX = "pilotfish.";
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_\\-]+(\\.[A-Za-z0-9_\\-]+)*");
    private static final Pattern DOC_KEY = Pattern.compile("[A-Za-z0-9_.\\-\\[\\]]+");

    private final SsmClient client;
    private final String region;
    private final String accountId;
    private final Clock clock;
    private final Sleeper sleeper;

    public SsmConfigLoader(SsmClient client, String region, String accountId, Clock clock, Sleeper sleeper) {
        this.client = client;
        this.region = region == null || region.isBlank() ? "<region>" : region;
        this.accountId = accountId == null || accountId.isBlank() ? "<account>" : accountId;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    public SsmConfigLoader(SsmClient client, SsmSettings settings) {
        this(client, settings.region(), settings.accountId(), Clock.systemUTC(),
                d -> Thread.sleep(d.toMillis()));
    }

    /** @param paths least specific first; a later path overrides an earlier one per key */
    public SsmLoad load(List<String> paths) {
        Map<String, ConfigValue> values = new LinkedHashMap<>();
        Set<String> secrets = new HashSet<>();
        List<ConfigProblem> problems = new ArrayList<>();
        List<PathStatus> statuses = new ArrayList<>();
        List<String> normalized = paths.stream().map(SsmPaths::stripTrailingSlash).toList();
        PathStatus unreachable = null;
        for (String path : normalized) {
            if (unreachable != null) {
                // SSM itself did not answer: waiting out the same timeout for every path only delays start-up.
                statuses.add(new PathStatus(path, unreachable.state(), 0, "not tried: " + unreachable.path()
                        + " just failed the same way", unreachable.fix()));
                continue;
            }
            boolean hasChildLayer = normalized.stream().anyMatch(other -> other.startsWith(path + "/"));
            Fetch fetch = fetch(path, !hasChildLayer);
            statuses.add(fetch.status);
            if (SERVICE_WIDE.contains(fetch.status.state())) {
                unreachable = fetch.status;
            }
            if (fetch.parameters == null) {
                continue;
            }
            Map<String, ConfigValue> layer = new LinkedHashMap<>();
            Set<String> layerSecrets = new HashSet<>();
            // Documents first, so a single parameter beside a document wins over the document's line.
            fetch.parameters.stream().filter(p -> isDocument(p.name()))
                    .forEach(p -> readDocument(p, layer, layerSecrets, problems));
            fetch.parameters.stream().filter(p -> !isDocument(p.name()))
                    .forEach(p -> readSingle(path, p, layer, layerSecrets, problems));
            for (var entry : layer.entrySet()) {
                values.put(entry.getKey(), entry.getValue());
                // The winning value decides whether the key is secret.
                if (layerSecrets.contains(entry.getKey())) {
                    secrets.add(entry.getKey());
                } else {
                    secrets.remove(entry.getKey());
                }
            }
        }
        values.keySet().stream().filter(SsmConfigLoader::isSecretKey).forEach(secrets::add);
        return new SsmLoad(values, secrets, problems, statuses, clock.instant());
    }

    private record Fetch(List<Parameter> parameters, PathStatus status) {
    }

    private Fetch fetch(String path, boolean recursive) {
        List<Parameter> parameters = new ArrayList<>();
        String nextToken = null;
        do {
            GetParametersByPathRequest request = GetParametersByPathRequest.builder()
                    .path(path).recursive(recursive).withDecryption(true).nextToken(nextToken).build();
            GetParametersByPathResponse page;
            try {
                page = callWithThrottleRetry(request);
            } catch (SdkException e) {
                return new Fetch(null, failure(path, recursive, e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Fetch(null, new PathStatus(path, PathStatus.State.FAILED, 0,
                        "interrupted while reading", "none; the next reload reads it again"));
            }
            parameters.addAll(page.parameters());
            nextToken = page.nextToken();
        } while (nextToken != null && !nextToken.isEmpty());
        if (parameters.isEmpty()) {
            return new Fetch(parameters, new PathStatus(path, PathStatus.State.NOT_FOUND, 0,
                    "no parameters under this path",
                    "create parameters under " + path + " or remove it from the path list if it is not meant to exist"));
        }
        return new Fetch(parameters, new PathStatus(path, PathStatus.State.READ, parameters.size(),
                "read " + parameters.size() + " parameter(s)" + (recursive ? "" : " (one level: a more specific "
                        + "path below is read separately)"), ""));
    }

    private GetParametersByPathResponse callWithThrottleRetry(GetParametersByPathRequest request)
            throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.getParametersByPath(request);
            } catch (SsmException e) {
                if (!isThrottling(e) || attempt >= MAX_THROTTLED_ATTEMPTS) {
                    throw e;
                }
                sleeper.sleep(backoff(attempt));
            }
        }
    }

    /** Full jitter on an exponential ceiling, so many tasks throttled together spread out. */
    static Duration backoff(int attempt) {
        long ceiling = Math.min(MAX_BACKOFF.toMillis(), BASE_BACKOFF.toMillis() << Math.min(attempt - 1, 10));
        return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
    }

    static boolean isThrottling(SsmException e) {
        String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
        return "ThrottlingException".equals(code) || e.isThrottlingException();
    }

    private PathStatus failure(String path, boolean recursive, SdkException e) {
        // GetParametersByPath is authorised on the path's own ARN; a path read one level deep is granted only for
        // non-recursive reads, so the grant does not reach the paths of other families below it.
        String resource = "arn:aws:ssm:" + region + ":" + accountId + ":parameter" + path
                + (recursive ? "" : " with the condition ssm:Recursive = false");
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
            return new PathStatus(path, PathStatus.State.TIMEOUT, 0, "SSM did not answer in time",
                    "check that the task can reach the SSM endpoint (NAT gateway or a VPC endpoint for ssm)");
        }
        if (e instanceof SsmException ssm) {
            String code = ssm.awsErrorDetails() == null ? "" : ssm.awsErrorDetails().errorCode();
            if (isThrottling(ssm)) {
                return new PathStatus(path, PathStatus.State.THROTTLED, 0,
                        "SSM throttled the request " + MAX_THROTTLED_ATTEMPTS + " times",
                        "none needed if it passes; otherwise lengthen the reload interval or raise the SSM "
                                + "throughput quota");
            }
            if ("AccessDeniedException".equals(code) || ssm.statusCode() == 403) {
                return new PathStatus(path, PathStatus.State.ACCESS_DENIED, 0, "access denied (" + code + ")",
                        "grant ssm:GetParametersByPath on " + resource + " to the task role (and kms:Decrypt "
                                + "on the key of any SecureString)");
            }
            return new PathStatus(path, PathStatus.State.FAILED, 0,
                    "SSM answered " + ssm.statusCode() + " " + code, "check the path and the task role");
        }
        Optional<ResponseLimits.Refused> refused = ResponseLimits.refusal(e);
        if (refused.isPresent()) {
            return new PathStatus(path, PathStatus.State.FAILED, 0, refused.get().getMessage(),
                    refused.get().route() == ResponseLimits.Route.SSM
                            ? "check AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL if set: what answered there is not SSM"
                            : "do not override AWS_CONTAINER_CREDENTIALS_* in the task definition: ECS sets them");
        }
        if (e instanceof SdkClientException && e.getMessage() != null
                && e.getMessage().toLowerCase().contains("credentials")) {
            return new PathStatus(path, PathStatus.State.FAILED, 0, "no AWS credentials could be loaded",
                    "give the task a task role (taskRoleArn); on EC2 set ECS_ENABLE_TASK_IAM_ROLE=true on the agent");
        }
        return new PathStatus(path, PathStatus.State.UNREACHABLE, 0, "could not reach SSM ("
                + e.getClass().getSimpleName() + ")",
                "check the network path to SSM and AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL if set");
    }

    static boolean isDocument(String name) {
        String last = name.substring(name.lastIndexOf('/') + 1);
        return last.equals("config") || last.endsWith(".properties");
    }

    static boolean isSecretKey(String key) {
        return key.endsWith("api-key");
    }

    private static String source(Parameter p) {
        return "ssm:" + p.name() + " (version " + p.version() + ")";
    }

    private static void readSingle(String path, Parameter p, Map<String, ConfigValue> layer, Set<String> secrets,
                                   List<ConfigProblem> problems) {
        String name = p.name();
        String relative = name.startsWith(path + "/") ? name.substring(path.length() + 1) : "";
        String[] segments = relative.split("/", -1);
        StringBuilder key = new StringBuilder(KEY_PREFIX);
        for (int i = 0; i < segments.length; i++) {
            if (!SEGMENT.matcher(segments[i]).matches()) {
                problems.add(new ConfigProblem(name, null, source(p), "parameter name below " + path
                        + " must be segments of letters, digits, '_', '-' joined by '/' or '.', to map onto a "
                        + "pilotfish.* key"));
                return;
            }
            key.append(i == 0 ? "" : ".").append(segments[i]);
        }
        String k = key.toString();
        if (k.startsWith(KEY_PREFIX + KEY_PREFIX)) {
            // /pilotfish/prod/pilotfish.tags would otherwise become pilotfish.pilotfish.tags.
            problems.add(new ConfigProblem(k, null, source(p), "name the parameter without the 'pilotfish.' "
                    + "prefix: the path already puts it under pilotfish."));
            return;
        }
        layer.put(k, new ConfigValue(p.value(), source(p), ConfigValue.SSM));
        if (p.type() == ParameterType.SECURE_STRING) {
            secrets.add(k);
        } else {
            secrets.remove(k);
        }
    }

    private static void readDocument(Parameter p, Map<String, ConfigValue> layer, Set<String> secrets,
                                     List<ConfigProblem> problems) {
        boolean secureDocument = p.type() == ParameterType.SECURE_STRING;
        String[] lines = p.value().split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) {
                continue;
            }
            String where = source(p) + " line " + (i + 1);
            int sep = indexOfSeparator(line);
            String key = sep < 0 ? line : line.substring(0, sep).strip();
            if (sep <= 0 || !DOC_KEY.matcher(key).matches()) {
                // The line's text is not echoed: it may hold a secret.
                problems.add(new ConfigProblem(p.name(), null, where,
                        "each line must be key=value with a key of letters, digits, '.', '-', '_' ('#' starts a comment)"));
                continue;
            }
            if (!key.startsWith(KEY_PREFIX)) {
                problems.add(new ConfigProblem(key, null, where, "keys in an SSM configuration document must "
                        + "start with pilotfish."));
                continue;
            }
            layer.put(key, new ConfigValue(line.substring(sep + 1).strip(), where, ConfigValue.SSM));
            if (secureDocument) {
                secrets.add(key);
            } else {
                secrets.remove(key);
            }
        }
    }

    private static int indexOfSeparator(String line) {
        int eq = line.indexOf('=');
        int colon = line.indexOf(':');
        if (eq < 0) {
            return colon;
        }
        return colon < 0 ? eq : Math.min(eq, colon);
    }
}
