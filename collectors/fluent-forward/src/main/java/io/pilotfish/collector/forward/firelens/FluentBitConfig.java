package io.pilotfish.collector.forward.firelens;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Fluent Bit configuration in its classic format, as ECS generates it for a FireLens log router and mounts it at
 * {@value #FIRELENS_PATH}: {@code [SECTION]} headers, one {@code Key value} entry a line, {@code #} comments,
 * {@code @INCLUDE file} (followed, for the user's own config that ECS includes), {@code @SET name=value} and
 * {@code ${NAME}} variables (from {@code @SET} first, then the environment, as Fluent Bit resolves them). Keys are
 * case-insensitive, as in Fluent Bit. Only the parts Pilotfish acts on are kept: the sections and their entries.
 */
public final class FluentBitConfig {

    /** Where ECS puts the generated configuration in the log router's container. */
    public static final String FIRELENS_PATH = "/fluent-bit/etc/fluent-bit.conf";
    /** A configuration file larger than this is refused: ECS's are a few kilobytes. */
    static final long MAX_FILE_BYTES = 1024 * 1024;
    /** Includes nested deeper than this are refused (a file including itself would never end). */
    static final int MAX_INCLUDE_DEPTH = 4;

    private static final Pattern SECTION = Pattern.compile("^\\[\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*]$");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    /**
     * One section, e.g. an {@code [OUTPUT]}.
     *
     * @param name    upper-cased ({@code OUTPUT})
     * @param entries keys lower-cased, values as written (variables resolved), in file order; a key written twice
     *                keeps its last value
     * @param where   the file and line of its header, for messages
     */
    public record Section(String name, Map<String, String> entries, List<Map.Entry<String, String>> all,
                          String where) {
        public Optional<String> get(String key) {
            return Optional.ofNullable(entries.get(key.toLowerCase(Locale.ROOT)));
        }

        /** Every value of a key written several times ({@code Record}, {@code Regex}), in file order. */
        public List<String> values(String key) {
            String k = key.toLowerCase(Locale.ROOT);
            return all.stream().filter(e -> e.getKey().equals(k)).map(Map.Entry::getValue).toList();
        }
    }

    private final List<Section> sections;

    private FluentBitConfig(List<Section> sections) {
        this.sections = List.copyOf(sections);
    }

    public List<Section> sections() {
        return sections;
    }

    /** The sections named {@code name} ({@code OUTPUT}, {@code INPUT}, ...), in file order. */
    public List<Section> sections(String name) {
        return sections.stream().filter(s -> s.name().equalsIgnoreCase(name)).toList();
    }

    /** Reads {@code file} and the files it includes. */
    public static FluentBitConfig read(Path file, Map<String, String> env) throws FluentBitConfigException {
        Parser parser = new Parser(env);
        parser.file(file, 0);
        return new FluentBitConfig(parser.sections);
    }

    /** Parses {@code text}; an {@code @INCLUDE} is resolved against {@code directory}. */
    public static FluentBitConfig parse(String text, String name, Path directory, Map<String, String> env)
            throws FluentBitConfigException {
        Parser parser = new Parser(env);
        parser.text(text, name, directory, 0);
        return new FluentBitConfig(parser.sections);
    }

    /** Where AWS's Fluent Bit image keeps the configurations a task definition may include by name. */
    static final Path AWS_CONFIGS = Path.of("/fluent-bit/configs");

    private static final String PARSE_JSON = """
            [FILTER]
                Name         parser
                Match        *
                Key_Name     log
                Parser       json
                Reserve_Data True
            """;
    private static final String JOIN_PIECES = """
            [FILTER]
                Name                  multiline
                Match                 *
                multiline.key_content log
                mode                  partial_message
            """;

    /**
     * What AWS's image ({@code aws-for-fluent-bit}) has in {@link #AWS_CONFIGS} for logs, which FireLens users include
     * with {@code config-file-type file} (AWS's FireLens examples use {@code parse-json.conf}): the same filters, so that
     * a task definition that includes one reads the same here. Their {@code [SERVICE]} settings (flush interval,
     * grace period) are Fluent Bit's own and have no effect here, so they are left out.
     */
    static final Map<String, String> AWS_BUILT_INS = Map.of(
            "parse-json.conf", PARSE_JSON,
            "multiline-parse-json.conf", JOIN_PIECES + PARSE_JSON,
            "parse-multiline-json.conf", PARSE_JSON + JOIN_PIECES,
            "minimize-log-loss.conf", "");

    private static final class Parser {
        private final Map<String, String> env;
        private final Map<String, String> set = new LinkedHashMap<>();
        private final List<Section> sections = new ArrayList<>();

        Parser(Map<String, String> env) {
            this.env = env;
        }

        void file(Path file, int depth) throws FluentBitConfigException {
            String builtIn = file.isAbsolute() && AWS_CONFIGS.equals(file.getParent()) && !Files.exists(file)
                    ? AWS_BUILT_INS.get(file.getFileName().toString()) : null;
            if (builtIn != null) {
                text(builtIn, file + " (AWS's, as built in)", AWS_CONFIGS, depth);
                return;
            }
            if (depth > MAX_INCLUDE_DEPTH) {
                throw new FluentBitConfigException(file + ": @INCLUDE nested deeper than " + MAX_INCLUDE_DEPTH
                        + " files; check that no file includes itself");
            }
            String text;
            try {
                long size = Files.size(file);
                if (size > MAX_FILE_BYTES) {
                    throw new FluentBitConfigException(file + " is " + size + " bytes; a Fluent Bit configuration "
                            + "over " + MAX_FILE_BYTES + " bytes is not read");
                }
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                String hint = file.isAbsolute() && AWS_CONFIGS.equals(file.getParent())
                        ? " (of AWS's image's configurations, these are built in: "
                        + String.join(", ", new java.util.TreeSet<>(AWS_BUILT_INS.keySet())) + ")" : "";
                throw new FluentBitConfigException("cannot read " + file + ": " + e.getMessage() + hint);
            }
            Path parent = file.toAbsolutePath().getParent();
            text(text, file.toString(), parent, depth);
        }

        void text(String text, String name, Path directory, int depth) throws FluentBitConfigException {
            String[] lines = text.split("\r?\n", -1);
            String sectionName = null;
            Map<String, String> entries = null;
            List<Map.Entry<String, String>> all = null;
            String where = null;
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                String at = name + ":" + (i + 1);
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.regionMatches(true, 0, "@INCLUDE", 0, 8)) {
                    String target = resolve(line.substring(8).strip(), at);
                    if (target.isEmpty()) {
                        throw new FluentBitConfigException(at + ": @INCLUDE without a file");
                    }
                    close(sectionName, entries, all, where);
                    sectionName = null;
                    Path included = Path.of(target);
                    if (!included.isAbsolute() && directory != null) {
                        included = directory.resolve(included);
                    }
                    file(included, depth + 1);
                    continue;
                }
                if (line.regionMatches(true, 0, "@SET", 0, 4)) {
                    String assignment = line.substring(4).strip();
                    int eq = assignment.indexOf('=');
                    if (eq <= 0) {
                        throw new FluentBitConfigException(at + ": @SET needs name=value, got '" + assignment + "'");
                    }
                    set.put(assignment.substring(0, eq).strip(), resolve(assignment.substring(eq + 1).strip(), at));
                    continue;
                }
                if (line.startsWith("@")) {
                    continue; // other directives (@INCLUDE variants of newer versions) change nothing we act on
                }
                Matcher header = SECTION.matcher(line);
                if (header.matches()) {
                    close(sectionName, entries, all, where);
                    sectionName = header.group(1).toUpperCase(Locale.ROOT);
                    entries = new LinkedHashMap<>();
                    all = new ArrayList<>();
                    where = at;
                    continue;
                }
                if (line.startsWith("[")) {
                    throw new FluentBitConfigException(at + ": '" + firstWord(line)
                            + "' is not a section header like [OUTPUT]");
                }
                if (sectionName == null) {
                    throw new FluentBitConfigException(at + ": '" + firstWord(line)
                            + "' is outside any section; entries go under a header like [OUTPUT]");
                }
                int space = firstSpace(line);
                String key = (space < 0 ? line : line.substring(0, space)).toLowerCase(Locale.ROOT);
                String value = space < 0 ? "" : line.substring(space).strip();
                String resolved = resolve(value, at);
                entries.put(key, resolved);
                all.add(Map.entry(key, resolved));
            }
            close(sectionName, entries, all, where);
        }

        private void close(String sectionName, Map<String, String> entries, List<Map.Entry<String, String>> all,
                           String where) {
            if (sectionName != null) {
                sections.add(new Section(sectionName, java.util.Collections.unmodifiableMap(entries),
                        List.copyOf(all), where));
            }
        }

        /** ${NAME}: @SET first, then the environment; an unknown one becomes "", as Fluent Bit makes it. */
        private String resolve(String value, String at) {
            if (value.indexOf("${") < 0) {
                return value;
            }
            Matcher m = VARIABLE.matcher(value);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String name = m.group(1);
                String replacement = set.containsKey(name) ? set.get(name) : env.getOrDefault(name, "");
                m.appendReplacement(out, Matcher.quoteReplacement(replacement));
            }
            m.appendTail(out);
            return out.toString();
        }

        private static int firstSpace(String line) {
            for (int i = 0; i < line.length(); i++) {
                if (Character.isWhitespace(line.charAt(i))) {
                    return i;
                }
            }
            return -1;
        }

        private static String firstWord(String line) {
            int space = firstSpace(line);
            String word = space < 0 ? line : line.substring(0, space);
            return word.length() > 40 ? word.substring(0, 40) + "..." : word;
        }
    }
}
