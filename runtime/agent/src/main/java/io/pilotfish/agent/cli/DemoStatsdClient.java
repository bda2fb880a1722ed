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
 * The demo's stand-in for an application's DogStatsD client: an order counter, a checkout-latency distribution, a
 * payment-provider service check and one deployment event, each tagged with the sending container's id as the
 * official clients tag them, so the demo shows origin tags.
 */
final class DemoStatsdClient implements AutoCloseable {

    /** How often {@link #send} is meant to be called. */
    static final int SEND_EVERY_MILLIS = 200;
    /** The deployment event goes out once, on this call: the agent's listener is up by then. */
    static final int EVENT_ON_CALL = 10;
    /** One service check every 5 s, as an application's health loop would send it. */
    static final int CHECK_EVERY_CALLS = 25;

    static final String COUNTER = "shop.checkout.orders";
    static final String DISTRIBUTION = "shop.checkout.latency";
    static final String SERVICE_CHECK = "shop.payments.can_connect";
    static final String EVENT_TITLE = "shop-app 1.4.2 deployed";

    /** One line for the demo's header: what this client sends. */
    static final String DESCRIPTION = "the counter " + COUNTER + " and the distribution " + DISTRIBUTION
            + " 5 times a second, the service check " + SERVICE_CHECK + " every 5 s and the event \"" + EVENT_TITLE
            + "\" once, all with its container id for origin detection";

    private final DatagramSocket socket;
    private final InetAddress agent = InetAddress.getLoopbackAddress();
    private final int port;
    private final String containerId;
    /** Only the scheduler's single thread calls {@link #send}. */
    private int calls;

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
        calls++;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String origin = "|c:ci-" + containerId;
        StringBuilder lines = new StringBuilder()
                .append(COUNTER).append(":1|c|#payment:card").append(origin).append('\n')
                .append(DISTRIBUTION).append(':').append(20 + random.nextInt(180)).append("|d|#payment:card")
                .append(origin);
        if (calls % CHECK_EVERY_CALLS == 0) {
            lines.append('\n').append("_sc|").append(SERVICE_CHECK).append("|0|#provider:demo-pay").append(origin);
        }
        if (calls == EVENT_ON_CALL) {
            String text = "Rolling deployment finished; the checkout takes orders.";
            lines.append('\n').append("_e{").append(utf8Length(EVENT_TITLE)).append(',').append(utf8Length(text))
                    .append("}:").append(EVENT_TITLE).append('|').append(text)
                    .append("|t:success|#version:1.4.2").append(origin);
        }
        byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
        try {
            socket.send(new DatagramPacket(bytes, bytes.length, agent, port));
        } catch (IOException ignored) {
            // the next tick sends again
        }
    }

    @Override
    public void close() {
        socket.close();
    }

    private static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}
