package io.pilotfish.collector.apm.obfuscate;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The Datadog Agent's Redis (and Valkey) rules ({@code pkg/obfuscate/redis.go}, {@code redis_tokenizer.go}): the
 * resource becomes the command names, the raw command keeps its keys but loses the values each command writes. All
 * three functions are pure, and linear in their input.
 */
public final class RedisObfuscator {

    /** Tracing libraries end a command they cut with this. */
    private static final String TRUNCATION_MARK = "...";
    private static final int MAX_COMMANDS_IN_RESOURCE = 3;
    /** Commands whose name is two words, e.g. {@code CLIENT LIST}. */
    private static final Set<String> COMPOUND_COMMANDS = Set.of("CLIENT", "CLUSTER", "COMMAND", "CONFIG", "DEBUG",
            "SCRIPT");

    private RedisObfuscator() {
    }

    /**
     * The resource of a {@code redis} or {@code valkey} span: the names of its first three commands in upper case
     * ({@code GET k\nSET k v} gives {@code GET SET}), then {@code ...} if there were more or the last was cut.
     */
    public static String quantize(String query) {
        String compacted = compactSpaces(query);
        StringBuilder resource = new StringBuilder();
        boolean truncated = false;
        int commands = 0;
        int from = 0;
        while (from < compacted.length() && commands < MAX_COMMANDS_IN_RESOURCE) {
            int newline = compacted.indexOf('\n', from);
            int to = newline < 0 ? compacted.length() : newline;
            String line = trimSpaces(compacted.substring(from, to));
            from = newline < 0 ? compacted.length() : newline + 1;
            if (line.isEmpty()) {
                continue;
            }
            String[] args = line.split(" ", 3);
            if (args[0].endsWith(TRUNCATION_MARK)) {
                truncated = true;
                continue;
            }
            String command = GoStrings.toUpper(args[0]);
            if (COMPOUND_COMMANDS.contains(command) && args.length > 1) {
                if (args[1].endsWith(TRUNCATION_MARK)) {
                    truncated = true;
                    continue;
                }
                command += " " + GoStrings.toUpper(args[1]);
            }
            resource.append(' ').append(command);
            commands++;
            truncated = false;
        }
        if (commands == MAX_COMMANDS_IN_RESOURCE || truncated) {
            resource.append(" ...");
        }
        return trimSpaces(resource.toString());
    }

    /**
     * The {@code redis.raw_command} tag with the values of known writing commands replaced by {@code ?}
     * ({@code SET key value} gives {@code SET key ?}, {@code AUTH secret} gives {@code AUTH ?}). Quoted arguments may
     * hold spaces and newlines; commands are separated by newlines.
     */
    public static String obfuscate(String command) {
        Tokenizer tokenizer = new Tokenizer(command);
        StringBuilder out = new StringBuilder(command.length());
        String name = "";
        List<String> args = new ArrayList<>();
        while (true) {
            String token = tokenizer.scan();
            if (tokenizer.lastWasCommand) {
                if (!name.isEmpty()) {
                    obfuscateCommand(out, name, args);
                    out.append('\n');
                }
                name = token;
                args.clear();
            } else {
                args.add(token);
            }
            if (tokenizer.done) {
                obfuscateCommand(out, name, args);
                return out.toString();
            }
        }
    }

    /**
     * The raw command with every argument replaced by one {@code ?}, for {@code remove_all_args}; the sub-command of
     * {@code CONFIG} and the operations of {@code BITFIELD} are kept.
     */
    public static String removeAllArgs(String command) {
        List<String> fields = GoStrings.fields(command);
        if (fields.size() == 0) {
            return "";
        }
        String name = fields.get(0);
        StringBuilder out = new StringBuilder(name);
        if (fields.size() == 1) {
            return out.toString();
        }
        out.append(' ');
        switch (GoStrings.toUpper(name)) {
            case "BITFIELD" -> {
                out.append('?');
                for (int i = 1; i < fields.size(); i++) {
                    String arg = GoStrings.toUpper(fields.get(i));
                    if (arg.equals("SET") || arg.equals("GET") || arg.equals("INCRBY")) {
                        out.append(' ').append(fields.get(i)).append(" ?");
                    }
                }
            }
            case "CONFIG" -> {
                String arg = GoStrings.toUpper(fields.get(1));
                if (arg.equals("GET") || arg.equals("SET") || arg.equals("RESETSTAT") || arg.equals("REWRITE")) {
                    out.append(fields.get(1)).append(" ?");
                } else {
                    out.append('?');
                }
            }
            default -> out.append('?');
        }
        return out.toString();
    }

