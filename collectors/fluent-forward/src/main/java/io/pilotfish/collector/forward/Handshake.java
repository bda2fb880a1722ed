package io.pilotfish.collector.forward;

import io.pilotfish.collector.forward.ForwardException.Reason;
import io.pilotfish.spi.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The forward protocol's handshake, server side, when a shared key is configured: the server sends
 * {@code ["HELO", {"nonce": n, "auth": "", "keepalive": true}]}; the client answers
 * {@code ["PING", hostname, salt, sha512_hex(salt + hostname + nonce + shared_key), username, password_digest]}; the
 * server checks the digest and answers {@code ["PONG", ok, reason, server_hostname,
 * sha512_hex(salt + server_hostname + nonce + shared_key)]}, and closes the connection when it failed. User
 * authentication ({@code auth} salt, usernames) is not offered: {@code auth} is empty, so clients send empty ones.
 * One per connection.
 */
final class Handshake {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NONCE_BYTES = 16;

    private final Secret sharedKey;
    private final String serverHostname;
    private final byte[] nonce;

    /** The answer to a PING: PONG's bytes, and whether the client may go on. */
    record Outcome(boolean ok, String reason, byte[] pong) {
    }

    Handshake(Secret sharedKey, String serverHostname) {
        this(sharedKey, serverHostname, newNonce());
    }

    Handshake(Secret sharedKey, String serverHostname, byte[] nonce) {
        this.sharedKey = sharedKey;
        this.serverHostname = serverHostname;
        this.nonce = nonce.clone();
    }

    private static byte[] newNonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    byte[] helo() {
        return new MsgpackOut().array(2).str("HELO").map(3).str("nonce").bin(nonce).str("auth").str("")
                .str("keepalive").bool(true).bytes();
    }

    /**
     * Checks a whole PING frame. A frame that is no PING at all is an error; a PING with a wrong digest is a failed
     * outcome, whose PONG tells the client why before the connection is closed.
     */
    Outcome ping(byte[] buf, int offset, int length) throws ForwardException {
        MsgpackReader in = new MsgpackReader(buf, offset, length);
        int n = in.readArrayHeader("a PING");
        if (n < 4 || !"PING".equals(in.readString("the PING's type"))) {
            throw new ForwardException(Reason.AUTH_FAILED, "the client sent no PING: a shared key is configured, so "
                    + "the handshake is required (set shared_key on the client)");
        }
        String clientHostname = in.readString("the PING's hostname");
        byte[] salt = bytes(in, "the PING's salt");
        String digest = in.readString("the PING's digest");
        if (clientHostname.equals(serverHostname)) {
            return fail("same hostname between input and output: invalid configuration");
        }
        String expected = digest(salt, clientHostname);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                digest.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
            return fail("shared_key mismatch");
        }
        byte[] pong = new MsgpackOut().array(5).str("PONG").bool(true).str("").str(serverHostname)
                .str(digest(salt, serverHostname)).bytes();
        return new Outcome(true, "", pong);
    }

    private Outcome fail(String reason) {
        byte[] pong = new MsgpackOut().array(5).str("PONG").bool(false).str(reason).str("").str("").bytes();
        return new Outcome(false, reason, pong);
    }

    /** sha512_hex(salt + hostname + nonce + shared_key), as the specification defines the digest. */
    String digest(byte[] salt, String hostname) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-512");
            sha.update(salt);
            sha.update(hostname.getBytes(StandardCharsets.UTF_8));
            sha.update(nonce);
            sha.update(sharedKey.reveal().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is part of every JVM", e);
        }
    }

    private static byte[] bytes(MsgpackReader in, String what) throws ForwardException {
        int len = in.readBytesHeader(what);
        byte[] out = java.util.Arrays.copyOfRange(in.buffer(), in.position(), in.position() + len);
        in.skipBytes(len);
        return out;
    }
}
