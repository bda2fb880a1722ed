package io.pilotfish.agent.doctor;

import io.pilotfish.agent.net.IntakeProxy;
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
 * With {@code DD_PROXY_HTTPS}, the path is the agent's: a CONNECT to the proxy, with its credentials, and the TLS
 * handshake through the tunnel; the proxy resolves the intake, so this check does not.
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
            java.util.Optional<IntakeProxy> proxy = target.proxyFor(base);
            if (proxy.isPresent()) {
                java.util.Optional<CheckResult> failure = throughProxy(proxy.get(),
                        IntakeProxy.basicCredentials(target.proxy().orElseThrow()), host, port, tls, where,
                        timeoutMillis, reached);
                if (failure.isPresent()) {
                    return failure.get();
                }
                continue;
            }
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

    /** The most a proxy's answer to CONNECT may hold before its blank line: a status line and a few headers. */
    private static final int MAX_CONNECT_ANSWER_BYTES = 16 * 1024;

    /**
     * The agent's way to the intake through the proxy: a CONNECT carrying {@code credentials}, then (for https) the
     * TLS handshake with the intake inside the tunnel. A failure names the proxy and, for a 407, its credentials.
     */
    private java.util.Optional<CheckResult> throughProxy(IntakeProxy proxy, java.util.Optional<String> credentials,
                                                         String host, int port, boolean tls, String where,
                                                         int timeoutMillis, List<String> reached) {
        String via = "the proxy at " + proxy.describe();
        String proxyFix = "Check the host and port in DD_PROXY_HTTPS, and that the task's security group and subnet "
                + "allow outbound traffic to the proxy";
        InetSocketAddress proxyAddress = proxy.address();
        if (proxyAddress.isUnresolved()) {
            proxyAddress = new InetSocketAddress(proxyAddress.getHostString(), proxyAddress.getPort());
            if (proxyAddress.isUnresolved()) {
                return java.util.Optional.of(CheckResult.fail(this, via + " does not resolve in DNS", proxyFix));
            }
        }
        String authority = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        try (Socket socket = new Socket()) {
            socket.connect(proxyAddress, timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            if (!tls) {
                // The agent sends plain HTTP to the proxy itself, without a tunnel: the proxy is all there is to reach.
                reached.add(where + " via " + via + ", plain HTTP (only for tests or a local proxy)");
                return java.util.Optional.empty();
            }
            StringBuilder connect = new StringBuilder("CONNECT ").append(authority).append(" HTTP/1.1\r\nHost: ")
                    .append(authority).append("\r\n");
            credentials.ifPresent(value -> connect.append("Proxy-Authorization: ").append(value).append("\r\n"));
            socket.getOutputStream().write(connect.append("\r\n").toString()
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            int status = connectStatus(socket.getInputStream());
            if (status == 407) {
                return java.util.Optional.of(CheckResult.fail(this, via + (credentials.isPresent()
                        ? " refused the user and password of DD_PROXY_HTTPS" : " requires a user and password")
                        + " (HTTP 407 Proxy Authentication Required) for CONNECT " + authority,
                        ApiKeyCheck.proxyCredentialsFix(credentials.isPresent())));
            }
            if (status != 200) {
                return java.util.Optional.of(CheckResult.fail(this, via + " answered HTTP " + status + " to CONNECT "
                        + authority + " (" + where + ")", "Have the proxy allow CONNECT to " + authority
                        + " (squid: the port in SSL_ports and an http_access rule for the task)"));
            }
            SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                    .createSocket(socket, host, port, false);
            SSLParameters parameters = ssl.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            ssl.setSSLParameters(parameters);
            ssl.startHandshake();
            reached.add(where + " via " + via + ", " + ssl.getSession().getProtocol());
            ssl.close();
            return java.util.Optional.empty();
        } catch (javax.net.ssl.SSLException e) {
            return java.util.Optional.of(CheckResult.fail(this, "TLS handshake with " + where + " through " + via
                    + " failed: " + ApiKeyCheck.describe(e), "A proxy that inspects TLS presents its own "
                    + "certificate: add the proxy's CA to the JVM trust store, or exempt the Datadog intakes"));
        } catch (IOException e) {
            return java.util.Optional.of(CheckResult.fail(this, "could not reach " + where + " through " + via
                    + ": " + ApiKeyCheck.describe(e), proxyFix));
        }
    }

    /**
     * The status code of a proxy's answer to CONNECT, read up to its blank line and not a byte further (what
     * follows belongs to the tunnel).
     */
    private static int connectStatus(java.io.InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < MAX_CONNECT_ANSWER_BYTES && !(head.length() >= 4
                && head.substring(head.length() - 4).equals("\r\n\r\n"))) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the proxy closed the connection before answering CONNECT");
            }
            head.append((char) b);
        }
        String statusLine = head.toString().lines().findFirst().orElse("");
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("[0-9]{3}")) {
            throw new IOException("the proxy's answer to CONNECT is not HTTP");
        }
        return Integer.parseInt(parts[1]);
    }
}
