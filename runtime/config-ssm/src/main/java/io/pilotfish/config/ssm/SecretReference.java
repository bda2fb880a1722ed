package io.pilotfish.config.ssm;

import io.pilotfish.spi.Secret;
import java.util.Objects;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParameterRequest;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.SsmException;

/**
 * Where a secret such as the Datadog API key lives ({@code pilotfish.datadog.api-key-from}): {@code ssm:/path/name}
 * (a parameter, decrypted), {@code secretsmanager:<name-or-arn>} or a bare {@code arn:aws:secretsmanager:...} ARN.
 * Secrets Manager secrets are read through SSM's {@code /aws/reference/secretsmanager/<name>} path, so one client
 * and one set of permissions reach both.
 *
 * @param spec          the reference as written by the user
 * @param parameterName the SSM parameter name actually read
 */
public record SecretReference(String spec, String parameterName) {

    public static final String SECRETS_MANAGER_REFERENCE = "/aws/reference/secretsmanager/";

    public SecretReference {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(parameterName, "parameterName");
    }

    /** @throws IllegalArgumentException naming what is expected when {@code spec} is not a reference */
    public static SecretReference parse(String spec) {
        String s = spec == null ? "" : spec.strip();
        if (s.startsWith("ssm:")) {
            String name = s.substring("ssm:".length());
            if (!name.matches("(/[A-Za-z0-9_.\\-]+)+")) {
                throw new IllegalArgumentException("expected ssm:/<parameter name>, e.g. ssm:/pilotfish/prod/api-key");
            }
            return new SecretReference(s, name);
        }
        if (s.startsWith("secretsmanager:")) {
            String id = s.substring("secretsmanager:".length());
            if (!id.matches("[A-Za-z0-9/_+=.@:\\-]+")) {
                throw new IllegalArgumentException("expected secretsmanager:<secret name or ARN>");
            }
            return new SecretReference(s, SECRETS_MANAGER_REFERENCE + (id.startsWith("arn:") ? secretName(id) : id));
        }
        if (s.startsWith("arn:aws") && s.contains(":secretsmanager:")) {
            return new SecretReference(s, SECRETS_MANAGER_REFERENCE + secretName(s));
        }
        throw new IllegalArgumentException("expected ssm:/<parameter name>, secretsmanager:<secret name or ARN> "
                + "or an arn:aws:secretsmanager:... ARN");
    }

    /**
     * The secret's name from its ARN ({@code arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>}).
     * GetParameter treats {@code :} in a name as a version selector, so the reference path takes the name; it
     * resolves in the caller's own account and region, as SSM references always do.
     */
    static String secretName(String arn) {
        String[] parts = arn.split(":", 7);
        if (parts.length != 7 || !parts[2].equals("secretsmanager") || !parts[5].equals("secret")
                || parts[6].isEmpty()) {
            throw new IllegalArgumentException("expected a secret ARN arn:aws:secretsmanager:<region>:<account>:"
                    + "secret:<name>");
        }
        // A full ARN ends in '-' and six random characters that Secrets Manager appended to the name.
        return parts[6].matches(".+-[A-Za-z0-9]{6}") ? parts[6].substring(0, parts[6].length() - 7) : parts[6];
    }

    /**
     * Reads the secret with decryption.
     *
     * @throws SecretUnavailableException with a message that names the reference and the fix, never the value
     */
    public Secret read(SsmClient client) {
        try {
            String value = client.getParameter(GetParameterRequest.builder().name(parameterName).withDecryption(true)
                    .build()).parameter().value();
            if (value == null || value.isEmpty()) {
                throw new SecretUnavailableException(spec + ": the secret is empty");
            }
            return new Secret(value);
        } catch (ParameterNotFoundException e) {
            throw new SecretUnavailableException(spec + ": not found; create it or fix the reference");
        } catch (SsmException e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            if ("AccessDeniedException".equals(code) || e.statusCode() == 403) {
                throw new SecretUnavailableException(spec + ": access denied; grant ssm:GetParameter on "
                        + parameterName + (parameterName.startsWith(SECRETS_MANAGER_REFERENCE)
                        ? " and secretsmanager:GetSecretValue on the secret" : "")
                        + ", and kms:Decrypt on its key, to the task role");
            }
            throw new SecretUnavailableException(spec + ": SSM answered " + e.statusCode() + " " + code);
        } catch (ApiCallTimeoutException | ApiCallAttemptTimeoutException e) {
            throw new SecretUnavailableException(spec + ": SSM did not answer in time");
        } catch (SdkException e) {
            ResponseLimits.refusal(e).ifPresent(refused -> {
                throw new SecretUnavailableException(spec + ": " + refused.getMessage());
            });
            throw new SecretUnavailableException(spec + ": could not reach SSM (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The secret could not be read; the message is safe to log. */
    public static final class SecretUnavailableException extends RuntimeException {
        public SecretUnavailableException(String message) {
            super(message);
        }
    }
}
