package io.pilotfish.collector.dogstatsd;

import java.util.Locale;

/** Why a message was dropped; the lower-case name is the {@code reason:} tag of the error count. */
public enum ParseError {
    /** Not {@code name:value|type}: no {@code |}, no {@code :}, or an empty name. */
    MALFORMED,
    /** A type other than {@code c g ms h s d}. */
    BAD_TYPE,
    /** No value, or none left after skipping empty packed values. */
    MISSING_VALUE,
    /** A value that is not a decimal number. */
    BAD_VALUE,
    /** NaN or infinite: no Datadog intake can carry it. */
    NON_FINITE,
    /** A sample rate that is not a number or cannot weigh its type: 0 or less on a count, negative on a histogram. */
    BAD_SAMPLE_RATE,
    /** A {@code T} timestamp that is not a positive whole number of seconds. */
    BAD_TIMESTAMP,
    /** An empty tag name ({@code :value}) or a tag longer than the limit. */
    BAD_TAGS,
    /** More tags than the limit. */
    TOO_MANY_TAGS,
    /** A metric name longer than the limit. */
    NAME_TOO_LONG,
    /** Bytes that are not UTF-8. */
    BAD_UTF8,
    /** An event ({@code _e{...}}) that does not follow its grammar. */
    BAD_EVENT,
    /** A service check ({@code _sc|...}) that does not follow its grammar. */
    BAD_SERVICE_CHECK;

    public String tag() {
        return "reason:" + name().toLowerCase(Locale.ROOT);
    }
}
