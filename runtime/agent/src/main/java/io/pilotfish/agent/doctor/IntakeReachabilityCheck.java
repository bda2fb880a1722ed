package io.pilotfish.agent.doctor;

import io.pilotfish.sink.datadog.common.DatadogEndpoints;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Each intake host the Datadog sinks send to resolves in DNS and completes a TLS handshake (host name verified)
 * within the timeout. Plain {@code http://} bases get a TCP connect only: they are meant for tests and local proxies.
 */
public final class IntakeReachabilityCheck implements DoctorCheck {

    @Override
    public String id() {
        return "intake";
    }

    @Override
    public String title() {
        return "intake reachable";
    }

    @Override
    public CheckResult run(DoctorContext context) {
        DatadogTarget target = context.datadog();
        if (target.intakeBases().isEmpty()) {
            return CheckResult.fail(this, target.baseProblem().orElse("no Datadog intake URL"),
                    "Set DD_SITE to your Datadog site (e.g. datadoghq.eu), or DD_DD_URL to a full URL");
        }
        List<String> reached = new ArrayList<>();
        int timeoutMillis = (int) Math.max(1, context.timeout().toMillis() / target.intakeBases().size());
        for (Map.Entry<String, URI> intake : target.intakeBases().entrySet()) {
            URI base = intake.getValue();
            String host = base.getHost();
            boolean tls = base.getScheme().toLowerCase(Locale.ROOT).equals("https");
            int port = base.getPort() >= 0 ? base.getPort() : tls ? 443 : 80;
            String where = host + ":" + port + " (" + intake.getKey() + ")";
            InetAddress address;
            try {
                address = InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                return CheckResult.fail(this, where + " does not resolve in DNS", "Check DD_SITE / DD_DD_URL for a "
                        + "typo, and that the task's VPC has DNS resolution (enableDnsSupport) or a resolver");
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address, port), timeoutMillis);
                socket.setSoTimeout(timeoutMillis);
                if (!tls) {
                    reached.add(where + " -> " + address.getHostAddress() + ", plain HTTP (only for tests or a "
                            + "local proxy)");
                    continue;
                }
                SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                        .createSocket(socket, host, port, false);
                SSLParameters parameters = ssl.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(parameters);
                ssl.startHandshake();
                reached.add(where + " -> " + address.getHostAddress() + ", " + ssl.getSession().getProtocol());
                ssl.close();
            } catch (javax.net.ssl.SSLException e) {
                return CheckResult.fail(this, "TLS handshake with " + where + " failed: " + ApiKeyCheck.describe(e),
                        "A proxy or firewall intercepts TLS, or the URL is not an HTTPS endpoint: check DD_DD_URL "
                                + "and add the proxy's CA to the JVM trust store if you use one");
            } catch (IOException e) {
                return CheckResult.fail(this, "could not connect to " + where + " at " + address.getHostAddress()
                        + ": " + ApiKeyCheck.describe(e), ApiKeyCheck.egressFix(DatadogEndpoints.describe(base)));
            }
        }
        return CheckResult.pass(this, String.join("; ", reached));
    }
}
