package io.pilotfish.processing.logs;

/**
 * Recognises the lines of Java, Python, Node.js and Go stack traces, so that they are joined onto the log they
 * belong to and nothing else is. A line is looked at with what the stream's previous lines were ({@link State}):
 * a {@code \tat} frame only continues a message, {@code Caused by:} only continues one that has frames, a Python
 * exception line only ends a traceback, a Go function line only continues a panic. Every test reads bytes (all the
 * markers are ASCII), so no line is decoded.
 *
 * <p>What starts a trace (the Java exception line, {@code Traceback (most recent call last):}, {@code panic:})
 * is never joined onto the line before it: nothing tells whether that line belongs to the trace (logback's
 * "request failed" does, an unrelated log written just before an uncaught exception does not). A timestamped
 * format can join them with auto multi-line detection or a {@code multi_line} rule.
 */
final class StackTraces {

    /** What the stream's last lines were. */
    enum State {
        /** An ordinary line (or nothing) is open. */
        NONE,
        /** Java or Node.js frames follow the open message. */
        FRAMES,
        /** Inside a Python traceback: indented lines until the exception line. */
        PY_TRACE,
        /** A Python traceback ended with its exception line; a chained one may follow. */
        PY_END,
        /** "During handling of the above exception..." was read; its traceback follows. */
        PY_CHAIN,
        /** A Go panic or goroutine dump. */
        GO
    }

    /** What to do with a line. */
    enum Action {
        /** Append to the open message. */
        JOIN,
        /** Send the open message; this line opens the next one. */
        START,
        /** A blank line inside a trace: held until the next line tells whether the trace goes on. */
        HOLD_BLANK
    }

    /** An action and the state after it. */
    record Step(Action action, State next) {
        private static final Step[] ALL = new Step[Action.values().length * State.values().length];

        static {
            for (Action a : Action.values()) {
                for (State s : State.values()) {
                    ALL[a.ordinal() * State.values().length + s.ordinal()] = new Step(a, s);
                }
            }
        }

        static Step of(Action action, State next) {
            return ALL[action.ordinal() * State.values().length + next.ordinal()];
        }
    }

    private static final byte[] TRACEBACK = bytes("Traceback (most recent call last):");
    private static final byte[] DURING = bytes("During handling of the above exception, another exception occurred:");
    private static final byte[] DIRECT_CAUSE = bytes("The above exception was the direct cause of the following exception:");
    private static final byte[] CAUSED_BY = bytes("Caused by: ");
    private static final byte[] SUPPRESSED = bytes("Suppressed: ");
    private static final byte[] PANIC = bytes("panic: ");
    private static final byte[] GOROUTINE = bytes("goroutine ");
    private static final byte[] CREATED_BY = bytes("created by ");
    private static final byte[] SIGNAL = bytes("[signal ");
    private static final byte[] FRAMES_ELIDED = bytes("...additional frames elided...");
    private static final byte[] MORE = bytes(" more");
    private static final byte[] COMMON_FRAMES = bytes(" common frames omitted");
    private static final byte[] EXCEPTION_IN_THREAD = bytes("Exception in thread \"");

    private StackTraces() {
    }

    /** The next step for {@code line} (a whole line, no line break) when the stream is in {@code state}. */
    static Step classify(State state, byte[] line, boolean open) {
        int n = trimmedLength(line);
        if (n == 0) {
            return state == State.GO || state == State.PY_END || state == State.PY_CHAIN
                    ? Step.of(Action.HOLD_BLANK, state) : Step.of(Action.START, State.NONE);
        }
        // Python first: inside a traceback, indented lines are source and carets, whatever they hold
        if (state == State.PY_TRACE) {
            if (line[0] == ' ') {
                return Step.of(Action.JOIN, State.PY_TRACE);
            }
            if (isPythonExceptionLine(line, n)) {
                return Step.of(Action.JOIN, State.PY_END);
            }
        }
        if (state == State.PY_END && (equalsAt(line, n, DURING) || equalsAt(line, n, DIRECT_CAUSE))) {
            return Step.of(Action.JOIN, State.PY_CHAIN);
        }
        if (equalsAt(line, n, TRACEBACK)) {
            return Step.of(state == State.PY_CHAIN ? Action.JOIN : Action.START, State.PY_TRACE);
        }
        if (state == State.GO) {
            Step go = goContinuation(line, n);
            if (go != null) {
                return go;
            }
        }
        if (startsWith(line, PANIC) || isGoroutineHeader(line, n)) {
            return Step.of(Action.START, State.GO);
        }
        if (open && isFrame(line, n)) {
            return Step.of(Action.JOIN, State.FRAMES);
        }
        if (state == State.FRAMES && isJavaContinuation(line, n)) {
            return Step.of(Action.JOIN, State.FRAMES);
        }
        return Step.of(Action.START, State.NONE);
    }