    private static void obfuscateCommand(StringBuilder out, String name, List<String> args) {
        out.append(name);
        if (args.isEmpty()) {
            return;
        }
        out.append(' ');
        int count = args.size();
        switch (GoStrings.toUpper(name)) {
            case "AUTH" -> {
                args.set(0, "?"); // AUTH [username] password: everything
                count = 1;
            }
            case "APPEND", "GETSET", "LPUSHX", "GEORADIUSBYMEMBER", "RPUSHX", "SET", "SETNX", "SISMEMBER", "ZRANK",
                 "ZREVRANK", "ZSCORE" -> replace(args, 1); // KEY value ...
            case "HSET", "HSETNX", "LREM", "LSET", "SETBIT", "SETEX", "PSETEX", "SETRANGE", "ZINCRBY", "SMOVE",
                 "RESTORE" -> replace(args, 2); // KEY field value ...
            case "LINSERT" -> replace(args, 3); // KEY BEFORE|AFTER pivot value
            case "GEOHASH", "GEOPOS", "GEODIST", "LPUSH", "RPUSH", "SREM", "ZREM", "SADD" -> {
                if (count > 1) { // KEY member [member ...]: one '?' for all members
                    args.set(1, "?");
                    count = 2;
                }
            }
            case "GEOADD" -> replaceEvery(args, 1, 3); // KEY longitude latitude member ...
            case "HMSET" -> replaceEvery(args, 1, 2); // KEY field value ...
            case "MSET", "MSETNX" -> replaceEvery(args, 0, 2); // key value ...
            case "CONFIG" -> {
                if (GoStrings.toUpper(args.get(0)).equals("SET")) {
                    replace(args, 2); // CONFIG SET parameter value
                }
            }
            case "BITFIELD" -> {
                int set = 0; // the value of the last SET operation, three places after it
                for (int i = 0; i < args.size(); i++) {
                    if (GoStrings.toUpper(args.get(i)).equals("SET")) {
                        set = i;
                    }
                    if (set > 0 && i - set == 3) {
                        args.set(i, "?");
                        break;
                    }
                }
            }
            case "ZADD" -> { // KEY [NX|XX] [CH] [INCR] score member ...
                int i = 0;
                for (; i < args.size(); i++) {
                    if (i == 0) {
                        continue;
                    }
                    String arg = args.get(i);
                    if (!arg.equals("NX") && !arg.equals("XX") && !arg.equals("CH") && !arg.equals("INCR")) {
                        break;
                    }
                }
                replaceEvery(args, Math.min(i, args.size() - 1), 2);
            }
            default -> {
            }
        }
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                out.append(' ');
            }
            out.append(args.get(i));
        }
    }

    private static void replace(List<String> args, int n) {
        if (args.size() > n) {
            args.set(n, "?");
        }
    }

    private static void replaceEvery(List<String> args, int start, int step) {
        for (int i = start + step - 1; i < args.size(); i += step) {
            args.set(i, "?");
        }
    }

    /** Runs of spaces (only U+0020) become one, and the ends lose theirs; newlines and tabs stay. */
    private static String compactSpaces(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ') {
                if (!space) {
                    out.append(' ');
                }
                space = true;
            } else {
                out.append(c);
                space = false;
            }
        }
        return trimSpaces(out.toString());
    }

    private static String trimSpaces(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == ' ') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == ' ') {
            end--;
        }
        return s.substring(start, end);
    }

    /**
     * Splits a command string into a command name, then arguments, then the next command after a newline. A quoted
     * argument (double quotes, backslash escapes) keeps its spaces and newlines and its quotes.
     */
    private static final class Tokenizer {
        private final String data;
        private int offset = -1;
        private char ch;
        private boolean commandNext = true;
        boolean done;
        boolean lastWasCommand;

        Tokenizer(String command) {
            this.data = GoStrings.trimSpace(command);
        }

        String scan() {
            lastWasCommand = commandNext;
            return commandNext ? scanCommand() : scanArgument();
        }

        private void next() {
            offset++;
            if (offset < data.length()) {
                ch = data.charAt(offset);
            } else {
                done = true;
            }
        }

        private void unread() {
            if (offset < 1) {
                return;
            }
            offset--;
            ch = data.charAt(offset);
        }

        private String scanCommand() {
            StringBuilder name = new StringBuilder();
            boolean started = false;
            while (true) {
                next();
                if (done) {
                    return name.toString();
                }
                if (ch == ' ') {
                    if (started) {
                        commandNext = false;
                        skipSpace();
                        return name.toString();
                    }
                    skipSpace(); // spaces before the name
                } else if (ch == '\n') {
                    return name.toString();
                } else {
                    name.append(ch);
                }
                started = true; // also after leading spaces, as in the Agent
            }
        }

        private String scanArgument() {
            StringBuilder arg = new StringBuilder();
            boolean quoted = false;
            boolean escape = false;
            while (true) {
                next();
                if (done) {
                    return arg.toString();
                }
                switch (ch) {
                    case '\\' -> {
                        arg.append('\\');
                        if (!escape) {
                            escape = true;
                            continue;
                        }
                    }
                    case '\n' -> {
                        if (!quoted) {
                            commandNext = true; // the next token starts a command
                            return arg.toString();
                        }
                        arg.append('\n');
                    }
                    case '"' -> {
                        arg.append('"');
                        if (!escape) {
                            quoted = !quoted;
                        }
                    }
                    case ' ' -> {
                        if (!quoted) {
                            skipSpace();
                            return arg.toString();
                        }
                        arg.append(' ');
                    }
                    default -> arg.append(ch);
                }
                escape = false;
            }
        }

        /** Moves onto the last of a run of blanks; a newline after them means a command follows. */
        private void skipSpace() {
            while ((ch == ' ' || ch == '\t' || ch == '\r') && !done) {
                next();
            }
            if (ch == '\n') {
                commandNext = true;
            } else {
                unread();
            }
        }
    }
}
