package io.pilotfish.collector.apm.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MsgpackReaderTest {

    private static MsgpackReader reader(Consumer<MsgpackWriter> write) {
        MsgpackWriter w = new MsgpackWriter();
        write.accept(w);
        byte[] b = w.bytes();
        return new MsgpackReader(b, 0, b.length);
    }

    private static MsgpackReader reader(int... bytes) {
        return reader(w -> w.raw(bytes));
    }

    private static Reason reason(ThrowingRead read) {
        return assertThrows(TraceDecodeException.class, read::run).reason();
    }

    interface ThrowingRead {
        void run() throws TraceDecodeException;
    }

    @Test
    void skipsEveryTypeOfTheSpecAndLandsOnTheNextValue() throws Exception {
        Map<String, Consumer<MsgpackWriter>> forms = new java.util.LinkedHashMap<>();
        forms.put("positive fixint", w -> w.raw(0x05));
        forms.put("negative fixint", w -> w.raw(0xF0));
        forms.put("nil", MsgpackWriter::nil);
        forms.put("false", w -> w.bool(false));
        forms.put("true", w -> w.bool(true));
        forms.put("uint8", w -> w.uint8(200));
        forms.put("uint16", w -> w.uint16(60_000));
        forms.put("uint32", w -> w.uint32(4_000_000_000L));
        forms.put("uint64", w -> w.uint64(-1));
        forms.put("int8", w -> w.int8(-100));
        forms.put("int16", w -> w.int16(-30_000));
        forms.put("int32", w -> w.int32(-2_000_000_000));
        forms.put("int64", w -> w.int64(Long.MIN_VALUE));
        forms.put("float32", w -> w.float32(1.5f));
        forms.put("float64", w -> w.float64(2.5));
        forms.put("fixstr", w -> w.str("abc"));
        forms.put("str8", w -> w.str8("x".repeat(40)));
        forms.put("str16", w -> w.str16("y".repeat(300)));
        forms.put("str32", w -> w.str32("z".repeat(70_000)));
        forms.put("bin8", w -> w.bin(new byte[3]));
        forms.put("bin16", w -> w.bin(new byte[300]));
        forms.put("bin32", w -> w.bin(new byte[70_000]));
        forms.put("fixext1", w -> w.ext(1, new byte[1]));
        forms.put("fixext2", w -> w.ext(1, new byte[2]));
        forms.put("fixext4", w -> w.ext(1, new byte[4]));
        forms.put("fixext8", w -> w.ext(-1, new byte[8]));
        forms.put("fixext16", w -> w.ext(1, new byte[16]));
        forms.put("ext8", w -> w.ext(1, new byte[3]));
        forms.put("ext16", w -> w.ext(1, new byte[300]));
        forms.put("ext32", w -> w.ext(1, new byte[70_000]));
        forms.put("fixarray", w -> w.value(List.of(1, "a", List.of(2))));
        forms.put("array16", w -> w.array16(2).value(1).value(2));
        forms.put("array32", w -> w.array32(2).value(1).value(2));
        forms.put("fixmap", w -> w.value(Map.of("k", Map.of("n", List.of(1.5)))));
        forms.put("map16", w -> w.map16(1).value("k").value("v"));
        forms.put("map32", w -> w.map32(1).value("k").nil());
        for (Map.Entry<String, Consumer<MsgpackWriter>> form : forms.entrySet()) {
            MsgpackReader r = reader(w -> {
                form.getValue().accept(w);
                w.str("after");
            });
            r.skipValue();
            assertEquals("after", r.readString(), form.getKey());
            assertEquals(0, r.remaining(), form.getKey());
        }
    }

    @Test
    void nextTypeNamesEachFamily() throws Exception {
        assertEquals(MsgpackReader.Type.INTEGER, reader(0x01).nextType());
        assertEquals(MsgpackReader.Type.INTEGER, reader(0xFF).nextType());
        assertEquals(MsgpackReader.Type.INTEGER, reader(0xCF).nextType());
        assertEquals(MsgpackReader.Type.NIL, reader(0xC0).nextType());
        assertEquals(MsgpackReader.Type.BOOLEAN, reader(0xC3).nextType());
        assertEquals(MsgpackReader.Type.FLOAT, reader(0xCA).nextType());
        assertEquals(MsgpackReader.Type.STRING, reader(0xA1).nextType());
        assertEquals(MsgpackReader.Type.STRING, reader(0xDB).nextType());
        assertEquals(MsgpackReader.Type.BINARY, reader(0xC5).nextType());
        assertEquals(MsgpackReader.Type.ARRAY, reader(0x9F).nextType());
        assertEquals(MsgpackReader.Type.MAP, reader(0xDF).nextType());
        assertEquals(MsgpackReader.Type.EXTENSION, reader(0xD8).nextType());
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(0xC1).nextType()));
    }

    @Test
    void theReservedByteIsAnErrorWhenSkipped() {
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(0x91, 0xC1).skipValue()));
    }

    @Test
    void nilReadsAsTheZeroValueOfEveryScalar() throws Exception {
        assertEquals("", reader(0xC0).readString());
        assertEquals(0, reader(0xC0).readBinary().length);
        assertEquals(0, reader(0xC0).readInt64());
        assertEquals(0, reader(0xC0).readUint64());
        assertEquals(0, reader(0xC0).readInt32());
        assertEquals(0, reader(0xC0).readUint32());
        assertEquals(0.0, reader(0xC0).readFloat64());
        assertFalse(reader(0xC0).readBoolean());
        assertEquals(0, reader(0xC0).readArrayHeaderOrNil());
        assertEquals(0, reader(0xC0).readMapHeaderOrNil());
    }

    @Test
    void nilIsNotAnArrayMapOrKey() {
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(0xC0).readArrayHeader()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(0xC0).readMapHeader()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(0xC0).readKey(new byte[][] {{'a'}})));
    }

    @Test
    void stringsMayBeStrOrBinInAnyLengthForm() throws Exception {
        assertEquals("web", reader(w -> w.str("web")).readString());
        assertEquals("web", reader(w -> w.str8("web")).readString());
        assertEquals("web", reader(w -> w.str16("web")).readString());
        assertEquals("web", reader(w -> w.str32("web")).readString());
        assertEquals("web", reader(w -> w.bin("web")).readString());
        assertEquals("é→😀", reader(w -> w.str("é→😀")).readString());
        assertArrayEquals(new byte[] {1, 2}, reader(w -> w.bin(new byte[] {1, 2})).readBinary());
        assertArrayEquals("raw".getBytes(), reader(w -> w.str("raw")).readBinary());
    }

    @Test
    void mapKeysMatchAsStrOrBinAndUnknownKeysGiveMinusOne() throws Exception {
        byte[][] keys = SpanMapReader.keys("service", "name");
        assertEquals(1, reader(w -> w.str("name")).readKey(keys));
        assertEquals(0, reader(w -> w.bin("service")).readKey(keys));
        MsgpackReader r = reader(w -> w.str("nam").str("x"));
        assertEquals(-1, r.readKey(keys));
        assertEquals("x", r.readString(), "the unknown key is consumed");
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.integer(1)).readKey(keys)));
    }

    /** Go's utf8.DecodeRune steps one byte on an error, and the agent writes one U+FFFD per step. */
    @ParameterizedTest
    @CsvSource({
            "61e282ac62, a€b",               // valid three bytes
            "61ff62, a\uFFFDb",              // a byte that never starts a sequence
            "80, \uFFFD",                    // a lone continuation byte
            "e282, \uFFFD\uFFFD",            // a sequence cut short: two bytes, two replacements
            "e28241, \uFFFD\uFFFDA",         // cut short by an ASCII byte
            "c080, \uFFFD\uFFFD",            // an overlong NUL
            "eda080, \uFFFD\uFFFD\uFFFD",    // an encoded surrogate
            "f4908080, \uFFFD\uFFFD\uFFFD\uFFFD", // above U+10FFFF
            "f09f9880, \uD83D\uDE00",        // a valid four-byte sequence
            "f09f98, \uFFFD\uFFFD\uFFFD",    // the same cut short
    })
    void invalidUtf8IsRepairedByteByByteAsTheAgentDoes(String hex, String expected) throws Exception {
        byte[] bytes = java.util.HexFormat.of().parseHex(hex);
        assertEquals(expected, reader(w -> w.strBytes(bytes)).readString());
        assertEquals(expected, reader(w -> w.bin(bytes)).readString());
    }

    @Test
    void unsignedFieldsCastSignedValuesAsTheAgentDoes() throws Exception {
        assertEquals(-1L, reader(w -> w.int8(-1)).readUint64(), "int -1 is uint64 0xFFFF_FFFF_FFFF_FFFF");
        assertEquals(-1L, reader(w -> w.uint64(-1)).readUint64());
        assertEquals(Long.MIN_VALUE, reader(w -> w.int64(Long.MIN_VALUE)).readUint64());
        assertEquals(7, reader(w -> w.uint64(7)).readUint64());
        assertEquals(200, reader(w -> w.int16(200)).readUint64());
    }

    @Test
    void signedFieldsTakeUnsignedEncodingsInRange() throws Exception {
        assertEquals(Long.MAX_VALUE, reader(w -> w.uint64(Long.MAX_VALUE)).readInt64());
        assertEquals(-5, reader(w -> w.int64(-5)).readInt64());
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.uint64(-1)).readInt64()),
                "a uint64 over MaxInt64 overflows int64");
        assertEquals(Integer.MAX_VALUE, reader(w -> w.uint32(Integer.MAX_VALUE)).readInt32());
        assertEquals(Integer.MIN_VALUE, reader(w -> w.int64(Integer.MIN_VALUE)).readInt32());
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.uint32(1L << 31)).readInt32()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.int64(1L << 40)).readInt32()));
        assertEquals(0xFFFF_FFFF, reader(w -> w.uint32(0xFFFF_FFFFL)).readUint32());
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.uint64(1L << 32)).readUint32()));
    }

    @Test
    void floatsTakeIntegersAndBothFloatWidths() throws Exception {
        assertEquals(3.0, reader(w -> w.integer(3)).readFloat64());
        assertEquals(-3.0, reader(w -> w.int8(-3)).readFloat64());
        assertEquals(1.5, reader(w -> w.float32(1.5f)).readFloat64());
        assertEquals(0.1, reader(w -> w.float64(0.1)).readFloat64());
        assertEquals(1.8446744073709552E19, reader(w -> w.uint64(-1)).readFloat64(), "uint64 max, unsigned");
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.str("1.5")).readFloat64()));
    }

    @Test
    void wrongTypesAreDecodingErrors() {
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.integer(1)).readString()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.float64(1)).readInt64()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.str("1")).readUint64()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.bool(true)).readInt32()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.integer(1)).readBoolean()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.map(0)).readArrayHeader()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.array(0)).readMapHeader()));
        assertEquals(Reason.DECODING_ERROR, reason(() -> reader(w -> w.array(0)).readBinary()));
    }

    @Test
    void aDeclaredLengthBeyondTheBodyIsAnEofBeforeAnythingIsAllocated() {
        // Each claims a million elements or bytes in a body of a few bytes.
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(w -> w.array32(1_000_000).nil()).readArrayHeader()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(w -> w.map32(1_000_000).nil()).readMapHeader()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(w -> w.raw(0xDB, 0, 0x0F, 0x42, 0x40)).readString()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(w -> w.raw(0xC6, 0, 0x0F, 0x42, 0x40)).readBinary()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(w -> w.raw(0xC9, 0, 0x0F, 0x42, 0x40, 1)).skipValue()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(w -> w.array16(60_000)).skipValue()));
    }

    @Test
    void aMapOfNEntriesNeedsTwoNBytes() throws Exception {
        // Three entries need six bytes; five remain.
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(0x83, 1, 2, 3, 4, 5).readMapHeader()));
        assertEquals(3, reader(0x83, 1, 2, 3, 4, 5, 6).readMapHeader());
        // An array of n elements needs n bytes: exactly enough is accepted.
        assertEquals(3, reader(0x93, 1, 2, 3).readArrayHeader());
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(0x93, 1, 2).readArrayHeader()));
    }

    @Test
    void aDeclaredLengthOverTwentyFiveMillionIsTooLong() {
        long tooLong = MsgpackReader.MAX_DECLARED_LENGTH + 1;
        assertEquals(Reason.TOO_LONG, reason(() -> reader(w -> w.array32(tooLong)).readArrayHeader()));
        assertEquals(Reason.TOO_LONG, reason(() -> reader(w -> w.map32(tooLong)).readMapHeader()));
        assertEquals(Reason.TOO_LONG, reason(() -> reader(w -> w.array32(0xFFFF_FFFFL)).skipValue()));
        assertEquals(Reason.TOO_LONG, reason(() -> reader(0xDB, 0xFF, 0xFF, 0xFF, 0xFF).readString()));
        assertEquals(Reason.TOO_LONG, reason(() -> reader(0xC6, 0xFF, 0xFF, 0xFF, 0xFF).readBinary()));
    }

    @Test
    void truncatedValuesAreEofs() {
        for (int lead : new int[] {0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3}) {
            assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(lead).readInt64()), "lead " + lead);
        }
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(0xCB, 0, 0).readFloat64()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(0xA5, 'a', 'b').readString()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(0xDA, 0).readString()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader().readString()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(0xD8, 1, 2).skipValue()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> reader(0x92, 0x01).skipValue()));
    }

    @Test
    void aNestingBombIsSkippedWithoutRecursion() throws Exception {
        int depth = 2_000_000;
        byte[] bomb = new byte[depth + 2];
        Arrays.fill(bomb, 0, depth, (byte) 0x91); // [[[[...
        bomb[depth] = (byte) 0xC0;
        bomb[depth + 1] = (byte) 0xA0; // then ""
        MsgpackReader r = new MsgpackReader(bomb, 0, bomb.length);
        r.skipValue();
        assertEquals("", r.readString());
        assertEquals(0, r.remaining());

        byte[] cut = Arrays.copyOf(bomb, depth); // never closed
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> new MsgpackReader(cut, 0, cut.length).skipValue()));
        byte[] maps = new byte[depth];
        Arrays.fill(maps, (byte) 0x81); // {k: {k: ... as keys and values alike
        assertEquals(Reason.UNEXPECTED_EOF, reason(() -> new MsgpackReader(maps, 0, maps.length).skipValue()));
    }

    @Test
    void readsOnlyItsRangeOfTheArray() throws Exception {
        byte[] b = {(byte) 0xA1, 'x', (byte) 0xA1, 'y', (byte) 0xA1, 'z'};
        MsgpackReader r = new MsgpackReader(b, 2, 2);
        assertEquals("y", r.readString());
        assertEquals(2, r.position());
        assertEquals(Reason.UNEXPECTED_EOF, reason(r::readString));
        assertThrows(IndexOutOfBoundsException.class, () -> new MsgpackReader(b, 4, 3));
    }

    @Test
    void tryReadNilConsumesOnlyNil() throws Exception {
        MsgpackReader r = reader(0xC0, 0x01);
        assertTrue(r.tryReadNil());
        assertFalse(r.tryReadNil());
        assertEquals(1, r.readInt64());
    }

    @Test
    void errorMessagesSayWhereAndEscapeTheInput() {
        TraceDecodeException typed = assertThrows(TraceDecodeException.class,
                () -> reader(w -> w.str("a").integer(1)).readArrayHeader());
        assertEquals("expected an array at byte 0, found a string", typed.getMessage());
        TraceDecodeException line = new TraceDecodeException(Reason.DECODING_ERROR, "bad\nline");
        assertEquals("bad\\nline", line.getMessage());
        assertEquals(0, line.getStackTrace().length, "no stack trace for input errors");
    }
}
