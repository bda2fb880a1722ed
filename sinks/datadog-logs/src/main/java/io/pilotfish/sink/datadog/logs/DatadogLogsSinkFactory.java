package io.pilotfish.sink.datadog.logs;

import io.pilotfish.sink.datadog.common.DatadogEndpoints;
import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code datadog-logs} sink: log records to Datadog's logs intake, {@code POST /api/v2/logs}, as the Agent's
 * compressed JSON arrays (zstd by default, as the Agent's).
 */
public final class DatadogLogsSinkFactory implements SinkFactory<DatadogLogsConfig> {

    public static final String TYPE = "datadog-logs";

    /** The Agent's setting whose {@code host:port} form {@link #fromAgentHostPort} reads; named in its errors. */
    static final String AGENT_URL_SETTING = "DD_LOGS_CONFIG_LOGS_DD_URL";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DatadogLogsConfig configure(PluginConfig config) {
        Optional<URI> url = DatadogEndpoints.urlKey(config, "the path " + DatadogLogsSink.LOGS_PATH
                + " is added; unset, https://" + LogsIntake.HOST_PREFIX + "<DD_SITE> is used");
        LogsCompression compression = config.choice("compression", LogsCompression.class, LogsCompression.ZSTD);
        int gzipLevel = (int) config.number("gzip-level", DatadogLogsConfig.DEFAULT_GZIP_LEVEL, 1, 9);
        int concurrent = (int) config.number("max-concurrent-sends", 0, 0, DatadogLogsConfig.MAX_CONCURRENT_SENDS);
        return new DatadogLogsConfig(url, compression, gzipLevel, concurrent);
    }

    @Override
    public Set<SignalKind> signals(DatadogLogsConfig config) {
        return Set.of(SignalKind.LOG);
    }

    /**
     * The intake's limit of entries (1000, also the Agent's batch default), and the intake's 5,000,000 bytes a
     * payload capped at the platform's batch ceiling ({@link BatchLimits#DEFAULT}, 4 MiB): a sink may only tighten
     * the platform's limits. The platform weighs records by their heap estimate, which is at least the message's
     * bytes plus the fields', so a batch nearly always encodes within the payload limit; one that does not (a
     * message full of escaped control characters) is answered TooLarge and split.
     */
    @Override
    public BatchLimits batchLimits(DatadogLogsConfig config) {
        return new BatchLimits(LogEncoder.MAX_LOGS_PER_PAYLOAD,
                Math.min(LogEncoder.MAX_PAYLOAD_BYTES, BatchLimits.DEFAULT.maxBytes()));
    }

    /**
     * In order (the default), two: the sink encodes and compresses the next batch while one is out, and sends it after
     * that one was accepted, so the order holds (see {@link DatadogLogsSink}). With {@code max-concurrent-sends} above
     * one, that many, each sent at once.
     */
    @Override
    public int exportsInFlight(DatadogLogsConfig config) {
        return config.inOrder() ? 2 : config.maxConcurrentSends();
    }

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} when no {@code url} is set and the site is unusable
     */
    @Override
    public Sink create(DatadogLogsConfig config, PluginContext context) {
        return new DatadogLogsSink(config, context);
    }

    /**
     * The intake base URL the Agent derives from {@code DD_LOGS_CONFIG_LOGS_DD_URL} and
     * {@code DD_LOGS_CONFIG_LOGS_NO_SSL}: {@code host:port} becomes {@code https://host:port}, or
     * {@code http://host:port} with {@code noSsl}; the default port of the scheme (443, 80) is left out. A value
     * that already names its scheme ({@code https://host:port}, {@code http://host:port}) keeps it, whatever
     * {@code noSsl} says, as newer Agents read it. IPv6 hosts go in brackets: {@code [::1]:10516}.
     *
     * @throws IllegalArgumentException naming {@code DD_LOGS_CONFIG_LOGS_DD_URL} and the expected form when the value
     *                                  is blank, has no port, a port outside 1-65535, a path, a user or a query
     */
    public static URI fromAgentHostPort(String hostPort, boolean noSsl) {
        String value = hostPort == null ? "" : hostPort.strip();
        if (value.isEmpty()) {
            throw badHostPort("it is empty");
        }
        String scheme = noSsl ? "http" : "https";
        String authority = value;
        int separator = value.indexOf("://");
        if (separator >= 0) {
            scheme = value.substring(0, separator).toLowerCase(Locale.ROOT);
            authority = value.substring(separator + 3);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw badHostPort("the scheme must be http or https");
            }
        }
        while (authority.endsWith("/")) {
            authority = authority.substring(0, authority.length() - 1); // "host:443/" is common and harmless
        }
        if (authority.contains("/") || authority.contains("?") || authority.contains("#")) {
            throw badHostPort("it must be host:port only, without a path or query");
        }
        if (authority.contains("@")) {
            throw badHostPort("it must be host:port only, without a user (proxy credentials go in DD_PROXY_HTTPS)");
        }
        URI uri;
        try {
            uri = new URI(scheme + "://" + authority);
        } catch (URISyntaxException e) {
            throw badHostPort("it is not a host name and port");
        }
        if (uri.getHost() == null) {
            throw badHostPort(authority.indexOf(':') < 0 ? "the port is missing" : "it is not a host name and port");
        }
        int port = uri.getPort();
        if (port < 0) {
            throw badHostPort("the port is missing");
        }
        if (port < 1 || port > 65535) {
            throw badHostPort("the port must be from 1 to 65535");
        }
        boolean defaultPort = (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
        return URI.create(scheme + "://" + uri.getRawAuthority().substring(0,
                uri.getRawAuthority().length() - (defaultPort ? (":" + port).length() : 0)));
    }

    private static IllegalArgumentException badHostPort(String problem) {
        // The value is not echoed: a mistyped setting may hold something secret (a key pasted in the wrong place).
        return new IllegalArgumentException(AGENT_URL_SETTING + " is not usable: " + problem + "; expected host:port "
                + "such as agent-http-intake.logs.datadoghq.eu:443 (https; http when DD_LOGS_CONFIG_LOGS_NO_SSL=true)");
    }
}
