package io.pilotfish.processing.regex;

/**
 * The characters a match of a Go expression can start with, worked out from its syntax, so that a search skips the
 * positions where no match can start instead of running the engine at each (Java's engine has no such prefilter;
 * RE2 does). Conservative: what it cannot read exactly widens the set, and an expression that can match the empty
 * text, or whose set would hold every character, gets none ({@link #of} returns null).
 *
 * <p>Read on a source the translator has already accepted, so it does not report errors: anything unexpected makes
 * it give up.
 */
final class FirstChars {

    private final boolean[] ascii;
    private final boolean nonAscii;

    private FirstChars(boolean[] ascii, boolean nonAscii) {
        this.ascii = ascii;
        this.nonAscii = nonAscii;
    }

    /** The set for {@code source}, or null when there is no useful one. */
    static FirstChars of(String source) {
        try {
            Reader reader = new Reader(source);
            Info info = reader.alternation(false);
            if (reader.i != source.length() || info.nullable) {
                return null;
            }
            int count = 0;
            for (boolean b : info.ascii) {
                count += b ? 1 : 0;
            }
            if (count == 128 && info.nonAscii) {
                return null;
            }
            return new FirstChars(info.ascii, info.nonAscii);
        } catch (GiveUp | RuntimeException e) {
            return null;
        }
    }

    /** The first index at or after {@code from} where a match may start, or {@code text.length() + 1}. */
    int next(String text, int from) {
        int n = text.length();
        for (int i = from; i < n; i++) {
            char c = text.charAt(i);
            if (c < 128 ? ascii[c] : nonAscii) {
                return i;
            }
        }
        return n + 1;
    }

    /** Whether a match may start with {@code c} (tests). */
    boolean mayStartWith(char c) {
        return c < 128 ? ascii[c] : nonAscii;
    }

    private static final class GiveUp extends Exception {
        GiveUp() {
            super(null, null, false, false);
        }
    }

    /** A set of first characters and whether the part can match nothing at all. */
    private static final class Info {
        final boolean[] ascii = new boolean[128];
        boolean nonAscii;
        boolean nullable;
        /** Widened past what the syntax says (a complement, a Unicode class): must not be negated. */
        boolean approximate;

        void addAll(Info other) {
            for (int c = 0; c < 128; c++) {
                ascii[c] |= other.ascii[c];
            }
            nonAscii |= other.nonAscii;
        }

        void everything() {
            java.util.Arrays.fill(ascii, true);
            nonAscii = true;
            approximate = true;
        }

        void add(int cp, boolean fold) {
            if (cp >= 128) {
                if (fold) {
                    everything(); // the long s and the Kelvin sign fold to ASCII letters
                }
                nonAscii = true;
                return;
            }
            ascii[cp] = true;
            if (fold && Character.isLetter(cp)) {
                ascii[Character.toLowerCase(cp)] = true;
                ascii[Character.toUpperCase(cp)] = true;
                nonAscii = true; // k and s fold to the Kelvin sign and the long s
            }
        }
    }

    /** A recursive reading of Go's syntax: alternation, concatenation, repetition, atoms. */
    private static final class Reader {
        private final String src;
        int i;

        Reader(String src) {
            this.src = src;
        }

        /** Branches up to a ')' or the end; {@code fold} is the case-insensitivity in force. */
        Info alternation(boolean fold) throws GiveUp {
            Info all = new Info();
            boolean[] foldBox = {fold};
            Info branch = concatenation(foldBox);
            all.addAll(branch);
            all.nullable = branch.nullable;
            while (i < src.length() && src.charAt(i) == '|') {
                i++;
                // A flag set in a branch holds to the end of the group, later branches included, in Go as in Java:
                // (?i)x|A matches "a". Only the group's ')' ends it (group() reads its inside with a box of its own).
                branch = concatenation(foldBox);
                all.addAll(branch);
                all.nullable |= branch.nullable;
            }
            return all;
        }