    /** A Java or Node.js frame: indentation (tabs, or two spaces or more), {@code at }, a location at the end. */
    static boolean isFrame(byte[] line, int n) {
        int i = 0;
        while (i < n && line[i] == '\t') {
            i++;
        }
        if (i == 0) {
            while (i < n && line[i] == ' ') {
                i++;
            }
            if (i < 2) {
                return false;
            }
        }
        if (i + 4 > n || line[i] != 'a' || line[i + 1] != 't' || line[i + 2] != ' ' || line[i + 3] == ' ') {
            return false;
        }
        byte last = line[n - 1];
        if (last == ')') {
            return true;
        }
        // Node's "at file:line:col" without a function: digits after a colon
        int j = n - 1;
        while (j > i && line[j] >= '0' && line[j] <= '9') {
            j--;
        }
        return j < n - 1 && line[j] == ':';
    }

    /** {@code Caused by:}, {@code Suppressed:}, {@code ... N more}, {@code ... N common frames omitted}. */
    private static boolean isJavaContinuation(byte[] line, int n) {
        int i = 0;
        while (i < n && (line[i] == '\t' || line[i] == ' ')) {
            i++;
        }
        if (startsWithAt(line, i, CAUSED_BY)) {
            return true;
        }
        if (i > 0 && startsWithAt(line, i, SUPPRESSED)) {
            return true;
        }
        if (i + 4 < n && line[i] == '.' && line[i + 1] == '.' && line[i + 2] == '.' && line[i + 3] == ' ') {
            int j = i + 4;
            int digits = j;
            while (j < n && line[j] >= '0' && line[j] <= '9') {
                j++;
            }
            if (j == digits) {
                return false;
            }
            return (n - j == MORE.length && startsWithAt(line, j, MORE))
                    || (n - j == COMMON_FRAMES.length && startsWithAt(line, j, COMMON_FRAMES));
        }
        return false;
    }

    /** Python's last traceback line: {@code ValueError: ...}, {@code pkg.CustomError}, unindented. */
    private static boolean isPythonExceptionLine(byte[] line, int n) {
        int i = 0;
        if (!isIdentifierStart(line[0])) {
            return false;
        }
        while (i < n && (isIdentifierPart(line[i]) || line[i] == '.')) {
            i++;
        }
        return i == n || (line[i] == ':' && (i + 1 == n || line[i + 1] == ' '));
    }

    /** A line that goes on a Go panic, or null. */
    private static Step goContinuation(byte[] line, int n) {
        if (line[0] == '\t') {
            return Step.of(Action.JOIN, State.GO); // a frame's file:line, or a nested "\tpanic: ..."
        }
        if (startsWith(line, CREATED_BY) || startsWith(line, SIGNAL) || isGoroutineHeader(line, n)
                || equalsAt(line, n, FRAMES_ELIDED) || isGoFunctionLine(line, n)) {
            return Step.of(Action.JOIN, State.GO);
        }
        return null;
    }

    /** {@code goroutine 7 [running]:} (with or without Go 1.23's {@code gp=... m=...} between). */
    private static boolean isGoroutineHeader(byte[] line, int n) {
        if (!startsWith(line, GOROUTINE)) {
            return false;
        }
        int i = GOROUTINE.length;
        int digits = i;
        while (i < n && line[i] >= '0' && line[i] <= '9') {
            i++;
        }
        return i > digits && i < n && line[i] == ' ' && n >= 2 && line[n - 1] == ':' && line[n - 2] == ']'
                && indexOf(line, i, n, (byte) '[') > 0;
    }

    /** {@code main.(*conn).dial(...)}, {@code main.main()}, {@code panic({0x4a, 0x2})}: no space before the '('. */
    private static boolean isGoFunctionLine(byte[] line, int n) {
        if (line[n - 1] != ')' || line[0] == ' ') {
            return false;
        }
        for (int i = 0; i < n; i++) {
            byte b = line[i];
            if (b == '(' && i > 0) {
                return true; // the first '(' of a call, a receiver "(*T)" included: its prefix has no space
            }
            if (b == ' ') {
                return false;
            }
        }
        return false;
    }

    private static boolean isIdentifierStart(byte b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b == '_';
    }

    private static boolean isIdentifierPart(byte b) {
        return isIdentifierStart(b) || (b >= '0' && b <= '9');
    }

    /** The line's length without trailing white space (a CR from CRLF included). */
    static int trimmedLength(byte[] line) {
        int n = line.length;
        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r')) {
            n--;
        }
        return n;
    }

    private static boolean equalsAt(byte[] line, int n, byte[] word) {
        return n == word.length && startsWith(line, word);
    }

    private static boolean startsWith(byte[] line, byte[] prefix) {
        return startsWithAt(line, 0, prefix);
    }

    private static boolean startsWithAt(byte[] line, int at, byte[] prefix) {
        if (line.length - at < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (line[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] line, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (line[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** The Agent's stack-trace starts in auto multi-line: {@code panic: }, a goroutine header, {@code Exception in thread "}. */
    static boolean isAgentTraceStart(byte[] line) {
        int n = trimmedLength(line);
        return n > 0 && (startsWith(line, PANIC) || isGoroutineHeader(line, n)
                || startsWith(line, EXCEPTION_IN_THREAD));
    }

    private static byte[] bytes(String ascii) {
        return ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
