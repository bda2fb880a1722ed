package io.pilotfish.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretTest {

    /** The shape of a Datadog API key: 32 lower-case hex digits. */
    private static final String KEY = "Fake-Api-Key-For-Tests-Only-0042"; // obviously not a key; mixed case for the case-folded forms
    private static final Secret SECRET = new Secret(KEY);

    /** Every form an HTTP peer may echo the key in, by name. */
    static Map<String, String> echoedForms(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        Map<String, String> forms = new LinkedHashMap<>();
        forms.put("exact", key);
        forms.put("upper case", key.toUpperCase(Locale.ROOT));
        forms.put("lower case", key.toLowerCase(Locale.ROOT));
        forms.put("base64", Base64.getEncoder().encodeToString(bytes));
        forms.put("base64 without padding", Base64.getEncoder().withoutPadding().encodeToString(bytes));
        forms.put("base64 url-safe", Base64.getUrlEncoder().encodeToString(bytes));
        forms.put("base64 url-safe without padding", Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        forms.put("base64 of the upper case", Base64.getEncoder().encodeToString(key.toUpperCase(Locale.ROOT)
                .getBytes(StandardCharsets.UTF_8)));
        forms.put("URL-encoded", URLEncoder.encode(key, StandardCharsets.UTF_8));
        StringBuilder everyByte = new StringBuilder();
        for (byte b : bytes) {
            everyByte.append('%').append(String.format("%02x", b & 0xff));
        }
        forms.put("every byte percent-encoded", everyByte.toString());
        for (String user : List.of("", "a:", "ab:")) {
            // A Basic credential: the key sits inside a longer encoding, at each of the three byte alignments.
            forms.put("inside base64 of \"" + user + "key\"", Base64.getEncoder().encodeToString((user + key)
                    .getBytes(StandardCharsets.UTF_8)));
        }
        return forms;
    }

    @Test
    void everyEchoedFormOfTheKeyIsMasked() {
        List<String> leaked = new ArrayList<>();
        echoedForms(KEY).forEach((name, form) -> {
            String redacted = SECRET.redact("{\"error\":\"bad key " + form + "\"}");
            if (redacted.contains(form) || !redacted.contains("****" + KEY.substring(KEY.length() - 4))) {
                leaked.add(name + ": " + redacted);
            }
        });
        assertTrue(leaked.isEmpty(), leaked.toString());
    }

    @Test
    void aKeyWithCharactersThatNeedEncodingIsMaskedURLEncodedToo() {
        Secret secret = new Secret("s3cr3t/with+plus=");
        for (String form : List.of("s3cr3t%2Fwith%2Bplus%3D", "s3cr3t%2fwith%2bplus%3d", "S3CR3T/WITH+PLUS=",
                Base64.getUrlEncoder().withoutPadding().encodeToString("s3cr3t/with+plus=".getBytes(
                        StandardCharsets.UTF_8)))) {
            assertFalse(secret.redact("echo " + form + " end").contains(form), form);
        }
    }

    @Test
    void unrelatedTextIsLeftAlone() {
        String text = "api.datadoghq.com answered HTTP 400: {\"errors\":[\"Bad Request\"]} 0123456789abcde";
        assertEquals(text, SECRET.redact(text));
        assertNull(SECRET.redact(null));
    }

    @Test
    void aShortSecretIsMaskedOnlyExactly() {
        Secret shortOne = new Secret("abc");
        assertEquals("x **** y ABC", shortOne.redact("x abc y ABC"));
    }
}
