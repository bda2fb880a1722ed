package io.pilotfish.agent.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The HTTPS proxy for the intakes ({@code DD_PROXY_HTTPS}). The task's own endpoints (metadata and credentials on
 * link-local 169.254.170.2) and loopback never go through it: a proxy outside the task cannot reach them.
 */
public final class IntakeProxy extends ProxySelector {

    static final String TUNNELING_DISABLED_SCHEMES = "jdk.http.auth.tunneling.disabledSchemes";

    private final Proxy proxy;

    private IntakeProxy(URI proxyUri) {
        int port = proxyUri.getPort() > 0 ? proxyUri.getPort() : "https".equals(proxyUri.getScheme()) ? 443 : 80;
        this.proxy = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(proxyUri.getHost(), port));
    }

    public static IntakeProxy of(URI proxyUri) {
        return new IntakeProxy(proxyUri);
    }

    @Override
    public List<Proxy> select(URI uri) {
        return direct(uri.getHost()) ? List.of(Proxy.NO_PROXY) : List.of(proxy);
    }

    static boolean direct(String host) {
        if (host == null || host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+") && !host.contains(":")) {
            return false;
        }
        try {
            InetAddress address = InetAddress.getByName(host);
            return address.isLoopbackAddress() || address.isLinkLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public void connectFailed(URI uri, SocketAddress address, IOException error) {
        // The sink reports the failure; nothing to remember here.
    }

    /** The proxy's host (unresolved: the name as configured) and port. */
    public InetSocketAddress address() {
        return (InetSocketAddress) proxy.address();
    }

    /** {@code host:port} of the proxy, for messages: never the credentials. */
    public String describe() {
        InetSocketAddress address = (InetSocketAddress) proxy.address();
        return address.getHostString() + ":" + address.getPort();
    }

    /**
     * The {@code Proxy-Authorization} value (Basic) made from the proxy URL's user info, when it has one. The Datadog
     * Agent offers the same: Basic credentials from {@code DD_PROXY_HTTPS}, sent with the CONNECT.
     */
    public static Optional<String> basicCredentials(URI proxyUri) {
        String userInfo = proxyUri.getRawUserInfo();
        if (userInfo == null || userInfo.isEmpty()) {
            return Optional.empty();
        }
        int colon = userInfo.indexOf(':');
        String user = URLDecoder.decode(colon < 0 ? userInfo : userInfo.substring(0, colon), StandardCharsets.UTF_8);
        String password = colon < 0 ? "" : URLDecoder.decode(userInfo.substring(colon + 1), StandardCharsets.UTF_8);
        return Optional.of("Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8)));
    }

    /** The password in the proxy URL's user info, decoded, so that outputs can mask it; empty when there is none. */
    public static Optional<String> password(URI proxyUri) {
        String userInfo = proxyUri.getRawUserInfo();
        int colon = userInfo == null ? -1 : userInfo.indexOf(':');
        return colon < 0 || colon == userInfo.length() - 1 ? Optional.empty()
                : Optional.of(URLDecoder.decode(userInfo.substring(colon + 1), StandardCharsets.UTF_8));
    }

    /**
     * Lets the JDK's HTTP client send Basic credentials on a CONNECT. By default it strips them
     * ({@code jdk.http.auth.tunneling.disabledSchemes=Basic} in {@code net.properties}), so an HTTPS request through
     * an authenticating proxy is answered 407 whatever the credentials. The client reads the property once, when its
     * first class is initialised: call this before any {@code java.net.http} use in the process. A value the user set
     * on the command line is kept.
     */
    public static void allowBasicOnTunnels() {
        if (System.getProperty(TUNNELING_DISABLED_SCHEMES) == null) {
            System.setProperty(TUNNELING_DISABLED_SCHEMES, "");
        }
    }

    /** Whether Basic credentials reach a CONNECT in this process, as far as the property says. */
    public static boolean basicAllowedOnTunnels() {
        String disabled = System.getProperty(TUNNELING_DISABLED_SCHEMES);
        return disabled != null && java.util.Arrays.stream(disabled.split(","))
                .noneMatch(scheme -> scheme.trim().equalsIgnoreCase("Basic"));
    }
}