        /** Atoms up to '|', ')' or the end: the first characters of those up to the first that cannot be empty. */
        private Info concatenation(boolean[] fold) throws GiveUp {
            Info seq = new Info();
            seq.nullable = true;
            while (i < src.length() && src.charAt(i) != '|' && src.charAt(i) != ')') {
                Info atom = atom(fold);
                if (atom == null) {
                    continue; // a flag group: changes fold, matches nothing
                }
                boolean optional = quantifier();
                if (seq.nullable) {
                    seq.addAll(atom);
                    seq.nullable = atom.nullable || optional;
                }
            }
            return seq;
        }

        /** Reads a quantifier after an atom, if any; true when it allows zero repetitions. */
        private boolean quantifier() {
            boolean optional = false;
            boolean any = false;
            while (i < src.length()) {
                char c = src.charAt(i);
                if (c == '*' || c == '?') {
                    optional = true;
                    any = true;
                    i++;
                } else if (c == '+') {
                    any = true;
                    i++;
                } else if (c == '{') {
                    int close = src.indexOf('}', i);
                    String inside = close < 0 ? "" : src.substring(i + 1, close);
                    if (!inside.matches("\\d+(,\\d*)?")) {
                        break; // a literal '{' in Go: read as an atom next time
                    }
                    int min = Integer.parseInt(inside.split(",")[0]);
                    optional |= min == 0;
                    any = true;
                    i = close + 1;
                } else {
                    break;
                }
                if (any && i < src.length() && src.charAt(i) == '?') {
                    i++; // lazy
                }
            }
            return optional;
        }

        /** One atom; null for a flag group such as {@code (?i)}. */
        private Info atom(boolean[] fold) throws GiveUp {
            char c = src.charAt(i);
            Info info = new Info();
            switch (c) {
                case '(' -> {
                    return group(fold);
                }
                case '[' -> {
                    charClass(info, fold[0]);
                    return info;
                }
                case '.' -> {
                    i++;
                    info.everything();
                    return info;
                }
                case '^', '$' -> {
                    i++;
                    info.nullable = true;
                    return info;
                }
                case '\\' -> {
                    escape(info, fold[0], false);
                    return info;
                }
                case '*', '+', '?' -> throw new GiveUp();
                default -> {
                    int cp = src.codePointAt(i);
                    i += Character.charCount(cp);
                    info.add(cp, fold[0]);
                    return info;
                }
            }
        }

        private Info group(boolean[] fold) throws GiveUp {
            i++; // (
            boolean innerFold = fold[0];
            if (src.startsWith("?", i)) {
                if (src.startsWith("?P<", i) || (src.startsWith("?<", i) && !src.startsWith("?<=", i)
                        && !src.startsWith("?<!", i))) {
                    int close = src.indexOf('>', i);
                    if (close < 0) {
                        throw new GiveUp();
                    }
                    i = close + 1;
                } else {
                    int j = i + 1;
                    boolean negated = false;
                    boolean newFold = fold[0];
                    while (j < src.length() && "imsU-".indexOf(src.charAt(j)) >= 0) {
                        char f = src.charAt(j);
                        if (f == '-') {
                            negated = true;
                        } else if (f == 'i') {
                            newFold = !negated;
                        }
                        j++;
                    }
                    if (j >= src.length()) {
                        throw new GiveUp();
                    }
                    if (src.charAt(j) == ')') {
                        fold[0] = newFold; // (?i): the rest of the enclosing group
                        i = j + 1;
                        return null;
                    }
                    if (src.charAt(j) != ':') {
                        throw new GiveUp();
                    }
                    innerFold = newFold;
                    i = j + 1;
                }
            }
            Info inner = alternation(innerFold);
            if (i >= src.length() || src.charAt(i) != ')') {
                throw new GiveUp();
            }
            i++;
            return inner;
        }

