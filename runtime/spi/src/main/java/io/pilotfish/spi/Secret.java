package io.pilotfish.spi;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A secret value (an API key). {@link #toString} never shows it; only {@link #reveal} does, at the point of use. */
public final class Secret {

    /**
     * Below this length only the exact value is masked: the encoded forms of a very short secret are short enough to
     * occur by chance and would mangle unrelated text.
     */
    private static final int MIN_ENCODED_FORMS_LENGTH = 8;
    /** An encoded form shorter than this is not searched for, for the same reason. */
    private static final int MIN_FORM_LENGTH = 8;

    private final String value;
    /** The forms {@link #redact} looks for; built on first use (most secrets never meet an echo). */
    private volatile Pattern echoes;

    public Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    public String reveal() {
        return value;
    }

    /** A short form safe to print: the last four characters, as Datadog's own UI shows keys. */
    public String masked() {
        return value.length() <= 4 ? "****" : "****" + value.substring(value.length() - 4);
    }

    /**
     * Text from outside (an HTTP answer, an exception message) with this secret replaced by {@link #masked} in every
     * form a peer may echo it in: in any letter case; base64, standard or URL-safe alphabet, with or without padding,
     * alone or inside a longer encoded string (a {@code Basic} credential); URL-encoded. {@code null} stays
     * {@code null}.
     */
    public String redact(String text) {
        return redact(text, masked());
    }

    /** As {@link #redact(String)}, with {@code replacement} in place of each form found. */
    public String redact(String text, String replacement) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        Pattern pattern = echoes;
        if (pattern == null) {
            pattern = echoes(value);
            echoes = pattern;
        }
        return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(replacement));
    }

    private static Pattern echoes(String value) {
        if (value.length() < MIN_ENCODED_FORMS_LENGTH) {
            return Pattern.compile(Pattern.quote(value));
        }
        Set<String> forms = new LinkedHashSet<>();
        forms.add(value);
        Set<String> cases = new LinkedHashSet<>(List.of(value, value.toLowerCase(Locale.ROOT),
                value.toUpperCase(Locale.ROOT)));
        for (String variant : cases) {
            byte[] bytes = variant.getBytes(StandardCharsets.UTF_8);
            for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
                forms.add(encoder.encodeToString(bytes));
                forms.addAll(base64Cores(encoder.withoutPadding(), bytes));
            }
        }
        forms.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
        forms.add(URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20"));
        StringBuilder everyByte = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            everyByte.append('%').append(String.format("%02X", b & 0xff));
        }
        forms.add(everyByte.toString());
        List<String> sorted = new ArrayList<>(forms);
        sorted.removeIf(form -> form.length() < MIN_FORM_LENGTH);
        // Longest first, so a full encoding is masked whole rather than by its inner part.
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        StringBuilder alternatives = new StringBuilder();
        for (String form : sorted) {
            alternatives.append(alternatives.isEmpty() ? "" : "|").append(Pattern.quote(form));
        }
        return Pattern.compile(alternatives.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /**
     * The part of the secret's base64 encoding that is the same wherever the secret sits in a longer encoded text:
     * for each of the three byte alignments, the characters made of the secret's bits only.
     */
    private static List<String> base64Cores(Base64.Encoder encoder, byte[] bytes) {
        List<String> cores = new ArrayList<>(3);
        for (int lead = 0; lead < 3; lead++) {
            byte[] shifted = new byte[lead + bytes.length];
            System.arraycopy(bytes, 0, shifted, lead, bytes.length);
            String encoded = encoder.encodeToString(shifted);
            int from = (lead * 8 + 5) / 6;
            int to = (shifted.length * 8) / 6;
            if (to - from >= MIN_FORM_LENGTH) {
                cores.add(encoded.substring(from, to));
            }
        }
        return cores;
    }

    @Override
    public String toString() {
        return masked();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
