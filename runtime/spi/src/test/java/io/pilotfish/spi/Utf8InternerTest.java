package io.pilotfish.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8InternerTest {

    private final Utf8Interner interner = new Utf8Interner();

    private String intern(byte[] b) {
        return interner.intern(b, 0, b.length);
    }

    private String intern(String s) {
        return intern(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRepeatIsTheSameInstanceAtEveryLength() throws Exception {
        for (int len = 1; len <= Utf8Interner.MAX_LENGTH; len++) {
            String s = "k".repeat(len - 1) + (char) ('a' + len % 26);
            String first = intern(s);
            assertEquals(s, first);
            assertSame(first, intern(s), "length " + len);
        }
    }

    /** Never the wrong string, whatever shares a slot: random strings of every length, many times the slots. */
    @Test
    void neverAnswersWithAnotherString() throws Exception {
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            int len = 1 + random.nextInt(Utf8Interner.MAX_LENGTH);
            byte[] b = new byte[len];
            for (int j = 0; j < len; j++) {
                b[j] = (byte) ('a' + random.nextInt(3)); // few letters: many near-collisions
            }
            String expected = new String(b, StandardCharsets.US_ASCII);
            assertEquals(expected, intern(b));
        }
    }

    @Test
    void stringsThatDifferOnlyBetweenTheHashedWordsStayApart() throws Exception {
        // Same length, first, middle and last 8 bytes: same slot; they must not be confused.
        String a = "AAAAAAAA" + "x" + "BBBBBBBBBBBBBBBB" + "y" + "CCCCCCCC";
        String b = "AAAAAAAA" + "z" + "BBBBBBBBBBBBBBBB" + "w" + "CCCCCCCC";
        assertEquals(Utf8Interner.hash(a.getBytes(), 0, a.length()), Utf8Interner.hash(b.getBytes(), 0,
                b.length()));
        assertEquals(a, intern(a));
        assertEquals(b, intern(b));
        assertEquals(a, intern(a));
    }

    @Test
    void aKeyOfSevenBytesIsNotConfusedWithItsPrefixes() throws Exception {
        assertEquals("abc", intern("abc"));
        assertEquals("abc\0", intern("abc\0"));
        assertEquals("\0abc", intern("\0abc"));
        assertEquals("abc", intern("abc"));
    }

    @Test
    void invalidUtf8IsRepairedOnceAndKept() throws Exception {
        byte[] bad = {'x', (byte) 0xFF};
        String first = intern(bad);
        assertEquals("x\uFFFD", first);
        assertSame(first, intern(bad));
        assertNotSame(first, intern("x\uFFFD"), "the repaired text has other bytes");
    }

    @Test
    void onlyNewStringsCountAsMisses() {
        byte[] name = "0123456789".getBytes(StandardCharsets.US_ASCII);
        interner.intern(name, 0, name.length);
        for (int i = 0; i < 100; i++) {
            interner.intern(name, 0, name.length);
        }
        assertEquals(1, interner.misses());
        byte[] other = "abcdefghij".getBytes(StandardCharsets.US_ASCII);
        interner.intern(other, 0, other.length);
        assertEquals(2, interner.misses());
    }

    @Test
    void aLongerTableKeepsArnsUpToItsLength() {
        Utf8Interner wide = new Utf8Interner(200);
        for (int len = 1; len <= 200; len++) {
            byte[] b = ("arn:aws:ecs:eu-west-1:123456789012:task/" + "x".repeat(200)).substring(0, len)
                    .getBytes(StandardCharsets.US_ASCII);
            String first = wide.intern(b, 0, len);
            assertEquals(new String(b, StandardCharsets.US_ASCII), first);
            assertSame(first, wide.intern(b.clone(), 0, len), "length " + len);
        }
        assertThrows(IllegalArgumentException.class, () -> new Utf8Interner(256));
    }
}
