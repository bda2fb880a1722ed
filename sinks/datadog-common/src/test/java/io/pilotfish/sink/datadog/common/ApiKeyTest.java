package io.pilotfish.sink.datadog.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.signal.TagSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ApiKeyTest {

    private static final String KEY = java.util.UUID.randomUUID().toString().replace("-", ""); // a fresh 32-hex key per run

    private static ApiKey.Lookup lookup(Optional<Secret> key) {
        return ApiKey.lookup(new AgentSettings("1.0.0", "", TagSet.EMPTY, "datadoghq.com", Optional.empty(),
                () -> key));
    }

    private static ApiKey usable(String value) {
        return assertInstanceOf(ApiKey.Usable.class, lookup(Optional.of(new Secret(value)))).key();
    }

    @Test
    void aKeyIsSentAsItIsAndShownOnlyMasked() {
        ApiKey key = usable(KEY);

        assertEquals(KEY, key.headerValue());
        assertEquals("****" + KEY.substring(KEY.length() - 4), key.toString());
        assertEquals("DD-API-KEY", ApiKey.HEADER);
    }

    @Test
    void whitespaceAroundTheKeyIsIgnored() {
        assertEquals(KEY, usable(" " + KEY + "\n").headerValue());
        assertEquals(usable(KEY), usable(KEY + "\r\n"));
    }

    @Test
    void redactMasksEveryOccurrenceAndKeepsNull() {
        ApiKey key = usable(KEY);

        String masked = "****" + KEY.substring(KEY.length() - 4);
        assertEquals("bad " + masked + ", again " + masked, key.redact("bad " + KEY + ", again " + KEY));
        assertEquals("nothing secret", key.redact("nothing secret"));
        assertNull(key.redact(null));
    }

    @Test
    void noKeyOrABlankKeyKeepsTheDataQueued() {
        for (Optional<Secret> missing : java.util.List.of(Optional.<Secret>empty(), Optional.of(new Secret("  ")))) {
            ApiKey.Unusable unusable = assertInstanceOf(ApiKey.Unusable.class, lookup(missing));
            assertEquals("no_api_key", unusable.logKind());
            ExportResult.Retryable result = unusable.result();
            assertTrue(result.reason().startsWith("no API key configured: set DD_API_KEY"), result.reason());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0123456789\nabcdef", "0123456789 abcdef", "0123456789abcdéf", "01234\u0000567"})
    void aKeyThatCannotBeAHeaderValueIsRetryableAndNotShown(String value) {
        ApiKey.Unusable unusable = assertInstanceOf(ApiKey.Unusable.class, lookup(Optional.of(new Secret(value))));

        assertEquals("bad_api_key", unusable.logKind());
        assertTrue(unusable.reason().contains("check the value of DD_API_KEY"), unusable.reason());
        assertFalse(unusable.reason().contains("01234"), unusable.reason());
    }
}
