package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListenerPortsCheckTest {

    private static CheckResult run(ListenerPortsCheck check) {
        try (DoctorContext context = Fixtures.context(Map.of())) {
            return check.run(context);
        }
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return socket.getLocalPort();
        }
    }

    @Test
    void freePortsPass() throws Exception {
        int udp = freeUdpPort();
        int tcp = Fixtures.closedPort();
        CheckResult result = run(new ListenerPortsCheck("127.0.0.1", List.of(
                new ListenerPortsCheck.Listener("DogStatsD", udp, true, "DD_DOGSTATSD_PORT"),
                new ListenerPortsCheck.Listener("traces", tcp, false, "DD_APM_RECEIVER_PORT")), List.of()));
        assertEquals(CheckStatus.PASS, result.status(), result.detail());
        assertEquals(udp + "/udp (DogStatsD), " + tcp + "/tcp (traces) free on 127.0.0.1", result.detail());
    }

    @Test
    void takenUdpPortWarnsNamingPortAndLikelyOwner() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            CheckResult result = run(new ListenerPortsCheck("127.0.0.1", List.of(
                    new ListenerPortsCheck.Listener("DogStatsD", taken.getLocalPort(), true, "DD_DOGSTATSD_PORT")),
                    List.of()));
            assertEquals(CheckStatus.WARN, result.status(), result.detail());
            assertTrue(result.detail().startsWith(taken.getLocalPort() + "/udp (DogStatsD) on 127.0.0.1 already in "
                    + "use"), result.detail());
            assertTrue(result.detail().contains("another agent"));
            assertTrue(result.fix().orElseThrow().contains("DD_DOGSTATSD_PORT"));
        }
    }

    @Test
    void takenTcpPortWarns() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            CheckResult result = run(new ListenerPortsCheck("127.0.0.1", List.of(
                    new ListenerPortsCheck.Listener("traces", taken.getLocalPort(), false, "DD_APM_RECEIVER_PORT")),
                    List.of()));
            assertEquals(CheckStatus.WARN, result.status(), result.detail());
            assertTrue(result.detail().contains(taken.getLocalPort() + "/tcp (traces)"));
        }
    }

    @Test
    void environmentConfiguresPortsAndRejectsJunk() throws Exception {
        int udp = freeUdpPort();
        CheckResult off = run(ListenerPortsCheck.fromEnvironment(Map.of("DD_DOGSTATSD_PORT", String.valueOf(udp),
                "DD_APM_RECEIVER_PORT", "0")));
        assertEquals(CheckStatus.PASS, off.status(), off.detail());
        assertEquals(udp + "/udp (DogStatsD) free on 127.0.0.1", off.detail());

        CheckResult junk = run(ListenerPortsCheck.fromEnvironment(Map.of("DD_DOGSTATSD_PORT", "eighty")));
        assertEquals(CheckStatus.FAIL, junk.status());
        assertTrue(junk.detail().contains("DD_DOGSTATSD_PORT=\"eighty\" is not a port"), junk.detail());

        CheckResult none = run(ListenerPortsCheck.fromEnvironment(Map.of("DD_DOGSTATSD_PORT", "0",
                "DD_APM_RECEIVER_PORT", "0")));
        assertEquals(CheckStatus.SKIP, none.status());
    }

    /** A running agent's status endpoint answering with the given document. */
    private static com.sun.net.httpserver.HttpServer statusEndpoint(String statusJson) throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/status", exchange -> {
            byte[] body = statusJson.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static ListenerPortsCheck dogstatsdAt(int udpPort, int statusPort) {
        return new ListenerPortsCheck("127.0.0.1", List.of(new ListenerPortsCheck.Listener("DogStatsD", udpPort, true,
                "pilotfish.collectors.dogstatsd.port (DD_DOGSTATSD_PORT)", "dogstatsd")), List.of(), "127.0.0.1",
                statusPort);
    }

    @Test
    void aPortTheRunningAgentHoldsIsNotCalledInUse() throws Exception {
        try (DatagramSocket held = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            int port = held.getLocalPort();
            com.sun.net.httpserver.HttpServer agent = statusEndpoint("""
                    {"collectors":[{"name":"dogstatsd","type":"dogstatsd","state":"running","detail":null,
                      "listening":[{"transport":"udp","address":"127.0.0.1:%d"}]}]}""".formatted(port));
            try {
                CheckResult result = run(dogstatsdAt(port, agent.getAddress().getPort()));
                assertEquals(CheckStatus.PASS, result.status(), result.detail());
                assertEquals(port + "/udp (DogStatsD) held by the running Pilotfish agent on 127.0.0.1",
                        result.detail());
            } finally {
                agent.stop(0);
            }
        }
    }

    @Test
    void aPortTheRunningAgentShouldHoldButCouldNotBindFailsWithItsReason() throws Exception {
        try (DatagramSocket other = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            int port = other.getLocalPort();
            com.sun.net.httpserver.HttpServer agent = statusEndpoint("""
                    {"collectors":[{"name":"dogstatsd","type":"dogstatsd","state":"failed",
                      "detail":"failed to start: address already in use","listening":[]}]}""");
            try {
                CheckResult result = run(dogstatsdAt(port, agent.getAddress().getPort()));
                assertEquals(CheckStatus.FAIL, result.status(), result.detail());
                assertTrue(result.detail().contains(port + "/udp (DogStatsD) on 127.0.0.1 is not held by the running "
                        + "agent (collector dogstatsd is failed: failed to start: address already in use); another "
                        + "process holds the port"), result.detail());
                assertTrue(result.fix().orElseThrow().contains("Stop the other process"), result.fix().toString());
            } finally {
                agent.stop(0);
            }
        }
    }

    @Test
    void aFreePortTheRunningAgentShouldHoldIsNotCalledFine() throws Exception {
        int port = freeUdpPort();
        com.sun.net.httpserver.HttpServer agent = statusEndpoint("""
                {"collectors":[{"name":"dogstatsd","type":"dogstatsd","state":"stopped","detail":"stopped by a reload",
                  "listening":[]}]}""");
        try {
            CheckResult result = run(dogstatsdAt(port, agent.getAddress().getPort()));
            assertEquals(CheckStatus.FAIL, result.status(), result.detail());
            assertTrue(result.detail().endsWith("(collector dogstatsd is stopped: stopped by a reload); the port is "
                    + "free"), result.detail());
        } finally {
            agent.stop(0);
        }
    }

    @Test
    void withNoAgentAnsweringATakenPortIsAnotherProcess() throws Exception {
        try (DatagramSocket other = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            CheckResult result = run(dogstatsdAt(other.getLocalPort(), Fixtures.closedPort()));
            assertEquals(CheckStatus.WARN, result.status(), result.detail());
            assertTrue(result.detail().contains("already in use by another process (no Pilotfish agent answers"),
                    result.detail());
        }
    }
}
