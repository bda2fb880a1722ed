package io.pilotfish.agent.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.sink.datadog.common.BoundedBody;
import io.pilotfish.sink.datadog.common.DatadogEndpoints;
import io.pilotfish.spi.Secret;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;

/** {@code GET <base>/api/v1/validate} with the configured key: does the configured site accept it? */
public final class ApiKeyCheck implements DoctorCheck {

    static final String VALIDATE_PATH = "/api/v1/validate";
    /** Datadog's answer is {@code {"valid":true}}; anything longer is not it. */
    private static final int BODY_BYTES_KEPT = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String id() {
        return "api-key";
    }

    @Override
    public String title() {
        return "API key";
    }

    @Override
    public CheckResult run(DoctorContext context) throws InterruptedException {
        DatadogTarget target = context.datadog();
        if (target.apiBase().isEmpty()) {
            return CheckResult.fail(this, target.baseProblem().orElse("no Datadog URL"),
                    "Set DD_SITE to your Datadog site (e.g. datadoghq.eu), or DD_DD_URL to a full URL");
        }
        if (target.apiKey().isEmpty()) {
            return CheckResult.fail(this, "no API key configured", "Set DD_API_KEY (or pilotfish.datadog.api-key, "
                    + "e.g. as a SecureString in SSM) to an API key from Organization Settings > API Keys on "
                    + target.site());
        }
        Secret key = target.apiKey().get();
        URI uri = DatadogEndpoints.withPath(target.apiBase().get(), VALIDATE_PATH);
        String host = DatadogEndpoints.describe(target.apiBase().get());
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(context.timeout())
                .header("DD-API-KEY", key.reveal()).header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> response;
        try {
            // Only {"valid":true} is looked for: a proxy's error page or a hostile answer is not read whole.
            response = context.http().send(request, BoundedBody.handler(BODY_BYTES_KEPT));
        } catch (HttpTimeoutException e) {
            return CheckResult.fail(this, host + " did not answer within " + Doctor.seconds(context.timeout()),
                    egressFix(host));
        } catch (IOException e) {
            return CheckResult.fail(this, "could not reach " + host + ": " + describe(e), egressFix(host));
        }
        int status = response.statusCode();
        String keyName = "key " + key.masked();
        if (status == 200) {
            if (validTrue(response.body())) {
                return CheckResult.pass(this, keyName + " accepted by " + target.destination());
            }
            return CheckResult.fail(this, host + VALIDATE_PATH + " answered 200 without {\"valid\":true}",
                    "DD_DD_URL must point at Datadog or a proxy that forwards " + VALIDATE_PATH);
        }
        if (status == 403 || status == 401) {
            return CheckResult.fail(this, keyName + " rejected by " + target.destination() + " (HTTP " + status + ")",
                    "Check DD_API_KEY and that DD_SITE (now " + target.site() + ") matches the key's "
                            + "organisation: a key of datadoghq.eu is rejected by datadoghq.com");
        }
        if (status == 407) {
            boolean sent = response.request().headers().firstValue("Proxy-Authorization").isPresent();
            String proxy = target.proxyFor(uri).map(p -> "the proxy at " + p.describe())
                    .orElse("a proxy on the way to " + host);
            return CheckResult.fail(this, proxy + (sent ? " refused the user and password of DD_PROXY_HTTPS"
                            : " requires a user and password") + " (HTTP 407 Proxy Authentication Required); the "
                            + "key was not checked", proxyCredentialsFix(sent));
        }
        if (status == 429) {
            return CheckResult.warn(this, target.destination() + " is rate limiting key validation (HTTP 429)",
                    "Run doctor again in a minute");
        }
        return CheckResult.fail(this, host + VALIDATE_PATH + " answered HTTP " + status,
                status >= 500 ? "Datadog or the proxy in between has a problem: check status.datadoghq.com and retry"
                        : "DD_DD_URL must point at Datadog or a proxy that forwards " + VALIDATE_PATH);
    }

    private static boolean validTrue(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node != null && node.path("valid").asBoolean(false);
        } catch (IOException e) {
            return false;
        }
    }

    /** What to do about a 407: the proxy's credentials live in {@code DD_PROXY_HTTPS}. */
    static String proxyCredentialsFix(boolean credentialsSent) {
        return credentialsSent
                ? "Check the user and password in DD_PROXY_HTTPS (before the @ of the URL, special characters "
                        + "percent-encoded) with the proxy's administrator"
                : "Put the proxy's user and password in DD_PROXY_HTTPS: user, colon, password and @ before the host";
    }

    static String egressFix(String host) {
        return "Allow outbound HTTPS to " + host + ": security group egress, a NAT gateway or public IP for the "
                + "task's subnet, or a proxy (DD_PROXY_HTTPS)";
    }

    static String describe(Exception e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : " (" + message + ")");
    }
}
