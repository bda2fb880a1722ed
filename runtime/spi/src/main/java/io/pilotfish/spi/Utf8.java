package io.pilotfish.spi;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 as the Datadog Agent reads it, for the trace decoders and the log receivers alike: text that is not valid
 * UTF-8 is repaired, not refused, and every byte that does not start a valid sequence becomes one U+FFFD (Go's {@code utf8.DecodeRune} steps over one byte on an error, and
 * the agent's decoders, msgpack and JSON alike, write one replacement per step). So a truncated three-byte sequence
 * gives two replacements, where Java's decoder would give one.
 */
public final class Utf8 {

    public static final char REPLACEMENT = '\uFFFD';
    private static final byte[] REPLACEMENT_BYTES = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

    private Utf8() {
    }

    /** The text of {@code b[off, off + len)}, repaired as above. */
    public static String decode(byte[] b, int off, int len) {
        // The JDK's decoder scans for ASCII with vector instructions. Valid UTF-8 it reads exactly as Go does, and
        // anything it had to replace shows as U+FFFD, so only text with a U+FFFD (replaced, or sent as such) takes
        // the slow path below, which counts replacements as Go does.
        String fast = new String(b, off, len, StandardCharsets.UTF_8);
        if (fast.indexOf(REPLACEMENT) < 0) {
            return fast;
        }
        int end = off + len;
        int i = off;
        while (i < end && b[i] >= 0) {
            i++;
        }
        if (firstInvalid(b, i, end) < 0) {
            return fast; // valid, with a U+FFFD of its own
        }
        StringBuilder out = new StringBuilder(len);
        out.append(new String(b, off, i - off, StandardCharsets.ISO_8859_1));
        while (i < end) {
            int n = sequenceLength(b, i, end);
            if (n == 0) {
                out.append(REPLACEMENT);
                i++;
            } else {
                out.appendCodePoint(codePoint(b, i, n));
                i += n;
            }
        }
        return out.toString();
    }

    /** The index of the first byte of {@code b[from, to)} that does not start a valid sequence, or -1. */
    public static int firstInvalid(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            if (b[i] >= 0) {
                i++;
                continue;
            }
            int n = sequenceLength(b, i, to);
            if (n == 0) {
                return i;
            }
            i += n;
        }
        return -1;
    }

    /** How many bytes of {@code b[from, to)} are each replaced by U+FFFD. */
    public static int invalidBytes(byte[] b, int from, int to) {
        int count = 0;
        for (int i = firstInvalid(b, from, to); i >= 0 && i < to; ) {
            int n = sequenceLength(b, i, to);
            if (n == 0) {
                count++;
                i++;
            } else {
                i += n;
            }
        }
        return count;
    }

    /** {@code b[from, to)} with every invalid byte replaced by the three bytes of U+FFFD. */
    public static byte[] repair(byte[] b, int from, int to, int invalidBytes) {
        byte[] out = new byte[to - from + 2 * invalidBytes];
        int o = 0;
        for (int i = from; i < to; ) {
            int n = sequenceLength(b, i, to);
            if (n == 0) {
                System.arraycopy(REPLACEMENT_BYTES, 0, out, o, 3);
                o += 3;
                i++;
            } else {
                System.arraycopy(b, i, out, o, n);
                o += n;
                i += n;
            }
        }
        return out;
    }

    /**
     * {@code s} with every unpaired surrogate replaced by U+FFFD: a JSON escape such as <code>"&#92;ud800"</code>
     * decodes to one, and Go's JSON decoder replaces them so that all text stays valid UTF-8.
     */
    public static String replaceLoneSurrogates(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && !Character.isSurrogate(s.charAt(i))) {
            i++;
        }
        if (i == n) {
            return s;
        }
        char[] chars = s.toCharArray();
        for (; i < n; i++) {
            char c = chars[i];
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(chars[i + 1])) {
                i++;
            } else if (Character.isSurrogate(c)) {
                chars[i] = REPLACEMENT;
            }
        }
        return new String(chars);
    }

    /**
     * The length of the valid sequence that starts at {@code b[i]} (1 to 4), or 0: Go's rules, which are Unicode's
     * (no overlong forms, no surrogates, nothing above U+10FFFF, no sequence cut short by {@code end}).
     */
    public static int sequenceLength(byte[] b, int i, int end) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) {
            return 1;
        }
        if (b0 < 0xC2) {
            return 0; // a continuation byte, or the start of an overlong two-byte form
        }
        if (b0 < 0xE0) {
            return i + 1 < end && continuation(b[i + 1]) ? 2 : 0;
        }
        if (b0 < 0xF0) {
            if (i + 2 >= end) {
                return 0;
            }
            int b1 = b[i + 1] & 0xFF;
            int low = b0 == 0xE0 ? 0xA0 : 0x80; // E0 80..9F would be overlong
            int high = b0 == 0xED ? 0x9F : 0xBF; // ED A0..BF would be a surrogate
            return b1 >= low && b1 <= high && continuation(b[i + 2]) ? 3 : 0;
        }
        if (b0 < 0xF5) {
            if (i + 3 >= end) {
                return 0;
            }
            int b1 = b[i + 1] & 0xFF;
            int low = b0 == 0xF0 ? 0x90 : 0x80; // F0 80..8F would be overlong
            int high = b0 == 0xF4 ? 0x8F : 0xBF; // F4 90.. would be above U+10FFFF
            return b1 >= low && b1 <= high && continuation(b[i + 2]) && continuation(b[i + 3]) ? 4 : 0;
        }
        return 0;
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static int codePoint(byte[] b, int i, int n) {
        return switch (n) {
            case 1 -> b[i];
            case 2 -> (b[i] & 0x1F) << 6 | (b[i + 1] & 0x3F);
            case 3 -> (b[i] & 0x0F) << 12 | (b[i + 1] & 0x3F) << 6 | (b[i + 2] & 0x3F);
            default -> (b[i] & 0x07) << 18 | (b[i + 1] & 0x3F) << 12 | (b[i + 2] & 0x3F) << 6 | (b[i + 3] & 0x3F);
        };
    }
}
