package io.pilotfish.processing.logs;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Whether a line starts with a timestamp, for auto multi-line detection. The Agent (v2) tokenizes a line's first
 * 60 bytes and scores the tokens against a graph built from some sixty known timestamp layouts; this reads the same
 * 60 bytes and tries the same layouts written as a few anchored expressions (ISO 8601 and its variants, syslog,
 * RFC 1123/2822, Apache's {@code 28/Mar/2024:13:45:30}, US and European dates, Java's SimpleFormatter, glog, bare
 * times), after an optional {@code [} or {@code <}.
 */
final class Timestamps {

    /** The Agent's {@code logs_config.auto_multi_line.tokenizer_max_input_bytes}. */
    static final int MAX_INPUT_BYTES = 60;

    private static final String MON = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*";
    private static final String DAY = "(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*";
    private static final String TIME = "\\d{1,2}:\\d{2}";

    private static final Pattern LAYOUTS = Pattern.compile("[\\[<]?(?:"
            // 2024-03-28T13:45:30, 2024/04/12 19:37:50, 2017-05-16_13:53:08, 2024-08-20'T'13:20:10, 2024-03.28T14-33
            + "\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}(?:[T _*]|'T')\\d{1,2}[:-]\\d{2}"
            // 2021-01-31 alone (the Agent's strict date)
            + "|\\d{4}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\\d|3[01])(?!\\d)"
            // 24-06-26 02:31:29, 06/01/24 04:11:05, 11/24/2024*05:13:11, 9/28/2024 2:23:15 PM
            + "|\\d{1,2}[-/]\\d{1,2}[-/]\\d{2,4}[ *T]" + TIME
            // 28/Mar/2024:13:45:30, 23 Apr 2024 11:42:35, 23-Apr-2024 11:42:35, 02 Jan 06 15:04 MST, 23/Apr 11:42:35
            + "|\\d{1,2}[-/ ]" + MON + "(?:[-/ ]\\d{2,4})?[: ]" + TIME
            // Sun, 28 Mar 2024 13:45:30
            + "|" + DAY + ",? \\d{1,2} " + MON + " \\d{2,4} " + TIME
            // Mar 16 08:12:04, Jul 1 09:00:55, Dec 2, 2024 2:39:58 AM, Mon Jan  2 15:04:05 2006, Jun 09 2024 15:28:14
            + "|(?:" + DAY + " )?" + MON + " +\\d{1,2},?(?: \\d{4})? " + TIME
            // 2024 Mar 03 05:12:41.211 PDT
            + "|\\d{4} " + MON + " \\d{1,2} " + TIME
            // glog/klog: I1205 16:40:00.123456
            + "|[IWEF]\\d{4} " + TIME + ":\\d{2}"
            // 11:42:35, 11:42:35.173, 11:42:35,173
            + "|\\d{1,2}:\\d{2}:\\d{2}(?:[.,]\\d+)?(?![\\d:])"
            + ")", Pattern.CASE_INSENSITIVE);

    private Timestamps() {
    }

    /** True when the line's first bytes are a timestamp. */
    static boolean startsWithTimestamp(byte[] line) {
        if (line.length < 5) {
            return false;
        }
        byte first = line[0];
        boolean plausible = (first >= '0' && first <= '9') || (first >= 'A' && first <= 'Z')
                || (first >= 'a' && first <= 'z') || first == '[' || first == '<';
        if (!plausible) {
            return false;
        }
        // ISO-8859-1 maps each byte to one char: the layouts are ASCII, anything else simply does not match
        String head = new String(line, 0, Math.min(line.length, MAX_INPUT_BYTES), StandardCharsets.ISO_8859_1);
        return LAYOUTS.matcher(head).lookingAt();
    }
}
