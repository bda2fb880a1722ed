package io.pilotfish.config.ssm;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathRequest;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathResponse;

/**
 * Evaluates {@code deploy/task-role-policy.json} against the calls the agent really makes for the documented layout
 * (cluster {@code prod}, family {@code shop}, eu-west-1, account 123456789012) and against calls it must not be able
 * to make. Every container of a task shares the task role, so the policy, not the loader, is what keeps a task out of
 * other families' and clusters' parameters: it is tested like code.
 */
class TaskRolePolicyTest {

    private static final Path POLICY_FILE = Path.of("../../deploy/task-role-policy.json");
    private static final String REGION = "eu-west-1";
    private static final String ACCOUNT = "123456789012";
    private static final String KMS_KEY = "arn:aws:kms:" + REGION + ":" + ACCOUNT
            + ":key/11111111-2222-3333-4444-555555555555";

    /** The two places deploy/ssm-parameters.md names for the API key, as {@code api-key-from} values. */
    private static final String KEY_IN_SSM = "ssm:/pilotfish/secrets/dd-api-key";
    private static final String KEY_IN_SECRETS_MANAGER = "secretsmanager:pilotfish/dd-api-key";
    private static final String KEY_IN_SECRETS_MANAGER_BY_ARN =
            "arn:aws:secretsmanager:" + REGION + ":" + ACCOUNT + ":secret:pilotfish/dd-api-key-AbCdEf";
    /** Secrets Manager ends a secret's ARN with '-' and six random characters. */
    private static final String RANDOM_SUFFIX = "-AbCdEf";

    /** deploy/README.md: drop the statements whose Sid starts with the variant you do not use. */
    private static final String SECURE_STRING_VARIANT = "OnlyWhenTheKeyIsASecureString";
    private static final String SECRETS_MANAGER_VARIANT = "OnlyWhenTheKeyLivesInSecretsManager";

    @Test
    void theLoaderReadsTheClusterLevelOneLevelDeepAndTheOtherLevelsRecursively() {
        // Below the cluster path live the other families' layers: the policy allows that path only one level deep.
        assertEquals(List.of(byPath("/pilotfish/defaults", true), byPath("/pilotfish/prod", false),
                byPath("/pilotfish/prod/shop", true)), requestsOfTheLoader());
    }

    @Test
    void everyCallTheLoaderMakesIsAllowed() {
        Policy policy = Policy.read(POLICY_FILE);
        assertAllAllowed(policy, requestsOfTheLoader());
    }

    @Test
    void theApiKeyIsReadableInBothDocumentedPlaces() {
        Policy policy = Policy.read(POLICY_FILE);
        assertAllAllowed(policy, requestsForKeyInSsm());
        assertAllAllowed(policy, requestsForKeyInSecretsManager(KEY_IN_SECRETS_MANAGER));
        assertAllAllowed(policy, requestsForKeyInSecretsManager(KEY_IN_SECRETS_MANAGER_BY_ARN));
    }

    @Test
    void eachVariantWorksWithTheOtherVariantsStatementsDropped() {
        Policy policy = Policy.read(POLICY_FILE);
        Policy keyInSsm = policy.withoutStatementsNamed(SECRETS_MANAGER_VARIANT);
        Policy keyInSecretsManager = policy.withoutStatementsNamed(SECURE_STRING_VARIANT);
        // Each prefix must name something, or the README's instruction would silently remove nothing.
        assertTrue(keyInSsm.statements().size() < policy.statements().size(), SECRETS_MANAGER_VARIANT);
        assertTrue(keyInSecretsManager.statements().size() < policy.statements().size(), SECURE_STRING_VARIANT);

        assertAllAllowed(keyInSsm, requestsOfTheLoader());
        assertAllAllowed(keyInSsm, requestsForKeyInSsm());
        assertAllDenied(keyInSsm, List.of(secretValue("pilotfish/dd-api-key"),
                parameter(SecretReference.parse(KEY_IN_SECRETS_MANAGER).parameterName())));

        assertAllAllowed(keyInSecretsManager, requestsOfTheLoader());
        assertAllAllowed(keyInSecretsManager, requestsForKeyInSecretsManager(KEY_IN_SECRETS_MANAGER));
        assertAllDenied(keyInSecretsManager, List.of(parameter(SecretReference.parse(KEY_IN_SSM).parameterName())));
    }

