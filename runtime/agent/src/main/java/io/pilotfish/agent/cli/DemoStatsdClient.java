package io.pilotfish.agent.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The demo's stand-in for an application's DogStatsD client: an order counter and a checkout-latency distribution,
 * tagged with the sending container's id as the official clients tag them, so the demo shows origin tags.
 */
final class DemoStatsdClient {

    private final DatagramSocket socket;
    private final InetAddress agent = InetAddress.getLoopbackAddress();
    private final int port;
    private final String containerId;

    DemoStatsdClient(int port, String containerId) {
        this.port = port;
        this.containerId = containerId;
        try {
            this.socket = new DatagramSocket();
        } catch (SocketException e) {
            throw new UncheckedIOException("the demo's DogStatsD client cannot open a socket", e);
        }
    }

    /** One packet of a few lines; a lost datagram is what UDP allows, so failures are ignored. */
    void send() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String origin = "|c:ci-" + containerId;
        String lines = "shop.checkout.orders:1|c|#payment:card" + origin + "\n"
                + "shop.checkout.latency:" + (20 + random.nextInt(180)) + "|d|#payment:card" + origin;
        byte[] bytes = lines.getBytes(StandardCharsets.UTF_8);
        try {
            socket.send(new DatagramPacket(bytes, bytes.length, agent, port));
        } catch (IOException ignored) {
            // the next tick sends again
        }
    }
}
