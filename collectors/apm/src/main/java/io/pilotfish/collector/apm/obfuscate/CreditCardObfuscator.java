package io.pilotfish.collector.apm.obfuscate;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.CreditCardSettings;
import java.util.Set;

/**
 * The Datadog Agent's card-number scrubbing of tag values ({@code pkg/obfuscate/credit_cards.go}): a value made of 12
 * to 16 digits (spaces and dashes ignored) that starts with a card issuer's prefix becomes {@code ?}; with
 * {@code luhn} the check digit must also be right. Tags known never to hold a card number, tags whose key starts with
 * {@code _}, and the configured {@code keep_values} are not scanned. Thread-safe; one pass over the value, which stops
 * at the first character that rules a card out.
 */
public final class CreditCardObfuscator {

    /** Tags the Agent never scans. */
    private static final Set<String> NEVER_CARDS = Set.of(
            "_sample_rate", "_sampling_priority_v1", "account_id", "aws_account", "error", "error.msg", "error.type",
            "error.stack", "env", "graphql.field", "graphql.query", "graphql.type", "graphql.operation.name",
            "grpc.code", "grpc.method", "grpc.request", "http.status_code", "http.method", "runtime-id", "out.host",
            "out.port", "sampling.priority", "span.type", "span.name", "service.name", "service", "sql.query",
            "version",
            // Data Jobs Monitoring ids, which often look like card numbers
            "databricks_job_id", "databricks_job_run_id", "databricks_task_run_id", "config.spark_app_startTime");

    private final boolean luhn;
    private final Set<String> keepValues;

    public CreditCardObfuscator(CreditCardSettings settings) {
        this.luhn = settings.luhn();
        this.keepValues = settings.keepValues();
    }

    /** Whether the value of this tag is scanned at all. */
    public boolean shouldScan(String key) {
        return !key.startsWith("_") && !NEVER_CARDS.contains(key) && !keepValues.contains(key);
    }

    /** {@code ?} if the value looks like a card number, else the value itself (the same instance). */
    public String obfuscate(String value) {
        return isCardNumber(value, luhn) ? "?" : value;
    }

    /** Whether the text could be a card number: digits, spaces and dashes only, 12 to 16 digits, a known prefix. */
    public static boolean isCardNumber(String text, boolean luhn) {
        int length = text.length();
        if (length < 12) {
            return false;
        }
        char first = text.charAt(0);
        if (first != ' ' && first != '-' && (first < '0' || first > '9')) {
            return false;
        }
        int prefix = 0;
        int count = 0;
        boolean foundPrefix = false;
        // Luhn doubles every second digit counting from the last, whose place is not known yet: keep the sum for an
        // odd and for an even number of digits, and pick one at the end.
        int sumIfOddCount = 0;
        int sumIfEvenCount = 0;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c == ' ' || c == '-') {
                continue;
            }
            if (c < '0' || c > '9') {
                return false;
            }
            int digit = c - '0';
            count++;
            if (count > 16) {
                return false;
            }
            if (luhn) {
                int doubled = digit * 2;
                doubled = doubled > 9 ? doubled % 10 + 1 : doubled;
                sumIfOddCount += count % 2 == 1 ? digit : doubled;
                sumIfEvenCount += count % 2 == 1 ? doubled : digit;
            }
            if (!foundPrefix) {
                prefix = prefix * 10 + digit;
                int verdict = prefixVerdict(prefix);
                if (verdict == PREFIX_YES) {
                    foundPrefix = true;
                } else if (verdict == PREFIX_NO) {
                    return false;
                }
            }
        }
        if (count < 12 || !foundPrefix) {
            return false;
        }
        if (!luhn) {
            return true;
        }
        int sum = count % 2 == 0 ? sumIfEvenCount : sumIfOddCount;
        return sum % 10 == 0;
    }

    static final int PREFIX_NO = 0;
    static final int PREFIX_MAYBE = 1;
    static final int PREFIX_YES = 2;

    /**
     * Whether the leading digits read so far are an issuer prefix (IIN), could become one with more digits, or
     * cannot: the Agent's table.
     */
    static int prefixVerdict(int n) {
        if (n > 699999) {
            return PREFIX_NO;
        }
        if (n < 10) {
            return switch (n) {
                case 1, 4 -> PREFIX_YES;
                case 2, 3, 5, 6 -> PREFIX_MAYBE;
                default -> PREFIX_NO;
            };
        }
        if (n < 100) {
            if ((n >= 34 && n <= 39) || (n >= 51 && n <= 55) || n == 62 || n == 65) {
                return PREFIX_YES;
            }
            if (n == 30 || n == 63 || n == 64 || n == 50 || n == 60 || (n >= 22 && n <= 27) || (n >= 56 && n <= 58)
                    || (n >= 60 && n <= 69)) {
                return PREFIX_MAYBE;
            }
            return PREFIX_NO;
        }
        if (n < 1000) {
            if ((n >= 300 && n <= 305) || (n >= 644 && n <= 649) || n == 309 || n == 636) {
                return PREFIX_YES;
            }
            if ((n >= 352 && n <= 358) || n == 501 || n == 601 || (n >= 222 && n <= 272) || (n >= 500 && n <= 509)
                    || (n >= 560 && n <= 589) || (n >= 600 && n <= 699)) {
                return PREFIX_MAYBE;
            }
            return PREFIX_NO;
        }
        if (n < 10000) {
            if ((n >= 3528 && n <= 3589) || n == 5019 || n == 6011) {
                return PREFIX_YES;
            }
            if ((n >= 2221 && n <= 2720) || (n >= 5000 && n <= 5099) || (n >= 5600 && n <= 5899)
                    || (n >= 6000 && n <= 6999)) {
                return PREFIX_MAYBE;
            }
            return PREFIX_NO;
        }
        if (n < 100000) {
            if ((n >= 22210 && n <= 27209) || (n >= 50000 && n <= 50999) || (n >= 56000 && n <= 58999)
                    || (n >= 60000 && n <= 69999)) {
                return PREFIX_MAYBE;
            }
            return PREFIX_NO;
        }
        if ((n >= 222100 && n <= 272099) || (n >= 500000 && n <= 509999) || (n >= 560000 && n <= 589999)
                || (n >= 600000 && n <= 699999)) {
            return PREFIX_YES;
        }
        return PREFIX_NO;
    }
}