    @Test
    void nothingBeyondThisTasksPathsAndKeyIsAllowed() {
        Policy policy = Policy.read(POLICY_FILE);
        assertAllDenied(policy, List.of(
                // A recursive read of the cluster path returns every family's parameters.
                byPath("/pilotfish/prod", true),
                byPath("/pilotfish/prod/cart", true),
                byPath("/pilotfish/prod/cart", false),
                parameter("/pilotfish/prod/cart/datadog/api-key-from"),
                // A family whose name starts with this one's must not ride on a prefix match.
                byPath("/pilotfish/prod/shop-admin", true),
                byPath("/pilotfish/staging", false),
                byPath("/pilotfish/staging/shop", true),
                byPath("/pilotfish", true),
                byPath("/", true),
                parameter("/payments/db/url"),
                new Request("ssm:PutParameter", parameterArn("/pilotfish/prod/shop/tags"), Map.of()),
                new Request("ssm:PutParameter", parameterArn("/pilotfish/defaults/datadog/site"), Map.of()),
                new Request("ssm:DeleteParameter", parameterArn("/pilotfish/secrets/dd-api-key"), Map.of()),
                // Another secret whose name starts with the key's: a "-*" suffix pattern would let it through.
                secretValue("pilotfish/dd-api-key-staging"),
                secretValue("payments/db"),
                parameter(SecretReference.parse("secretsmanager:payments/db").parameterName()),
                new Request("kms:Decrypt", KMS_KEY, Map.of())));
    }

    // --- the requests, derived from the code that makes them ---

    /** Runs the real loader for the documented task and keeps the GetParametersByPath calls it makes. */
    private static List<Request> requestsOfTheLoader() {
        List<String> paths = SsmPaths.defaults().resolve(Tasks.task("prod", "shop", "shop-service")).paths();
        RecordingSsm ssm = new RecordingSsm();
        new SsmConfigLoader(ssm, REGION, ACCOUNT, Clock.systemUTC(), d -> { }).load(paths);
        return ssm.requests.stream().map(r -> byPath(r.path(), r.recursive())).toList();
    }

    private static List<Request> requestsForKeyInSsm() {
        return List.of(parameter(SecretReference.parse(KEY_IN_SSM).parameterName()), decryptThroughSsm());
    }

    /** GetParameter on SSM's reference path, and the GetSecretValue SSM makes with the caller's permissions. */
    private static List<Request> requestsForKeyInSecretsManager(String spec) {
        String reference = SecretReference.parse(spec).parameterName();
        String secretName = reference.substring(SecretReference.SECRETS_MANAGER_REFERENCE.length());
        return List.of(parameter(reference), secretValue(secretName));
    }

    private static Request byPath(String path, Boolean recursive) {
        // ssm:Recursive is in the request context only when the request says it.
        return new Request("ssm:GetParametersByPath", parameterArn(path),
                recursive == null ? Map.of() : Map.of("ssm:Recursive", recursive.toString()));
    }

    private static Request parameter(String name) {
        return new Request("ssm:GetParameter", parameterArn(name), Map.of());
    }

    private static Request secretValue(String secretName) {
        return new Request("secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:" + REGION + ":" + ACCOUNT + ":secret:" + secretName + RANDOM_SUFFIX, Map.of());
    }

    private static Request decryptThroughSsm() {
        return new Request("kms:Decrypt", KMS_KEY, Map.of("kms:ViaService", "ssm." + REGION + ".amazonaws.com"));
    }

    /** Parameter names start with '/', which the ARN keeps after "parameter" ({@code parameter/pilotfish/prod}). */
    private static String parameterArn(String name) {
        return "arn:aws:ssm:" + REGION + ":" + ACCOUNT + ":parameter" + name;
    }

    private static void assertAllAllowed(Policy policy, List<Request> requests) {
        assertAll(requests.stream().map(r -> (Executable) () -> assertTrue(policy.allows(r), "denied: " + r)));
    }

    private static void assertAllDenied(Policy policy, List<Request> requests) {
        assertAll(requests.stream().map(r -> (Executable) () -> assertFalse(policy.allows(r), "allowed: " + r)));
    }

    /** Answers every path with no parameters and keeps the request exactly as the loader built it. */
    private static final class RecordingSsm implements SsmClient {
        final List<GetParametersByPathRequest> requests = new ArrayList<>();

        @Override
        public GetParametersByPathResponse getParametersByPath(GetParametersByPathRequest request) {
            requests.add(request);
            return GetParametersByPathResponse.builder().build();
        }

        @Override
        public String serviceName() {
            return "ssm";
        }

        @Override
        public void close() {
        }
    }

    // --- a small IAM evaluator for one identity policy ---

    /** One API call as IAM sees it: the action, the resource ARN and the request's condition keys. */
    record Request(String action, String resource, Map<String, String> context) {
        @Override
        public String toString() {
            return action + " on " + resource + (context.isEmpty() ? "" : " with " + context);
        }
    }

