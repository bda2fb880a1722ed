package io.pilotfish.agent.net;

import java.io.IOException;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The HTTPS proxy for the intakes ({@code DD_PROXY_HTTPS}). The task's own endpoints (metadata and credentials on
 * link-local 169.254.170.2) and loopback never go through it: a proxy outside the task cannot reach them.
 */
public final class IntakeProxy extends ProxySelector {

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

    /** Credentials from the proxy URL's user info, offered only to the proxy. */
    public static Optional<Authenticator> authenticator(URI proxyUri) {
        String userInfo = proxyUri.getRawUserInfo();
        if (userInfo == null || userInfo.isEmpty()) {
            return Optional.empty();
        }
        int colon = userInfo.indexOf(':');
        String user = URLDecoder.decode(colon < 0 ? userInfo : userInfo.substring(0, colon), StandardCharsets.UTF_8);
        char[] password = colon < 0 ? new char[0]
                : URLDecoder.decode(userInfo.substring(colon + 1), StandardCharsets.UTF_8).toCharArray();
        return Optional.of(new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return getRequestorType() == RequestorType.PROXY ? new PasswordAuthentication(user, password) : null;
            }
        });
    }
}