        /** A backslash sequence; in a class only characters and class escapes. */
        private void escape(Info info, boolean fold, boolean inClass) throws GiveUp {
            if (i + 1 >= src.length()) {
                throw new GiveUp();
            }
            char c = src.charAt(i + 1);
            i += 2;
            switch (c) {
                case 'd' -> range(info, '0', '9', false);
                case 'w' -> {
                    range(info, '0', '9', false);
                    range(info, 'a', 'z', false);
                    range(info, 'A', 'Z', false);
                    info.add('_', false);
                }
                case 's' -> {
                    for (char s : new char[] {' ', '\t', '\n', 0x0B, '\f', '\r'}) { // Java's \s, which runs
                        info.add(s, false);
                    }
                }
                case 'D', 'W', 'S', 'p', 'P' -> {
                    info.everything(); // complements and Unicode classes: not worth reading exactly
                    if (c == 'p' || c == 'P') {
                        skipUnicodeName();
                    }
                }
                case 'b', 'B', 'A', 'z' -> {
                    if (inClass) {
                        throw new GiveUp();
                    }
                    info.nullable = true;
                }
                case 'a' -> info.add(0x07, fold);
                case 'f' -> info.add('\f', fold);
                case 't' -> info.add('\t', fold);
                case 'n' -> info.add('\n', fold);
                case 'r' -> info.add('\r', fold);
                case 'v' -> info.add(0x0B, fold);
                default -> {
                    if (c < 0x80 && !Character.isLetterOrDigit(c)) {
                        info.add(c, fold);
                    } else {
                        throw new GiveUp(); // \x.., octal, \Q...\E: rare; no prefilter
                    }
                }
            }
        }

        private void skipUnicodeName() throws GiveUp {
            if (i < src.length() && src.charAt(i) == '{') {
                int close = src.indexOf('}', i);
                if (close < 0) {
                    throw new GiveUp();
                }
                i = close + 1;
            } else if (i < src.length()) {
                i += Character.charCount(src.codePointAt(i));
            }
        }

        /** A bracket expression. */
        private void charClass(Info info, boolean fold) throws GiveUp {
            i++; // [
            boolean negated = i < src.length() && src.charAt(i) == '^';
            if (negated) {
                i++;
            }
            Info members = new Info();
            boolean first = true;
            while (true) {
                if (i >= src.length()) {
                    throw new GiveUp();
                }
                char c = src.charAt(i);
                if (c == ']' && !first) {
                    i++;
                    break;
                }
                first = false;
                if (c == '[' && src.startsWith("[:", i)) {
                    int close = src.indexOf(":]", i + 2);
                    if (close < 0) {
                        throw new GiveUp();
                    }
                    members.everything(); // POSIX classes: read as anything
                    i = close + 2;
                    continue;
                }
                int lo;
                if (c == '\\') {
                    char e = i + 1 < src.length() ? src.charAt(i + 1) : 0;
                    if ("dwsDWSpP".indexOf(e) >= 0) {
                        escape(members, fold, true);
                        continue;
                    }
                    Info single = new Info();
                    escape(single, false, true);
                    lo = -1;
                    for (int k = 0; k < 128; k++) {
                        if (single.ascii[k]) {
                            lo = k;
                        }
                    }
                    if (lo < 0) {
                        throw new GiveUp();
                    }
                } else {
                    lo = src.codePointAt(i);
                    i += Character.charCount(lo);
                }
                if (i + 1 < src.length() && src.charAt(i) == '-' && src.charAt(i + 1) != ']') {
                    i++;
                    int hi;
                    if (src.charAt(i) == '\\') {
                        Info single = new Info();
                        escape(single, false, true);
                        hi = -1;
                        for (int k = 0; k < 128; k++) {
                            if (single.ascii[k]) {
                                hi = k;
                            }
                        }
                        if (hi < 0) {
                            throw new GiveUp();
                        }
                    } else {
                        hi = src.codePointAt(i);
                        i += Character.charCount(hi);
                    }
                    range(members, lo, hi, fold);
                } else {
                    members.add(lo, fold);
                }
            }
            if (negated && members.approximate) {
                info.everything();
            } else if (negated) {
                for (int c = 0; c < 128; c++) {
                    info.ascii[c] = !members.ascii[c] || fold; // folding a negated class: keep it simple
                }
                info.nonAscii = true;
            } else {
                info.addAll(members);
            }
        }

        private static void range(Info info, int lo, int hi, boolean fold) {
            for (int c = lo; c <= Math.min(hi, 127); c++) {
                info.add(c, fold);
            }
            if (hi >= 128) {
                info.nonAscii = true;
            }
        }
    }
}
