package io.pilotfish.processing.regex;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A regular expression written for the Agent (Go's RE2 syntax, {@code regexp.Compile}), run with
 * {@code java.util.regex} and Go's semantics where the two differ:
 * <ul>
 *   <li>{@code ^} and {@code $} are the text's ends ({@code \A}, {@code \z}), or line ends after {@code (?m)};
 *       Java's {@code $} would also match before a final newline;</li>
 *   <li>{@code .} excludes only {@code \n}; {@code (?i)} folds Unicode case;</li>
 *   <li>{@code (?P<name>...)}, POSIX classes ({@code [[:alpha:]]}), {@code \p{Greek}}, octal escapes, {@code \v}
 *       and literal braces ({@code /users/{id}}) mean what they mean in Go;</li>
 *   <li>{@code [} and {@code &&} inside a class are literal, as in Go (Java would nest or intersect);</li>
 *   <li>what RE2 rejects and Java would accept with another meaning (back-references, look-arounds, possessive
 *       quantifiers, {@code (?U)}) is rejected;</li>
 *   <li>{@link #replaceAll} expands {@code $1}, {@code ${1}}, {@code $name} and {@code $$} as Go's
 *       {@code ReplaceAllString} does and skips an empty match right after a previous match.</li>
 * </ul>
 * Java's engine backtracks where RE2 does not, so matching is bounded: only a text's first characters are looked
 * at ({@value #MAX_MATCHED_CHARS} by {@link #compile(String)}, the longest tag value the Agent keeps after
 * truncation; log rules pass the Agent's message size to {@link #compile(String, int)}) and a match that reads the
 * text too many times, or recurses too deep, is abandoned ({@link Abandoned}) instead of stalling the pipeline.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class GoRegex {

    /** The longest text matched by default; the Agent truncates tag values to 25,000 bytes before filtering. */
    public static final int MAX_MATCHED_CHARS = 25_000;
    /**
     * Character reads allowed per character looked at (plus {@link #BASE_READS}) before a match is abandoned: room
     * for Java's quadratic retries on a few thousand characters (25 million reads, some 50 ms, at the cap), not
     * for exponential backtracking.
     */
    private static final long READS_PER_CHAR = 1_000;
    private static final long BASE_READS = 100_000;
    private static final int MAX_REPEAT = 1000; // RE2's limit on {n,m}

    private static final int FLAGS = Pattern.UNIX_LINES | Pattern.UNICODE_CASE;
    private static final Abandoned ABANDONED = new Abandoned();
    private static final Set<String> GENERAL_CATEGORIES = Set.of("C", "Cc", "Cf", "Co", "Cs",
            "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe",
            "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs");

    private final String source;
    private final Pattern pattern;
    private final Map<String, Integer> groupNames;
    private final int groupCount;
    private final LeadingRun leadingRun; // null when the expression does not start with one
    private final FirstChars firstChars; // null when unknown, or a match may be empty
    private final int maxMatchedChars;

    private GoRegex(String source, Pattern pattern, Map<String, Integer> groupNames, int groupCount,
                    LeadingRun leadingRun, FirstChars firstChars, int maxMatchedChars) {
        this.source = source;
        this.maxMatchedChars = maxMatchedChars;
        this.pattern = pattern;
        this.groupNames = groupNames;
        this.groupCount = groupCount;
        this.leadingRun = leadingRun;
        this.firstChars = firstChars;
    }

    /**
     * Compiles a Go regular expression that looks at up to {@value #MAX_MATCHED_CHARS} characters of a text.
     *
     * @throws IllegalArgumentException with a short reason when Go would not compile it or it uses syntax only
     *                                  Java has
     */
    public static GoRegex compile(String source) {
        return compile(source, MAX_MATCHED_CHARS);
    }

    /**
     * Compiles a Go regular expression that looks at up to {@code maxMatchedChars} characters of a text (the rest is
     * neither matched nor replaced).
     *
     * @throws IllegalArgumentException with a short reason when Go would not compile it or it uses syntax only
     *                                  Java has, or when {@code maxMatchedChars} is not positive
     */
    public static GoRegex compile(String source, int maxMatchedChars) {
        return compile(source, maxMatchedChars, true);
    }

    /** {@link #compile(String, int)}, with or without the first-character prefilter (the tests compare both). */
    static GoRegex compile(String source, int maxMatchedChars, boolean prefilter) {
        if (maxMatchedChars <= 0) {
            throw new IllegalArgumentException("maxMatchedChars must be positive: " + maxMatchedChars);
        }
        Translator translator = new Translator(source);
        String java = translator.translate();
        try {
            Pattern pattern = Pattern.compile(java, FLAGS);
            if (pattern.matcher("").groupCount() != translator.groups) {
                throw new IllegalArgumentException("unsupported group syntax");
            }
            LeadingRun leadingRun = translator.leadingAtom == null || translator.topLevelAlternation ? null
                    : new LeadingRun(Pattern.compile(translator.leadingFlags + translator.leadingAtom, FLAGS));
            FirstChars firstChars = prefilter && leadingRun == null ? FirstChars.of(source) : null;
            return new GoRegex(source, pattern, Map.copyOf(translator.groupNames), translator.groups, leadingRun,
                    firstChars, maxMatchedChars);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(e.getDescription());
        }
    }

    /** The expression as written. */
    public String source() {
        return source;
    }

    /** The longest prefix of a text that is looked at. */
    public int maxMatchedChars() {
        return maxMatchedChars;
    }

    /**
     * Go's {@code MatchString}: whether the expression matches anywhere in the text's first
     * {@link #maxMatchedChars()} characters.
     *
     * @throws Abandoned when the match needed too much work
     */
    public boolean find(String text) {
        String head = head(text);
        try {
            return search(matcher(head), head, 0);
        } catch (StackOverflowError e) {
            throw ABANDONED;
        }
    }

    private Matcher matcher(String head) {
        // bounds for region(): look-arounds see past it, \A does not match at its start
        return pattern.matcher(new BoundedText(head)).useTransparentBounds(true).useAnchoringBounds(false);
    }

    /**
     * The leftmost match starting at or after {@code from}, like {@code Matcher.find(from)}. An expression that
     * starts with a greedy run such as {@code .*}, {@code \w+} or {@code [^/]*} is tried once per run instead of at
     * every character: if it fails where a run starts, it fails at every later position of the run, which would
     * see a subset of the same attempts. That keeps common expressions linear, as they are with RE2. Other
     * expressions are tried only where their first character can start a match ({@link FirstChars}), when that is
     * known: a card-number pattern then runs at the digits of a line, not at each of its characters.
     */
    private boolean search(Matcher matcher, String text, int from) {
        if (leadingRun == null && firstChars == null) {
            return matcher.find(from);
        }
        if (leadingRun == null) {
            int n = text.length();
            int start = firstChars.next(text, from);
            while (start < n) {
                matcher.region(start, n);
                if (matcher.lookingAt()) {
                    return true;
                }
                start = firstChars.next(text, start + 1);
            }
            return false; // no match can be empty, so none starts at the end
        }
        int n = text.length();
        int start = from;
        while (start <= n) {
            matcher.region(start, n);
            if (matcher.lookingAt()) {
                return true;
            }
            int runEnd = leadingRun.end(text, start);
            start = Math.max(next(text, start), next(text, runEnd));
        }
        return false;
    }

    /** The index after the code point at i, or past the end. */
    private static int next(String text, int i) {
        return i < text.length() ? i + Character.charCount(text.codePointAt(i)) : text.length() + 1;
    }

    /**
     * Go's {@code ReplaceAllString}. Returns the text itself when nothing matched. Text past
     * {@link #maxMatchedChars()} characters is kept as it is.
     *
     * @throws Abandoned when the match needed too much work
     */
    public String replaceAll(String text, Replacement replacement) {
        String head = head(text);
        Matcher matcher = matcher(head);
        StringBuilder out = null;
        int end = head.length();
        int lastMatchEnd = 0;
        int searchPos = 0;
        try {
            while (searchPos <= end && search(matcher, head, searchPos)) {
                int start = matcher.start();
                int stop = matcher.end();
                if (out == null) {
                    out = new StringBuilder(text.length() + 16);
                }
                out.append(head, lastMatchEnd, start);
                // no replacement for an empty match that touches the previous one (Go's rule)
                if (stop > lastMatchEnd || start == 0) {
                    replacement.appendTo(out, head, matcher);
                }
                lastMatchEnd = stop;
                int width = searchPos < end ? Character.charCount(head.codePointAt(searchPos)) : 0;
                if (searchPos + width > stop) {
                    searchPos += width;
                } else if (searchPos + 1 > stop) {
                    searchPos++;
                } else {
                    searchPos = stop;
                }
            }
        } catch (StackOverflowError e) {
            throw ABANDONED;
        }
        if (out == null) {
            return text;
        }
        out.append(head, lastMatchEnd, end);
        out.append(text, head.length(), text.length());
        return out.toString();
    }

    /** The replacement text for this expression, with its {@code $} references resolved. */
    public Replacement replacement(String template) {
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (true) {
            int dollar = template.indexOf('$', i);
            if (dollar < 0) {
                literal.append(template, i, template.length());
                break;
            }
            literal.append(template, i, dollar);
            i = dollar + 1;
            if (i < template.length() && template.charAt(i) == '$') {
                literal.append('$');
                i++;
                continue;
            }
            Reference ref = Reference.parse(template, i);
            if (ref == null) {
                literal.append('$'); // not a reference: Go keeps the '$' as text
                continue;
            }
            i = ref.end;
            int group = ref.number >= 0 ? ref.number : groupNames.getOrDefault(ref.name, -1);
            if (group >= 0 && group <= groupCount) {
                if (!literal.isEmpty()) {
                    parts.add(literal.toString());
                    literal.setLength(0);
                }
                parts.add(group);
            } // else: no such group, Go inserts nothing
        }
        if (!literal.isEmpty()) {
            parts.add(literal.toString());
        }
        return new Replacement(List.copyOf(parts));
    }

    private String head(String text) {
        if (text.length() <= maxMatchedChars) {
            return text;
        }
        int cut = maxMatchedChars;
        if (Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--;
        }
        return text.substring(0, cut);
    }

    @Override
    public String toString() {
        return source;
    }

    /** A match given up because the expression needed too much work on this text. */
    public static final class Abandoned extends RuntimeException {
        private Abandoned() {
            super("regular expression needed too much work", null, false, false);
        }
    }

    /** A replacement template, parsed once: literal text and group numbers. */
    public static final class Replacement {
        private final List<Object> parts;

        private Replacement(List<Object> parts) {
            this.parts = parts;
        }

        void appendTo(StringBuilder out, String text, Matcher match) {
            for (Object part : parts) {
                if (part instanceof String literal) {
                    out.append(literal);
                } else {
                    int group = (Integer) part;
                    int start = match.start(group);
                    if (start >= 0) {
                        out.append(text, start, match.end(group));
                    }
                }
            }
        }
    }

    /** A {@code $name}, {@code ${name}} or {@code $1} in a replacement, read as Go's {@code extract} reads it. */
    private record Reference(String name, int number, int end) {

        static Reference parse(String s, int from) {
            if (from >= s.length()) {
                return null;
            }
            int i = from;
            boolean brace = s.charAt(i) == '{';
            if (brace) {
                i++;
            }
            int nameStart = i;
            while (i < s.length()) {
                int cp = s.codePointAt(i);
                if (!Character.isLetter(cp) && !Character.isDigit(cp) && cp != '_') {
                    break;
                }
                i += Character.charCount(cp);
            }
            if (i == nameStart) {
                return null;
            }
            String name = s.substring(nameStart, i);
            if (brace) {
                if (i >= s.length() || s.charAt(i) != '}') {
                    return null;
                }
                i++;
            }
            int number = 0;
            for (int k = 0; k < name.length(); k++) {
                char c = name.charAt(k);
                if (c < '0' || c > '9' || number >= 100_000_000) {
                    number = -1;
                    break;
                }
                number = number * 10 + (c - '0');
            }
            if (name.charAt(0) == '0' && name.length() > 1) {
                number = -1; // no leading zeros: "$01" names a group called "01"
            }
            return new Reference(name, number, i);
        }
    }

    /** The single-character atom of an expression's leading greedy run ({@code .*}, {@code [a-z]+}). */
    private static final class LeadingRun {
        private final Pattern atom;
        private final boolean[] ascii = new boolean[128];

        LeadingRun(Pattern atom) {
            this.atom = atom;
            for (char c = 0; c < 128; c++) {
                ascii[c] = atom.matcher(String.valueOf(c)).matches();
            }
        }

        /** The index of the first character at or after {@code from} that the atom does not match. */
        int end(String text, int from) {
            int i = from;
            while (i < text.length()) {
                int cp = text.codePointAt(i);
                boolean in = cp < 128 ? ascii[cp] : atom.matcher(Character.toString(cp)).matches();
                if (!in) {
                    break;
                }
                i += Character.charCount(cp);
            }
            return i;
        }
    }

    /** The text being matched, counting reads so that a runaway backtracking match can be stopped. */
    private static final class BoundedText implements CharSequence {
        private final String text;
        private final long limit;
        private long reads;

        BoundedText(String text) {
            this.text = text;
            this.limit = BASE_READS + READS_PER_CHAR * text.length();
        }

        @Override
        public char charAt(int index) {
            if (++reads > limit) {
                throw ABANDONED;
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** Rewrites Go syntax as Java syntax with the same meaning, or refuses it. */
    private static final class Translator {
        private final String src;
        private final StringBuilder out;
        private final Map<String, Integer> groupNames = new HashMap<>();
        private final Deque<Boolean> multilineOuter = new ArrayDeque<>();
        private int groups;
        private boolean multiline;
        private int i;
        /** A leading greedy run's atom in Java syntax, the flags before it, and whether '|' splits the top level. */
        String leadingAtom;
        String leadingFlags = "";
        boolean topLevelAlternation;
        private boolean flagGroupJustRead;
        /** Whether something precedes that a repetition could apply to (Java would repeat nothing silently). */
        private boolean operand;

        Translator(String src) {
            this.src = src;
            this.out = new StringBuilder(src.length() + 16);
        }

        String translate() {
            boolean atStart = true; // only flag groups read so far
            while (i < src.length()) {
                char c = src.charAt(i);
                int outBefore = out.length();
                boolean runAtom = atStart && (c == '.' || c == '['
                        || (c == '\\' && i + 1 < src.length() && "dDwWsSpP".indexOf(src.charAt(i + 1)) >= 0));
                if (c == '|' && multilineOuter.isEmpty()) {
                    topLevelAlternation = true;
                }
                flagGroupJustRead = false;
                step(c);
                // after a flag group Go would repeat what came before it, Java something else: refused too
                operand = c != '|' && c != '(';
                if (atStart && runAtom) {
                    if (i < src.length() && (src.charAt(i) == '*' || src.charAt(i) == '+')
                            && (i + 1 >= src.length() || src.charAt(i + 1) != '?')) {
                        leadingAtom = out.substring(outBefore);
                    }
                    atStart = false;
                } else if (atStart && flagGroupJustRead) {
                    leadingFlags += out.substring(outBefore);
                } else {
                    atStart = false;
                }
            }
            return out.toString();
        }

        private void step(char c) {
            switch (c) {
                case '\\' -> escape(false);
                case '[' -> charClass();
                case '(' -> openGroup();
                case ')' -> {
                    if (!multilineOuter.isEmpty()) {
                        multiline = multilineOuter.pop();
                    }
                    out.append(')');
                    i++;
                }
                case '^' -> {
                    out.append(multiline ? "(?:\\A|(?<=\\n))" : "\\A");
                    i++;
                }
                case '$' -> {
                    out.append(multiline ? "(?:\\z|(?=\\n))" : "\\z");
                    i++;
                }
                case '*', '+', '?' -> {
                    out.append(c);
                    i++;
                    afterRepetition();
                }
                case '{' -> {
                    int close = repeatEnd(i);
                    if (close < 0) {
                        out.append("\\{"); // not a repetition: a literal brace in Go
                        i++;
                    } else {
                        if (!operand) {
                            throw new IllegalArgumentException("missing argument to repetition operator at offset "
                                    + i);
                        }
                        out.append(src, i, close + 1);
                        i = close + 1;
                        afterRepetition();
                    }
                }
                case '}' -> {
                    out.append("\\}");
                    i++;
                }
                default -> {
                    int cp = src.codePointAt(i);
                    out.appendCodePoint(cp);
                    i += Character.charCount(cp);
                }
            }
        }

        /** After {@code *}, {@code +}, {@code ?} or {@code {n,m}}: an optional lazy {@code ?}, nothing more. */
        private void afterRepetition() {
            if (i < src.length() && src.charAt(i) == '?') {
                out.append('?');
                i++;
            }
            if (i < src.length()) {
                char next = src.charAt(i);
                if (next == '*' || next == '+' || next == '?' || (next == '{' && repeatEnd(i) >= 0)) {
                    throw new IllegalArgumentException("invalid nested repetition operator at offset " + i
                            + " (possessive quantifiers are Java-only)");
                }
            }
        }

        /** The index of the '}' ending a Go repetition {n}, {n,} or {n,m} at {@code at}, or -1 for a literal. */
        private int repeatEnd(int at) {
            int j = at + 1;
            int minStart = j;
            while (j < src.length() && isDigit(src.charAt(j))) {
                j++;
            }
            if (j == minStart || j >= src.length() || leadingZero(minStart, j)) {
                return -1;
            }
            int min = boundedInt(src.substring(minStart, j));
            int max = min;
            if (src.charAt(j) == ',') {
                j++;
                int maxStart = j;
                while (j < src.length() && isDigit(src.charAt(j))) {
                    j++;
                }
                if (leadingZero(maxStart, j)) {
                    return -1;
                }
                max = j == maxStart ? -1 : boundedInt(src.substring(maxStart, j));
            }
            if (j >= src.length() || src.charAt(j) != '}') {
                return -1;
            }
            if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) {
                throw new IllegalArgumentException("invalid repeat count " + src.substring(at, j + 1));
            }
            return j;
        }

        /** Go reads {@code {01}} as literal text, not as a repetition. */
        private boolean leadingZero(int from, int to) {
            return to - from > 1 && src.charAt(from) == '0';
        }

        private static int boundedInt(String digits) {
            return digits.length() > 5 ? Integer.MAX_VALUE : Integer.parseInt(digits);
        }

        private void openGroup() {
            multilineOuter.push(multiline);
            if (!src.startsWith("(?", i)) {
                groups++;
                out.append('(');
                i++;
                return;
            }
            int nameStart = src.startsWith("(?P<", i) ? i + 4
                    : src.startsWith("(?<", i) && !src.startsWith("(?<=", i) && !src.startsWith("(?<!", i) ? i + 3
                    : -1;
            if (nameStart >= 0) {
                int close = src.indexOf('>', nameStart);
                if (close < 0) {
                    throw new IllegalArgumentException("invalid named capture: missing '>'");
                }
                String name = src.substring(nameStart, close);
                if (!validGroupName(name)) {
                    throw new IllegalArgumentException("invalid named capture " + name);
                }
                groups++;
                if (groupNames.putIfAbsent(name, groups) != null) {
                    throw new IllegalArgumentException("duplicate capture group name " + name);
                }
                out.append('('); // numbered in Java; the name is resolved here
                i = close + 1;
                return;
            }
            int j = i + 2;
            boolean negated = false;
            boolean flagAfterMinus = false;
            boolean newMultiline = multiline;
            while (j < src.length()) {
                char f = src.charAt(j);
                if (f == 'i' || f == 's' || f == 'm') {
                    if (f == 'm') {
                        newMultiline = !negated;
                    }
                    flagAfterMinus |= negated;
                } else if (f == '-' && !negated) {
                    negated = true;
                } else if (f == 'U') {
                    throw new IllegalArgumentException("the ungreedy flag (?U) is not supported");
                } else {
                    break;
                }
                j++;
            }
            if (j >= src.length() || (src.charAt(j) != ')' && src.charAt(j) != ':') || (negated && !flagAfterMinus)) {
                throw new IllegalArgumentException("invalid or unsupported Perl syntax at offset " + i
                        + " (look-arounds, atomic groups and comments are not in Go's syntax)");
            }
            // 'm' is applied by the translation of ^ and $, so Java never sees it
            String flags = src.substring(i + 2, j).replace("m", "");
            if (flags.endsWith("-")) {
                flags = flags.substring(0, flags.length() - 1);
            }
            if (src.charAt(j) == ')') {
                flagGroupJustRead = multilineOuter.size() == 1;
                multilineOuter.pop(); // flags for the rest of the enclosing group
                multiline = newMultiline;
                if (!flags.isEmpty()) {
                    out.append("(?").append(flags).append(')');
                }
            } else {
                multiline = newMultiline;
                out.append("(?").append(flags).append(':');
            }
            i = j + 1;
        }

        private static boolean validGroupName(String name) {
            if (name.isEmpty()) {
                return false;
            }
            return name.codePoints().allMatch(cp -> cp == '_' || Character.isLetterOrDigit(cp));
        }

        /** A backslash sequence; inside a class only character escapes and class escapes are allowed. */
        private void escape(boolean inClass) {
            if (i + 1 >= src.length()) {
                throw new IllegalArgumentException("trailing backslash at end of expression");
            }
            char c = src.charAt(i + 1);
            switch (c) {
                case 'd', 'D', 'w', 'W', 's', 'S' -> copy(2); // ASCII classes in both (Java's \s adds \v)
                case 'b', 'B', 'A', 'z' -> {
                    if (inClass) {
                        throw new IllegalArgumentException("invalid escape \\" + c + " in a character class");
                    }
                    copy(2);
                }
                case 'p', 'P' -> unicodeClass(inClass);
                case 'Q' -> {
                    if (inClass) {
                        throw new IllegalArgumentException("invalid escape \\Q in a character class");
                    }
                    int stop = src.indexOf("\\E", i + 2);
                    int textEnd = stop < 0 ? src.length() : stop;
                    src.substring(i + 2, textEnd).codePoints().forEach(this::literal);
                    i = stop < 0 ? src.length() : stop + 2;
                }
                default -> literal(escapedChar());
            }
        }

        private void copy(int chars) {
            out.append(src, i, i + chars);
            i += chars;
        }

        /** A character escape ({@code \n}, {@code \x41}, {@code \x{263A}}, octal, punctuation): its code point. */
        private int escapedChar() {
            char c = src.charAt(i + 1);
            switch (c) {
                case 'a' -> {
                    i += 2;
                    return 0x07;
                }
                case 'f' -> {
                    i += 2;
                    return '\f';
                }
                case 't' -> {
                    i += 2;
                    return '\t';
                }
                case 'n' -> {
                    i += 2;
                    return '\n';
                }
                case 'r' -> {
                    i += 2;
                    return '\r';
                }
                case 'v' -> {
                    i += 2;
                    return 0x0B; // a vertical tab in Go; a class of vertical spaces in Java
                }
                case 'x' -> {
                    return hexEscape();
                }
                default -> {
                    if (c >= '0' && c <= '7') {
                        return octalEscape();
                    }
                    if (c < 0x80 && !Character.isLetterOrDigit(c)) {
                        i += 2;
                        return c;
                    }
                    throw new IllegalArgumentException("invalid escape sequence \\" + c
                            + (c >= '1' && c <= '9' ? " (back-references are not supported)" : ""));
                }
            }
        }

        private int hexEscape() {
            int j = i + 2;
            if (j < src.length() && src.charAt(j) == '{') {
                int close = src.indexOf('}', j);
                String hex = close < 0 ? "" : src.substring(j + 1, close);
                if (hex.isEmpty() || hex.length() > 8 || !hex.chars().allMatch(GoRegex::isHex)) {
                    throw new IllegalArgumentException("invalid escape sequence \\x{" + hex);
                }
                int cp = Integer.parseInt(hex, 16);
                if (cp > Character.MAX_CODE_POINT) {
                    throw new IllegalArgumentException("invalid escape sequence \\x{" + hex + "}");
                }
                i = close + 1;
                return cp;
            }
            if (j + 2 > src.length() || !isHex(src.charAt(j)) || !isHex(src.charAt(j + 1))) {
                throw new IllegalArgumentException("invalid escape sequence \\x: use \\xHH or \\x{HHHH}");
            }
            i = j + 2;
            return Integer.parseInt(src.substring(j, j + 2), 16);
        }

        /** {@code \0}, {@code \12}, {@code \123}: octal in Go (a single non-zero digit would be a back-reference). */
        private int octalEscape() {
            int j = i + 1;
            char first = src.charAt(j);
            if (first != '0' && (j + 1 >= src.length() || !isOctal(src.charAt(j + 1)))) {
                throw new IllegalArgumentException("invalid escape sequence \\" + first
                        + " (back-references are not supported)");
            }
            int value = 0;
            int digits = 0;
            while (digits < 3 && j < src.length() && isOctal(src.charAt(j))) {
                value = value * 8 + (src.charAt(j) - '0');
                j++;
                digits++;
            }
            i = j;
            return value;
        }

        /** {@code \pL}, {@code \p{Greek}}, {@code \p{^Greek}}, {@code \PL}. */
        private void unicodeClass(boolean inClass) {
            boolean negated = src.charAt(i + 1) == 'P';
            int j = i + 2;
            if (j >= src.length()) {
                throw new IllegalArgumentException("invalid character class range \\" + src.charAt(i + 1));
            }
            String name;
            if (src.charAt(j) == '{') {
                int close = src.indexOf('}', j);
                if (close < 0) {
                    throw new IllegalArgumentException("invalid character class range: missing '}'");
                }
                name = src.substring(j + 1, close);
                i = close + 1;
            } else {
                name = src.substring(j, j + Character.charCount(src.codePointAt(j)));
                i = j + name.length();
            }
            if (name.startsWith("^")) {
                negated = !negated;
                name = name.substring(1);
            }
            if (name.isEmpty() || !name.chars().allMatch(ch -> ch == '_' || (ch < 0x80 && Character.isLetter(ch)))) {
                throw new IllegalArgumentException("invalid character class range \\p{" + name + "}");
            }
            if (name.equals("Any")) {
                if (negated) {
                    throw new IllegalArgumentException("\\P{Any} (matches nothing) is not supported");
                }
                out.append(inClass ? "\\x{0}-\\x{10FFFF}" : "[\\x{0}-\\x{10FFFF}]");
                return;
            }
            // a general category (Lu, N) is written the same in Java; a script (Greek, Han) takes "Is"
            String java = GENERAL_CATEGORIES.contains(name) ? name : "Is" + name;
            out.append(negated ? "\\P{" : "\\p{").append(java).append('}');
        }

        /** A bracket expression, rewritten item by item so that Java's nesting and intersection never apply. */
        private void charClass() {
            int start = i;
            out.append('[');
            i++;
            if (i < src.length() && src.charAt(i) == '^') {
                out.append('^');
                i++;
            }
            boolean first = true;
            while (true) {
                if (i >= src.length()) {
                    throw new IllegalArgumentException("missing closing ] for the class at offset " + start);
                }
                char c = src.charAt(i);
                if (c == ']' && !first) {
                    out.append(']');
                    i++;
                    return;
                }
                first = false;
                if (c == '[' && src.startsWith("[:", i) && posixClass()) {
                    continue;
                }
                if (c == '\\' && i + 1 < src.length() && "dDwWsSpP".indexOf(src.charAt(i + 1)) >= 0) {
                    escape(true);
                    continue;
                }
                int lo = classChar();
                if (i + 1 < src.length() && src.charAt(i) == '-' && src.charAt(i + 1) != ']') {
                    i++;
                    int hi = classChar();
                    if (hi < lo) {
                        throw new IllegalArgumentException("invalid character class range");
                    }
                    hexChar(lo);
                    out.append('-');
                    hexChar(hi);
                } else {
                    hexChar(lo);
                }
            }
        }

        /** One character in a class: itself or a character escape. */
        private int classChar() {
            if (src.charAt(i) == '\\') {
                if (i + 1 >= src.length()) {
                    throw new IllegalArgumentException("trailing backslash at end of expression");
                }
                char next = src.charAt(i + 1);
                if ("bBAzQ".indexOf(next) >= 0) {
                    throw new IllegalArgumentException("invalid escape \\" + next + " in a character class");
                }
                return escapedChar();
            }
            int cp = src.codePointAt(i);
            i += Character.charCount(cp);
            return cp;
        }

        /** {@code [:alpha:]} and {@code [:^alpha:]}; false (nothing consumed) when it is not one. */
        private boolean posixClass() {
            int close = src.indexOf(":]", i + 2);
            if (close < 0) {
                return false;
            }
            String name = src.substring(i + 2, close);
            boolean negated = name.startsWith("^");
            if (negated) {
                name = name.substring(1);
            }
            String java = switch (name) {
                case "alnum" -> "Alnum";
                case "alpha" -> "Alpha";
                case "ascii" -> "ASCII";
                case "blank" -> "Blank";
                case "cntrl" -> "Cntrl";
                case "digit" -> "Digit";
                case "graph" -> "Graph";
                case "lower" -> "Lower";
                case "print" -> "Print";
                case "punct" -> "Punct";
                case "space" -> "Space";
                case "upper" -> "Upper";
                case "word" -> null;
                case "xdigit" -> "XDigit";
                default -> throw new IllegalArgumentException("invalid character class range [:" + name + ":]");
            };
            if (java == null) {
                out.append(negated ? "\\W" : "\\w");
            } else {
                out.append(negated ? "\\P{" : "\\p{").append(java).append('}');
            }
            i = close + 2;
            return true;
        }

        private void hexChar(int cp) {
            out.append("\\x{").append(Integer.toHexString(cp).toUpperCase(Locale.ROOT)).append('}');
        }

        /** A character outside a class that must match itself. */
        private void literal(int cp) {
            if (cp < 0x80 && Character.isLetterOrDigit(cp)) {
                out.append((char) cp);
            } else if (cp < 0x20 || cp == 0x7F) {
                hexChar(cp);
            } else if (cp < 0x80) {
                out.append('\\').append((char) cp);
            } else {
                out.appendCodePoint(cp);
            }
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private static boolean isOctal(char c) {
            return c >= '0' && c <= '7';
        }
    }

    private static boolean isHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
