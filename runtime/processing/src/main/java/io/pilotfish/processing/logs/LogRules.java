package io.pilotfish.processing.logs;

import io.pilotfish.processing.regex.GoRegex;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code exclude_at_match}, {@code include_at_match} and {@code mask_sequences} rules, compiled once and applied in
 * their order to a whole (aggregated) message, as the Agent's processor does: each rule sees the previous one's
 * result, the first exclude that matches or include that does not drops the message. Patterns look at up to
 * {@value #MAX_MATCHED_CHARS} characters, the Agent's largest message. Immutable and thread-safe.
 *
 * <p>A rule whose regular expression needs too much work on a message ({@link GoRegex.Abandoned}) or fails in any
 * other way is handled so that nothing unwanted goes out and nothing is lost for nothing: an abandoned exclude
 * keeps the message (an exclude is a saving, not a safeguard), an abandoned include keeps it too (it may be the one
 * wanted), an abandoned mask drops it (a secret might go out unmasked). Each case is reported to the
 * {@link Listener}.
 */
public final class LogRules {

    /** The Agent's largest message (bytes; as characters, a bound at least as wide). */
    public static final int MAX_MATCHED_CHARS = 256_000;

    public static final LogRules NONE = new LogRules(new Compiled[0]);

    private final Compiled[] rules;

    private LogRules(Compiled[] rules) {
        this.rules = rules;
    }

    /**
     * Compiles the rules; {@code multi_line} rules are left out (they belong to {@link MultiLineSettings}).
     *
     * @throws IllegalArgumentException when a pattern does not compile (rules from {@link ProcessingRule#parseJson}
     *                                  were already checked)
     */
    public static LogRules compile(List<ProcessingRule> rules) {
        List<Compiled> compiled = new ArrayList<>(rules.size());
        for (ProcessingRule rule : rules) {
            if (rule.type() == ProcessingRule.Type.MULTI_LINE) {
                continue;
            }
            GoRegex regex;
            try {
                regex = GoRegex.compile(rule.pattern(), MAX_MATCHED_CHARS);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("rule '" + rule.name() + "': a pattern Go would not compile: "
                        + e.getMessage());
            }
            GoRegex.Replacement replacement = rule.type() == ProcessingRule.Type.MASK_SEQUENCES
                    ? regex.replacement(rule.replacePlaceholder() == null ? "" : rule.replacePlaceholder())
                    : null;
            compiled.add(new Compiled(rule.type(), rule.name(), regex, replacement));
        }
        return compiled.isEmpty() ? NONE : new LogRules(compiled.toArray(Compiled[]::new));
    }

    /** These rules, then {@code more}'s: global rules first, then a source's, as the Agent applies them. */
    public LogRules then(LogRules more) {
        if (more.rules.length == 0) {
            return this;
        }
        if (rules.length == 0) {
            return more;
        }
        Compiled[] all = Arrays.copyOf(rules, rules.length + more.rules.length);
        System.arraycopy(more.rules, 0, all, rules.length, more.rules.length);
        return new LogRules(all);
    }

    public boolean isEmpty() {
        return rules.length == 0;
    }

    /** How many rules, e.g. for a status page. */
    public int size() {
        return rules.length;
    }

    /** Result of applying the rules to one message. */
    public sealed interface Outcome {
        /** The message to send: the same array when no rule changed it. */
        record Kept(byte[] message, boolean masked) implements Outcome {
        }

        /** Not to be sent, because of the rule named. */
        record Dropped(String ruleName) implements Outcome {
        }
    }

    /** What the rules did to a message, for counters. Called on the applying thread. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** An exclude matched or an include did not: the message is dropped. */
        default void dropped(String rule, ProcessingRule.Type type) {
        }

        /** A mask changed the message. */
        default void masked(String rule) {
        }

        /**
         * The rule's expression was abandoned (too much work) or failed; {@code dropped} tells whether the message was
         * dropped for it (a mask) or kept (an exclude or include).
         */
        default void abandoned(String rule, ProcessingRule.Type type, boolean dropped) {
        }
    }

    /** The rules applied to one message (UTF-8); the same array back when nothing changed, never decoded when empty. */
    public Outcome apply(byte[] utf8Message) {
        return apply(utf8Message, Listener.NONE);
    }

    /** {@link #apply(byte[])}, telling {@code listener} what each rule did. */
    public Outcome apply(byte[] utf8Message, Listener listener) {
        if (rules.length == 0) {
            return new Outcome.Kept(utf8Message, false);
        }
        String text = new String(utf8Message, StandardCharsets.UTF_8);
        boolean masked = false;
        for (Compiled rule : rules) {
            try {
                switch (rule.type) {
                    case EXCLUDE_AT_MATCH -> {
                        if (rule.regex.find(text)) {
                            listener.dropped(rule.name, rule.type);
                            return new Outcome.Dropped(rule.name);
                        }
                    }
                    case INCLUDE_AT_MATCH -> {
                        if (!rule.regex.find(text)) {
                            listener.dropped(rule.name, rule.type);
                            return new Outcome.Dropped(rule.name);
                        }
                    }
                    case MASK_SEQUENCES -> {
                        String replaced = rule.regex.replaceAll(text, rule.replacement);
                        if (!replaced.equals(text)) {
                            text = replaced;
                            masked = true;
                            listener.masked(rule.name);
                        }
                    }
                    default -> {
                    }
                }
            } catch (RuntimeException | StackOverflowError e) {
                // GoRegex.Abandoned, or anything else a rule throws: never let it reach the collector
                boolean drop = rule.type == ProcessingRule.Type.MASK_SEQUENCES;
                listener.abandoned(rule.name, rule.type, drop);
                if (drop) {
                    return new Outcome.Dropped(rule.name);
                }
            }
        }
        return new Outcome.Kept(masked ? text.getBytes(StandardCharsets.UTF_8) : utf8Message, masked);
    }

    private record Compiled(ProcessingRule.Type type, String name, GoRegex regex, GoRegex.Replacement replacement) {
    }
}
