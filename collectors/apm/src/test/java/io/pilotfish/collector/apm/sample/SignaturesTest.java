package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.pilotfish.spi.trace.Span;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SignaturesTest {

    @ParameterizedTest
    @CsvSource({"'', 811c9dc5", "a, e40c292c", "foobar, bf9cf968"})
    void fnv1aTestVectors(String input, String hex) {
        assertEquals(Long.parseLong(hex, 16), Signatures.unsigned(Signatures.addUtf8(Signatures.FNV_OFFSET, input)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "服务", "emoji 🛰 end", "mixed ü服🛰"})
    void hashesTheUtf8BytesWithoutEncoding(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(Signatures.addBytes(Signatures.FNV_OFFSET, utf8), Signatures.addUtf8(Signatures.FNV_OFFSET, text));
    }

    @Test
    void aLoneSurrogateHashesAsTheReplacementCharacterGoWouldHaveMadeOfIt() {
        assertEquals(Signatures.addUtf8(Signatures.FNV_OFFSET, "\ufffd lone"),
                Signatures.addUtf8(Signatures.FNV_OFFSET, "\ud800 lone"));
    }

    @Test
    void theServicePairHashesNameCommaEnv() {
        assertEquals(Signatures.unsigned(Signatures.addUtf8(Signatures.FNV_OFFSET, "web,prod")),
                new ServiceSignature("web", "prod").hash());
        assertNotEquals(new ServiceSignature("web", "prod").hash(), new ServiceSignature("prod", "web").hash());
    }

    private static Span span(long id, String service, String name, String resource, int error,
                             Map<String, String> meta) {
        return Traces.span(1, id, id == 1 ? 0 : 1, service, name, resource, error, meta, Map.of());
    }

    @Test
    void aTraceSignatureIgnoresOrderRepeatsAndChildResources() {
        Span root = span(1, "web", "req", "GET /", 0, Map.of());
        Span db = span(2, "db", "query", "SELECT 1", 0, Map.of());
        Span db2 = span(3, "db", "query", "SELECT 2", 0, Map.of());
        long base = Signatures.trace(List.of(root, db), root, "prod");
        assertEquals(base, Signatures.trace(List.of(db, root), root, "prod"));
        assertEquals(base, Signatures.trace(List.of(root, db, db2), root, "prod"));
        assertNotEquals(base, Signatures.trace(List.of(root, db), root, "staging"));
        Span rootOtherResource = span(1, "web", "req", "GET /other", 0, Map.of());
        assertNotEquals(base, Signatures.trace(List.of(rootOtherResource, db), rootOtherResource, "prod"));
        Span failing = span(2, "db", "query", "SELECT 1", 1, Map.of());
        assertNotEquals(base, Signatures.trace(List.of(root, failing), root, "prod"));
        Span withStatus = span(2, "db", "query", "SELECT 1", 0, Map.of("http.status_code", "500"));
        assertNotEquals(base, Signatures.trace(List.of(root, withStatus), root, "prod"));
        Span withType = span(2, "db", "query", "SELECT 1", 0, Map.of("error.type", "Timeout"));
        assertNotEquals(base, Signatures.trace(List.of(root, withType), root, "prod"));
    }
}
