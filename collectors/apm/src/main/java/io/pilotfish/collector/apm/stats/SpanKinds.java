package io.pilotfish.collector.apm.stats;

/** Span kind words compared as the Agent compares them: {@code strings.ToLower(kind) == word}. */
final class SpanKinds {

    private SpanKinds() {
    }

    /** Whether {@code kind} lower-cased (Unicode, as Go's ToLower) is {@code word} (ASCII lower case). */
    static boolean is(String kind, String word) {
        int i = 0;
        int j = 0;
        while (i < kind.length() && j < word.length()) {
            int cp = kind.codePointAt(i);
            if (Character.toLowerCase(cp) != word.charAt(j)) {
                return false;
            }
            i += Character.charCount(cp);
            j++;
        }
        return i == kind.length() && j == word.length();
    }
}
