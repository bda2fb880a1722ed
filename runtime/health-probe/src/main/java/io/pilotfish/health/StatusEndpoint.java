package io.pilotfish.health;

import java.util.Map;
import java.util.Properties;

/**
 * Where the agent's status endpoint listens, resolved as the agent resolves {@code pilotfish.status.host} and
 * {@code pilotfish.status.port}: the system property, then the {@code PILOTFISH_STATUS_*} variable, then the
 * default (127.0.0.1, 5001); values are trimmed and a port may contain {@code _}. A {@code --port} option wins
 * over all of them.
 *
 * @param host        the host the agent binds, as configured
 * @param port        0 when the endpoint is off
 * @param portSetting where the port came from, as a user reads it ({@code pilotfish.status.port=0 from ...})
 */
public record StatusEndpoint(String host, int port, String portSetting) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 5001;
    static final String HOST_KEY = "pilotfish.status.host";
    static final String PORT_KEY = "pilotfish.status.port";
    static final String HOST_VARIABLE = "PILOTFISH_STATUS_HOST";
    static final String PORT_VARIABLE = "PILOTFISH_STATUS_PORT";

    /**
     * @param portOption the {@code --port} option, or null
     * @throws IllegalArgumentException when a port setting is not a port, with the key, value, source and what is
     *                                  expected, as the agent reports a configuration error
     */
    public static StatusEndpoint resolve(Integer portOption, Properties systemProperties, Map<String, String> env) {
        String host = DEFAULT_HOST;
        if (systemProperties.getProperty(HOST_KEY) != null) {
            host = systemProperties.getProperty(HOST_KEY).trim();
        } else if (env.get(HOST_VARIABLE) != null) {
            host = env.get(HOST_VARIABLE).trim();
        }
        if (portOption != null) {
            if (portOption < 0 || portOption > 65535) {
                throw new IllegalArgumentException("--port " + portOption + ": expected a whole number from 0 to 65535");
            }
            return new StatusEndpoint(host, portOption, "--port " + portOption);
        }
        String raw;
        String source;
        if (systemProperties.getProperty(PORT_KEY) != null) {
            raw = systemProperties.getProperty(PORT_KEY);
            source = "system property";
        } else if (env.get(PORT_VARIABLE) != null) {
            raw = env.get(PORT_VARIABLE);
            source = "environment " + PORT_VARIABLE;
        } else {
            return new StatusEndpoint(host, DEFAULT_PORT, PORT_KEY + "=" + DEFAULT_PORT + " by default");
        }
        String value = raw.trim();
        long port;
        try {
            port = Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(PORT_KEY + "=\"" + value + "\" (from " + source
                    + "): expected a whole number from 0 to 65535");
        }
        return new StatusEndpoint(host, (int) port, PORT_KEY + "=" + port + " from " + source);
    }

    /** The endpoint is off: the agent opens no status port. */
    public boolean off() {
        return port == 0;
    }

    /** Where a client connects: an endpoint bound to every interface is reached on the loopback. */
    public String connectHost() {
        return reachableHost(host);
    }

    /** The host a client connects to for an endpoint bound to {@code boundHost}: a wildcard is the loopback. */
    public static String reachableHost(String boundHost) {
        return boundHost.equals("0.0.0.0") || boundHost.equals("::") ? "127.0.0.1" : boundHost;
    }

    /** {@code host:port} of {@link #connectHost()}, an IPv6 literal in brackets. */
    public String authority() {
        String connect = connectHost();
        return (connect.indexOf(':') >= 0 ? "[" + connect + "]" : connect) + ":" + port;
    }
}
