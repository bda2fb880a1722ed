package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.trace.Span;
import java.util.Arrays;
import java.util.List;

/**
 * The Agent's trace and span signatures: 32-bit FNV-1a over the UTF-8 bytes of the fields, computed here from the
 * strings' chars without encoding them, so the values equal the Agent's and nothing is allocated per string.
 * Signatures are unsigned 32-bit values held in a {@code long}.
 */
final class Signatures {

    static final int FNV_OFFSET = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private Signatures() {
    }

    static int addByte(int hash, int b) {
        return (hash ^ (b & 0xff)) * FNV_PRIME;
    }

    static int addBytes(int hash, byte[] bytes) {
        for (byte b : bytes) {
            hash = addByte(hash, b);
        }
        return hash;
    }

    /** Adds the UTF-8 encoding of {@code s}; a lone surrogate counts as U+FFFD, as Java's encoder writes it. */
    static int addUtf8(int hash, String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                hash = addByte(hash, c);
            } else if (c < 0x800) {
                hash = addByte(hash, 0xc0 | (c >> 6));
                hash = addByte(hash, 0x80 | (c & 0x3f));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                hash = addByte(hash, 0xf0 | (cp >> 18));
                hash = addByte(hash, 0x80 | ((cp >> 12) & 0x3f));
                hash = addByte(hash, 0x80 | ((cp >> 6) & 0x3f));
                hash = addByte(hash, 0x80 | (cp & 0x3f));
            } else {
                int cp = Character.isSurrogate(c) ? 0xfffd : c;
                hash = addByte(hash, 0xe0 | (cp >> 12));
                hash = addByte(hash, 0x80 | ((cp >> 6) & 0x3f));
                hash = addByte(hash, 0x80 | (cp & 0x3f));
            }
        }
        return hash;
    }

    static long unsigned(int hash) {
        return hash & 0xffffffffL;
    }

    /** The Agent's {@code ServiceSignature.Hash}: {@code first + "," + second}. */
    static long pair(String first, String second) {
        int h = addUtf8(FNV_OFFSET, first);
        h = addByte(h, ',');
        return unsigned(addUtf8(h, second));
    }

    /**
     * One span's hash: env, service, name, the error flag's low byte, the resource when asked, then the
     * {@code http.status_code} and {@code error.type} tags when present.
     */
    static int spanHash(Span span, String env, boolean withResource) {
        int h = addUtf8(FNV_OFFSET, env);
        h = addUtf8(h, span.service());
        h = addUtf8(h, span.name());
        h = addByte(h, span.error());
        if (withResource) {
            h = addUtf8(h, span.resource());
        }
        String status = span.meta().get(SamplingKeys.HTTP_STATUS_CODE);
        if (status != null) {
            h = addUtf8(h, status);
        }
        String errorType = span.meta().get(SamplingKeys.ERROR_TYPE);
        if (errorType != null) {
            h = addUtf8(h, errorType);
        }
        return h;
    }

    /**
     * A trace's signature for the score samplers: the root's hash with its resource, XORed with each distinct hash of
     * the spans without their resource, so traces of the same shape share a signature whatever their order or size.
     */
    static long trace(List<Span> spans, Span root, String env) {
        int[] hashes = new int[spans.size()];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = spanHash(spans.get(i), env, false);
        }
        // sorted only to find duplicates; XOR does not care about order
        Arrays.sort(hashes);
        int signature = spanHash(root, env, true) ^ hashes[0];
        for (int i = 1; i < hashes.length; i++) {
            if (hashes[i] != hashes[i - 1]) {
                signature ^= hashes[i];
            }
        }
        return unsigned(signature);
    }
}
