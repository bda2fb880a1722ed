package io.pilotfish.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Squid (Debian's {@code squid} package) on 127.0.0.1 that asks for Basic credentials, as a corporate proxy in
 * front of the intake would. It resolves host names from its own hosts file, so the tests can give the intake a name
 * that is not loopback (the agent sends loopback addresses direct, never through the proxy). Its access log says what
 * it let through and for which user.
 */
final class SquidProxy implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path dir;
    private final int port;

    private SquidProxy(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /**
     * Starts Squid in {@code parent}, accepting only {@code user}/{@code password} (letters and digits: Squid hands
     * them to the helper URL-escaped).
     *
     * @param hosts names Squid resolves, to addresses
     */
    static SquidProxy start(Path parent, String user, String password, Map<String, String> hosts)
            throws IOException, InterruptedException {
        Path squid = binary();
        // Started as root, Squid runs as the "proxy" user: it must read the helper and write its logs here.
        Path dir = Files.createDirectories(parent.resolve("squid"));
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path hostsFile = dir.resolve("hosts");
        Files.writeString(hostsFile, hosts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey() + "\n")
                .collect(Collectors.joining()));
        Path helper = dir.resolve("basic-auth.sh");
        Files.writeString(helper, "#!/bin/sh\n"
                + "# Squid's Basic-auth helper protocol: one \"user password\" line in, OK or ERR out.\n"
                + "while read -r user pass; do\n"
                + "  if [ \"$user\" = '" + user + "' ] && [ \"$pass\" = '" + password + "' ]; then echo OK; "
                + "else echo ERR; fi\n"
                + "done\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = AgentFixture.freePort();
        Path config = dir.resolve("squid.conf");
        Files.writeString(config, String.join("\n",
                "http_port 127.0.0.1:" + port,
                "pid_filename " + dir.resolve("squid.pid"),
                "cache_log " + dir.resolve("cache.log"),
                "access_log stdio:" + dir.resolve("access.log"),
                "coredump_dir " + dir,
                "pinger_enable off",
                "cache deny all",
                "hosts_file " + hostsFile,
                // Nothing here needs a DNS server: every name the tests use is in the hosts file.
                "dns_nameservers 127.0.0.1",
                "auth_param basic program " + helper,
                "auth_param basic children 1",
                "auth_param basic realm pilotfish-it",
                "acl authenticated proxy_auth REQUIRED",
                "http_access allow authenticated",
                "http_access deny all",
                "shutdown_lifetime 0 seconds",
                ""));
        for (Path file : List.of(hostsFile, config)) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
        // Its own service name: Squid names its shared-memory segments after it, so two instances (or one left by a
        // killed run) do not clash.
        Process process = new ProcessBuilder(squid.toString(), "-N", "-n", serviceName(port), "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("squid.out").toFile()).start();
        SquidProxy proxy = new SquidProxy(process, dir, port);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!proxy.accepting()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                proxy.close();
                throw new IllegalStateException("squid did not start on 127.0.0.1:" + port + ":\n" + proxy.logs());
            }
            Thread.sleep(100);
        }
        return proxy;
    }

    /** The squid binary ({@code /usr/sbin} is not on every user's PATH), or an error saying how to install it. */
    static Path binary() {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin";
        return Stream.of(path.split(":")).filter(s -> !s.isEmpty()).map(s -> Path.of(s, "squid"))
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("squid is not installed, and the proxy tests run the agent "
                        + "against a real one: install it (apt-get install squid; .ci/run does)"));
    }

    private static String serviceName(int port) {
        return "pilotfishit" + port; // letters and digits only, as Squid wants
    }

    private boolean accepting() {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    int port() {
        return port;
    }

    /** {@code host:port}, as the agent names the proxy. */
    String address() {
        return "127.0.0.1:" + port;
    }

    /** Squid's access log: one line per request, with its result (e.g. {@code TCP_TUNNEL/200}) and user. */
    List<String> accessLog() throws IOException {
        Path log = dir.resolve("access.log");
        return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    }

    /** What Squid said, for failure messages. */
    String logs() {
        StringBuilder text = new StringBuilder();
        for (String name : List.of("squid.out", "cache.log")) {
            try {
                text.append("--- ").append(name).append(":\n").append(Files.readString(dir.resolve(name)));
            } catch (IOException e) {
                text.append("--- ").append(name).append(": ").append(e.getMessage()).append('\n');
            }
        }
        return text.toString();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        // A Squid that did not shut down cleanly leaves its segments behind.
        try (Stream<Path> segments = Files.list(Path.of("/dev/shm"))) {
            segments.filter(p -> p.getFileName().toString().startsWith(serviceName(port) + "-")).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // not ours to worry about
                }
            });
        } catch (IOException | RuntimeException noShm) {
            // no /dev/shm here
        }
    }
}
