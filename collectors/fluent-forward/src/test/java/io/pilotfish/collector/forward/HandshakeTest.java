package io.pilotfish.collector.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shared-key handshake as the specification defines its digests, computed here independently. */
class HandshakeTest {

    private static final byte[] NONCE = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SALT = "salty".getBytes(StandardCharsets.US_ASCII);
    private final Handshake handshake = new Handshake(new Secret("s3cr3t-key"), "router", NONCE);

    static String sha512Hex(byte[]... parts) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-512");
        for (byte[] p : parts) {
            sha.update(p);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static byte[] ping(String hostname, byte[] salt, String digest) {
        return new MsgpackWriter().array(6).str("PING").str(hostname).bin(salt).str(digest).str("").str("").bytes();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void heloCarriesTheNonceAndNoUserAuth() throws Exception {
        byte[] helo = handshake.helo();
        Object decoded = new MsgpackReader(helo, 0, helo.length).readValue(0);
        assertEquals(List.of("HELO", Map.of("nonce", new String(NONCE, StandardCharsets.UTF_8), "auth", "",
                "keepalive", true)), decoded);
    }

    @Test
    void theRightDigestGetsAPongWithTheServersDigest() throws Exception {
        String digest = sha512Hex(SALT, b("app-host"), NONCE, b("s3cr3t-key"));
        byte[] ping = ping("app-host", SALT, digest);
        Handshake.Outcome outcome = handshake.ping(ping, 0, ping.length);
        assertTrue(outcome.ok());
        Object pong = new MsgpackReader(outcome.pong(), 0, outcome.pong().length).readValue(0);
        assertEquals(List.of("PONG", true, "", "router", sha512Hex(SALT, b("router"), NONCE, b("s3cr3t-key"))),
                pong);
    }

    @Test
    void aWrongKeyFailsWithAReasonThatDoesNotShowTheKey() throws Exception {
        String digest = sha512Hex(SALT, b("app-host"), NONCE, b("wrong-key"));
        byte[] ping = ping("app-host", SALT, digest);
        Handshake.Outcome outcome = handshake.ping(ping, 0, ping.length);
        assertFalse(outcome.ok());
        assertEquals("shared_key mismatch", outcome.reason());
        String pong = new String(outcome.pong(), StandardCharsets.ISO_8859_1);
        assertFalse(pong.contains("s3cr3t-key"));
        assertEquals(List.of("PONG", false, "shared_key mismatch", "", ""),
                new MsgpackReader(outcome.pong(), 0, outcome.pong().length).readValue(0));
    }

    @Test
    void aClientWithTheServersOwnHostnameIsRefused() throws Exception {
        byte[] ping = ping("router", SALT, sha512Hex(SALT, b("router"), NONCE, b("s3cr3t-key")));
        assertFalse(handshake.ping(ping, 0, ping.length).ok());
    }

    @Test
    void aFrameThatIsNoPingFailsTheHandshake() {
        byte[] message = Frames.message("t", 1, Map.of("log", "x"), null);
        ForwardException e = assertThrows(ForwardException.class, () -> handshake.ping(message, 0, message.length));
        assertEquals(ForwardException.Reason.AUTH_FAILED, e.reason());
    }
}
