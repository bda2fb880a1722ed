package io.pilotfish.spi;

/**
 * Text from outside (a packet, an HTTP answer, a configuration value) made safe to quote in a log line, an error or
 * {@code status}: non-printable characters escaped so that a peer cannot end the line, forge another one or send
 * terminal control sequences, long text cut with a marker, and the credentials of a URL masked. Every plugin and the
 * agent quote input through this one class, so the rule is the same everywhere.
 */
public final class SafeText {

    /** What stands for the user-info of a URL: {@code http://***@proxy:3128}. */
    public static final String MASK = "***";

    private SafeText() {
    }

    /**
     * The text with every non-printable character written as an escape: {@code \n}, {@code \r}, {@code \t},
     * {@code \x1b} below U+0100, a backslash, {@code u} and four (or six) hex digits above. Non-printable means a
     * control or format character (which includes the bidirectional overrides), a line or paragraph separator, a
     * lone surrogate or an unassigned code point; letters of any script stay as they are. {@code null} gives
     * {@code "null"}.
     */
    public static String escape(CharSequence text) {
        if (text == null) {
            return "null";
        }
        int first = firstUnprintable(text);
        if (first < 0) {
            return text.toString();
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        out.append(text, 0, first);
        for (int i = first; i < text.length(); ) {
            int cp = Character.codePointAt(text, i);
            i += Character.charCount(cp);
            if (!unprintable(cp)) {
                out.appendCodePoint(cp);
            } else if (cp == '\n') {
                out.append("\\n");
            } else if (cp == '\r') {
                out.append("\\r");
            } else if (cp == '\t') {
                out.append("\\t");
            } else if (cp < 0x100) {
                out.append("\\x").append(hex(cp, 2));
            } else {
                out.append("\\u").append(hex(cp, cp > 0xFFFF ? 6 : 4));
            }
        }
        return out.toString();
    }

    /**
     * At most {@code maxChars} characters of the text, escaped ({@link #escape}); a longer text is cut and ends with
     * {@code ...(cut at N characters)}, so a reader knows there was more. (The text given is often itself only the
     * start of a bounded read, so no total is claimed.)
     */
    public static String excerpt(CharSequence text, int maxChars) {
        if (text == null) {
            return "null";
        }
        if (text.length() <= maxChars) {
            return escape(text);
        }
        int cut = Math.max(0, maxChars);
        if (cut > 0 && Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--;
        }
        return escape(text.subSequence(0, cut)) + "...(cut at " + maxChars + " characters)";
    }

    /** {@link #excerpt} in double quotes, for a value inside a sentence: {@code "bad\x1b[31m:1|c"}. */
    public static String quote(CharSequence text, int maxChars) {
        return '"' + excerpt(text, maxChars) + '"';
    }

    /**
     * Free text (an error, a log line) with the user-info of every URL in it masked: {@code http://user:pass@host/p}
     * becomes {@code http://***@host/p}. The scheme, host, port and path stay, so the address can still be checked.
     * A password written with a raw {@code /} (not percent-encoded) is masked too, up to the {@code @} that follows.
     */
    public static String maskCredentials(String text) {
        if (text == null || !text.contains("://")) {
            return text;
        }
        StringBuilder out = null;
        int copied = 0;
        int from = 0;
        while (true) {
            int scheme = text.indexOf("://", from);
            if (scheme < 0) {
                break;
            }
            int start = scheme + 3;
            int end = tokenEnd(text, start);
            int at = userInfoEnd(text, start, end);
            if (at > start) {
                if (out == null) {
                    out = new StringBuilder(text.length());
                }
                out.append(text, copied, start).append(MASK);
                copied = at;
            }
            from = Math.max(start, at);
        }
        if (out == null) {
            return text;
        }
        return out.append(text, copied, text.length()).toString();
    }

    /**
     * A configuration value that is meant to be a URL (a proxy, an intake): as {@link #maskCredentials}, and also
     * when the scheme is missing ({@code user:pass@proxy:3128} becomes {@code ***@proxy:3128}), since that mistake
     * is exactly when the value is quoted in an error.
     */
    public static String maskUrl(String value) {
        if (value == null || value.indexOf('@') < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        int i = 0;
        while (i < value.length()) {
            int end = tokenEnd(value, i);
            String token = value.substring(i, end);
            int at = token.lastIndexOf('@');
            if (!token.contains("://") && at > 0 && token.substring(0, at).indexOf(':') >= 0) {
                token = MASK + token.substring(at);
            }
            out.append(token);
            if (end < value.length()) {
                out.append(value.charAt(end));
            }
            i = end + 1;
        }
        return maskCredentials(out.toString());
    }

    /** Free text from outside, ready for a log line: credentials of URLs masked, then escaped. */
    public static String clean(String text) {
        return escape(maskCredentials(text));
    }

    /** Where the URL that starts at {@code start} ends: at white space, a quote or an angle bracket. */
    private static int tokenEnd(String text, int start) {
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c) || c == '"' || c == '\'' || c == '<' || c == '>' || Character.isISOControl(c)) {
                return i;
            }
        }
        return text.length();
    }

    /**
     * The index of the {@code @} that ends the user-info of the authority starting at {@code start}, or -1. The
     * authority ends at the first {@code /}, {@code ?} or {@code #}; an {@code @} after that still ends a user-info
     * when the authority holds a {@code :} followed by something other than a port number (a password with a raw
     * {@code /}).
     */
    private static int userInfoEnd(String text, int start, int end) {
        int authorityEnd = end;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                authorityEnd = i;
                break;
            }
        }
        int at = text.lastIndexOf('@', authorityEnd - 1);
        if (at >= start) {
            return at;
        }
        if (authorityEnd == end) {
            return -1;
        }
        int colon = text.lastIndexOf(':', authorityEnd - 1);
        if (colon < start || isPort(text, colon + 1, authorityEnd)) {
            return -1;
        }
        int later = text.indexOf('@', authorityEnd);
        return later >= 0 && later < end ? later : -1;
    }

    private static boolean isPort(String text, int from, int to) {
        if (from >= to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static int firstUnprintable(CharSequence text) {
        for (int i = 0; i < text.length(); ) {
            int cp = Character.codePointAt(text, i);
            if (unprintable(cp)) {
                return i;
            }
            i += Character.charCount(cp);
        }
        return -1;
    }

    private static boolean unprintable(int cp) {
        if (cp >= 0x20 && cp < 0x7f) {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.UNASSIGNED -> true;
            default -> false;
        };
    }

    private static String hex(int value, int digits) {
        String text = Integer.toHexString(value);
        return "0".repeat(Math.max(0, digits - text.length())) + text;
    }
}