    /**
     * A statement of the policy. Anything this evaluator does not implement (NotAction, NotResource, Principal, a
     * condition operator other than StringEquals) fails the test instead of being guessed at.
     */
    record Statement(String sid, boolean allow, List<String> actions, List<String> resources,
                     Map<String, Map<String, List<String>>> conditions) {

        private static final Set<String> FIELDS = Set.of("Sid", "Effect", "Action", "Resource", "Condition");

        static Statement of(JsonNode node) {
            node.fieldNames().forEachRemaining(field -> {
                if (!FIELDS.contains(field)) {
                    throw new IllegalArgumentException("the test's evaluator does not implement " + field);
                }
            });
            String effect = node.path("Effect").asText();
            if (!effect.equals("Allow") && !effect.equals("Deny")) {
                throw new IllegalArgumentException("Effect must be Allow or Deny, not '" + effect + "'");
            }
            Map<String, Map<String, List<String>>> conditions = new LinkedHashMap<>();
            node.path("Condition").fields().forEachRemaining(operator -> {
                if (!operator.getKey().equals("StringEquals")) {
                    throw new IllegalArgumentException("the test's evaluator does not implement " + operator.getKey());
                }
                Map<String, List<String>> keys = new LinkedHashMap<>();
                operator.getValue().fields().forEachRemaining(key -> keys.put(key.getKey(), strings(key.getValue())));
                conditions.put(operator.getKey(), keys);
            });
            return new Statement(node.path("Sid").asText(""), effect.equals("Allow"), strings(node.path("Action")),
                    strings(node.path("Resource")), conditions);
        }

        boolean matches(Request request) {
            // Action names are case-insensitive; ARNs are not.
            return actions.stream().anyMatch(a -> wildcard(a, Pattern.CASE_INSENSITIVE).matcher(request.action())
                            .matches())
                    && resources.stream().anyMatch(r -> resourceMatches(r, request.resource()))
                    && conditions.values().stream().allMatch(keys -> keys.entrySet().stream()
                            .allMatch(key -> stringEquals(request.context(), key.getKey(), key.getValue())));
        }

        /** A missing key never equals anything; several values are alternatives; key names ignore case. */
        private static boolean stringEquals(Map<String, String> context, String key, List<String> values) {
            return context.entrySet().stream().anyMatch(e -> e.getKey().equalsIgnoreCase(key)
                    && values.contains(e.getValue()));
        }

        /**
         * Wildcards apply within each colon-separated ARN segment; a '*' that ends the pattern's last segment also
         * covers the colons after it.
         */
        static boolean resourceMatches(String pattern, String arn) {
            if (pattern.equals("*")) {
                return true;
            }
            String[] want = pattern.split(":", 6);
            String[] have = arn.split(":", 6);
            if (want.length < have.length && want[want.length - 1].endsWith("*")) {
                String[] joined = new String[want.length];
                System.arraycopy(have, 0, joined, 0, want.length - 1);
                joined[want.length - 1] = String.join(":", List.of(have).subList(want.length - 1, have.length));
                have = joined;
            }
            if (want.length != have.length) {
                return false;
            }
            for (int i = 0; i < want.length; i++) {
                if (!wildcard(want[i], 0).matcher(have[i]).matches()) {
                    return false;
                }
            }
            return true;
        }

        /** IAM's wildcards: '*' any run of characters (also '/'), '?' exactly one character. */
        static Pattern wildcard(String pattern, int flags) {
            StringBuilder regex = new StringBuilder();
            for (char c : pattern.toCharArray()) {
                regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
            }
            return Pattern.compile(regex.toString(), flags | Pattern.DOTALL);
        }

        private static List<String> strings(JsonNode node) {
            if (node.isTextual()) {
                return List.of(node.asText());
            }
            if (!node.isArray() || node.isEmpty()) {
                throw new IllegalArgumentException("expected a string or a list of strings, got " + node);
            }
            List<String> values = new ArrayList<>();
            node.forEach(v -> values.add(v.asText()));
            return values;
        }
    }

    /** An identity policy: an explicit Deny wins, else some Allow must match, else the call is denied. */
    record Policy(List<Statement> statements) {

        static Policy read(Path file) {
            try {
                JsonNode root = new ObjectMapper().readTree(file.toFile());
                if (!"2012-10-17".equals(root.path("Version").asText())) {
                    throw new IllegalArgumentException(file + ": Version must be 2012-10-17");
                }
                List<Statement> statements = new ArrayList<>();
                root.path("Statement").forEach(s -> statements.add(Statement.of(s)));
                return new Policy(statements);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + file.toAbsolutePath().normalize(), e);
            }
        }

        boolean allows(Request request) {
            List<Statement> matching = statements.stream().filter(s -> s.matches(request)).toList();
            return matching.stream().allMatch(Statement::allow) && !matching.isEmpty();
        }

        Policy withoutStatementsNamed(String sidPrefix) {
            return new Policy(statements.stream().filter(s -> !s.sid().startsWith(sidPrefix)).toList());
        }
    }
}
