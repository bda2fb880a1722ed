package io.pilotfish.testkit;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The forms in which an HTTP peer (an intake, a proxy) may echo a secret back: for tests that a secret shows in no
 * output in any form. Each form is long enough that finding it in output means the secret leaked.
 */
public final class SecretEchoes {

    private SecretEchoes() {
    }

    /** Form name to the secret in that form. */
    public static Map<String, String> of(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        Map<String, String> forms = new LinkedHashMap<>();
        forms.put("as is", secret);
        forms.put("upper case", secret.toUpperCase(Locale.ROOT));
        forms.put("lower case", secret.toLowerCase(Locale.ROOT));
        forms.put("base64", Base64.getEncoder().encodeToString(bytes));
        forms.put("base64 without padding", Base64.getEncoder().withoutPadding().encodeToString(bytes));
        forms.put("base64 url-safe", Base64.getUrlEncoder().encodeToString(bytes));
        forms.put("base64 url-safe without padding", Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        forms.put("base64 of the upper case", Base64.getEncoder().encodeToString(
                secret.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8)));
        forms.put("URL-encoded", URLEncoder.encode(secret, StandardCharsets.UTF_8));
        StringBuilder everyByte = new StringBuilder();
        for (byte b : bytes) {
            everyByte.append('%').append(String.format("%02x", b & 0xff));
        }
        forms.put("every byte percent-encoded", everyByte.toString());
        for (String user : List.of("a:", "ab:", "abc:")) {
            // A Basic credential: the secret inside a longer encoding, at each of the three byte alignments.
            forms.put("inside base64 of \"" + user + "<secret>\"", Base64.getEncoder().encodeToString(
                    (user + secret).getBytes(StandardCharsets.UTF_8)));
        }
        return forms;
    }

    /**
     * The telling part of each form (what must not appear): the form itself, or for a secret inside a longer base64
     * text the characters that encode the secret alone.
     */
    public static Map<String, String> telltales(String secret) {
        Map<String, String> telltales = new LinkedHashMap<>(of(secret));
        telltales.replaceAll((name, form) -> name.startsWith("inside base64")
                ? form.substring(8, form.length() - 8) : form);
        return telltales;
    }

    /** The names of the forms whose telltale occurs in any of the texts; empty when none leaked. */
    public static List<String> leaked(String secret, Collection<String> texts) {
        List<String> leaked = new ArrayList<>();
        telltales(secret).forEach((name, telltale) -> {
            if (texts.stream().anyMatch(text -> text.contains(telltale))) {
                leaked.add(name);
            }
        });
        return leaked;
    }
}
