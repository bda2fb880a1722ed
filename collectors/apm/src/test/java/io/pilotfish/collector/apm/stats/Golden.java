package io.pilotfish.collector.apm.stats;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** Reads the golden files of this package: lines of {@code |}-separated fields, {@code #} comments. */
final class Golden {

    private Golden() {
    }

    /** The non-comment lines of a resource of this package. */
    static List<String> lines(String resource) {
        try (InputStream in = Golden.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fields of the line whose first fields are {@code prefix}, after them. */
    static String[] find(List<String> lines, String... prefix) {
        for (String line : lines) {
            String[] fields = line.split("\\|", -1);
            if (fields.length >= prefix.length && Arrays.equals(fields, 0, prefix.length, prefix, 0, prefix.length)) {
                return Arrays.copyOfRange(fields, prefix.length, fields.length);
            }
        }
        throw new IllegalArgumentException("no golden line " + String.join("|", prefix));
    }

    /** Bytes as the golden files write them: hex when short, {@code sha256:<hex>:<length>} when long. */
    static String describe(byte[] bytes) {
        String hex = HexFormat.of().formatHex(bytes);
        if (hex.length() <= 400) {
            return hex;
        }
        return "sha256:" + HexFormat.of().formatHex(sha256(bytes)) + ":" + bytes.length;
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
