package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The DogStatsD grammar as the Datadog Agent accepts it, and every kind of bad input. */
class DogStatsdParserTest {

    private static final long NOW = 1_700_000_000L;

    record Failure(ParseError reason, String message) {
    }

    static class Collected implements DogStatsdParser.Handler {
        final List<MetricSample> metrics = new ArrayList<>();
        final List<Event> events = new ArrayList<>();
        final List<ServiceCheck> checks = new ArrayList<>();
        final List<Origin> origins = new ArrayList<>();
        final List<Failure> errors = new ArrayList<>();

        @Override
        public void metric(MetricSample sample) {
            metrics.add(sample.copy()); // the parser refills its sample for the next message
        }

        @Override
        public void event(Event event, Origin origin) {
            events.add(event);
            origins.add(origin);
        }

        @Override
        public void serviceCheck(ServiceCheck check, Origin origin) {
            checks.add(check);
            origins.add(origin);
        }

        @Override
        public void error(ParseError reason, String message) {
            errors.add(new Failure(reason, message));
        }
    }

    private final DogStatsdParser parser = new DogStatsdParser(DogStatsdParser.Limits.DEFAULTS, () -> NOW);

    private Collected parse(String packet) {
        return parse(packet.getBytes(StandardCharsets.UTF_8));
    }

    private Collected parse(byte[] packet) {
        Collected out = new Collected();
        parser.parse(packet, 0, packet.length, out);
        return out;
    }

    private MetricSample one(String line) {
        Collected out = parse(line);
        assertEquals(List.of(), out.errors, line);
        assertEquals(1, out.metrics.size(), line);
        return out.metrics.get(0);
    }

    private Failure failure(String line) {
        Collected out = parse(line);
        assertEquals(0, out.metrics.size() + out.events.size() + out.checks.size(), "accepted: " + line);
        assertEquals(1, out.errors.size(), line);
        return out.errors.get(0);
    }

    @ParameterizedTest
    @CsvSource({"g, GAUGE", "c, COUNT", "h, HISTOGRAM", "ms, TIMING", "d, DISTRIBUTION", "s, SET"})
    void everyType(String code, StatsdType type) {
        MetricSample sample = one("page.views:12|" + code);
        assertEquals("page.views", sample.name());
        assertEquals(type, sample.type());
        if (type == StatsdType.SET) {
            assertEquals("12", sample.setMember());
            assertEquals(0, sample.values().length);
        } else {
            assertArrayEquals(new double[] {12}, sample.values());
        }
        assertEquals(1.0, sample.sampleRate());
        assertEquals(TagSet.EMPTY, sample.tags());
        assertEquals(Origin.NONE, sample.origin());
        assertEquals(0, sample.timestamp());
    }

    @Test
    void everyOptionalFieldInAnyOrder() {
        MetricSample sample = one("api.latency:1.5:2:-3e2|ms|#env:prod,team:web,canary|@0.25|T1699999990"
                + "|c:ci-abc123|e:it-false,cn-app|card:high|x:unknown-field");
        assertArrayEquals(new double[] {1.5, 2, -300}, sample.values());
        assertEquals(0.25, sample.sampleRate());
        assertEquals(TagSet.of("env:prod", "team:web", "canary"), sample.tags());
        assertEquals(1_699_999_990L, sample.timestamp());
        assertTrue(sample.timestamped());
        assertEquals(new Origin("abc123", "it-false,cn-app", Origin.TagCardinality.HIGH), sample.origin());
    }

    @Test
    void packedValuesSkipEmptyOnesButSetsKeepTheRawValue() {
        assertArrayEquals(new double[] {1, 2}, one("m:1::2:|c").values());
        assertEquals("a:b::c", one("users:a:b::c|s").setMember());
    }

    @Test
    void repeatedNamesTagsAndContainersComeBackEqualAndACopyOutlivesTheNextMessage() {
        DogStatsdParser parser = new DogStatsdParser(DogStatsdParser.Limits.DEFAULTS, () -> 0);
        List<MetricSample> seen = new ArrayList<>();
        List<MetricSample> copies = new ArrayList<>();
        byte[] packet = ("a.b:1:2|c|#x:1,y|c:ci-f00\na.b:3|c|#x:1,y|c:ci-f00\nother:4.5|g|#z")
                .getBytes(StandardCharsets.UTF_8);
        parser.parse(packet, 0, packet.length, new Collected() {
            @Override
            public void metric(MetricSample sample) {
                seen.add(sample);
                copies.add(sample.copy());
            }
        });

        assertEquals(3, copies.size());
        assertArrayEquals(new double[] {1, 2}, copies.get(0).values());
        assertArrayEquals(new double[] {3}, copies.get(1).values());
        assertEquals("other", copies.get(2).name());
        assertArrayEquals(new double[] {4.5}, copies.get(2).values());
        assertEquals(TagSet.of("x:1", "y"), copies.get(1).tags());
        assertEquals("f00", copies.get(1).origin().containerId());
        // Found again by their bytes: the same objects, not equal new ones.
        assertSame(copies.get(0).name(), copies.get(1).name());
        assertSame(copies.get(0).tags(), copies.get(1).tags());
        assertSame(copies.get(0).origin().containerId(), copies.get(1).origin().containerId());
        // The handler is given one sample, refilled: what it keeps without copying shows the last message.
        assertSame(seen.get(0), seen.get(2));
        assertEquals("other", seen.get(0).name());
    }

    @Test
    void containerIdForms() {
        assertEquals("abc", one("m:1|c|c:ci-abc").origin().containerId());
        assertEquals("abc", one("m:1|c|c:in-42,ci-abc").origin().containerId());
        assertEquals("deadbeef", one("m:1|c|c:deadbeef").origin().containerId(), "bare id of older clients");
        assertEquals("", one("m:1|c|c:in-42").origin().containerId(), "an inode alone names no container here");
        assertEquals(Origin.TagCardinality.DEFAULT, one("m:1|c|card:bogus").origin().cardinality());
    }

    @Test
    void manyMessagesPerPacketWithCrLfAndNoFinalNewline() {
        Collected out = parse("a:1|c\r\nb:2|g\n\n_sc|db|0\nc:3|h");
        assertEquals(List.of("a", "b", "c"), out.metrics.stream().map(MetricSample::name).toList());
        assertEquals(1, out.checks.size());
        assertEquals(List.of(), out.errors);
    }

    @Test
    void aBadMessageDoesNotTakeTheRestOfThePacketWithIt() {
        Collected out = parse("good.one:1|c\nbad:1|x\nalso.bad:abc|g\ngood.two:2|g\n");
        assertEquals(List.of("good.one", "good.two"), out.metrics.stream().map(MetricSample::name).toList());
        assertEquals(List.of(ParseError.BAD_TYPE, ParseError.BAD_VALUE),
                out.errors.stream().map(Failure::reason).toList());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "no.pipe:1; MALFORMED",
            "no.colon|c; MALFORMED",
            ":1|c; MALFORMED",
            "m:|c; MISSING_VALUE",
            "m:::|c; MISSING_VALUE",
            "m:1|; BAD_TYPE",
            "m:1|gauge; BAD_TYPE",
            "m:1|C; BAD_TYPE",
            "m:12abc|g; BAD_VALUE",
            "m:1d|g; BAD_VALUE",
            "m:0x1p3|g; BAD_VALUE",
            "m:1,5|g; BAD_VALUE",
            "m:NaN|g; NON_FINITE",
            "m:+Inf|g; NON_FINITE",
            "m:-infinity|c; NON_FINITE",
            "m:1e400|g; NON_FINITE",
            "m:1|c|@0; BAD_SAMPLE_RATE",
            "m:1|c|@-0.5; BAD_SAMPLE_RATE",
            "m:1|h|@-0.5; BAD_SAMPLE_RATE",
            "m:1|ms|@-2; BAD_SAMPLE_RATE",
            "m:1|c|@half; BAD_SAMPLE_RATE",
            "m:1|g|@half; BAD_SAMPLE_RATE",
            "m:1|d|@1e400; BAD_SAMPLE_RATE",
            "m:1|c|@; BAD_SAMPLE_RATE",
            "m:1|g|T0; BAD_TIMESTAMP",
            "m:1|g|T-5; BAD_TIMESTAMP",
            "m:1|g|Tsoon; BAD_TIMESTAMP",
            "m:1|g|#:novalue; BAD_TAGS",
            "_e{5,4}:title|tex; BAD_EVENT",
            "_e{0,4}:|text; BAD_EVENT",
            "_e{x,4}:title|text; BAD_EVENT",
            "_e{5,2}:title|text; BAD_EVENT",
            "_e{5,4:title|text; BAD_EVENT",
            "_sc|name; BAD_SERVICE_CHECK",
            "_sc|name|4; BAD_SERVICE_CHECK",
            "_sc|name|ok; BAD_SERVICE_CHECK",
            "_sc||0; BAD_SERVICE_CHECK",
    })
    void malformedMessagesAreNamedByKind(String line, ParseError expected) {
        Failure failure = failure(line);
        assertEquals(expected, failure.reason(), failure.message());
        assertTrue(failure.message().contains(line.length() > 20 ? line.substring(0, 20) : line),
                "the message shows the line: " + failure.message());
    }

    /**
     * The Agent's parser takes any number as a rate; a count divides by it, a histogram weighs {@code int(1 / rate)}
     * (0 counting as 1), a distribution takes one outside (0, 1] as 1, and gauges, sets and timestamped samples ignore
     * it. Every rate that yields a usable value is kept as sent.
     */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "m:1|c|@2; 2",
            "m:1|c|@0.5; 0.5",
            "m:1|h|@2; 2",
            "m:1|h|@0; 0",
            "m:1|ms|@4; 4",
            "m:1|d|@2; 2",
            "m:1|d|@0; 0",
            "m:1|d|@-1; -1",
            "m:1|g|@0; 0",
            "m:1|g|@-3; -3",
            "m:1|s|@0; 0",
            "m:1|c|@0|T1700000000; 0",
            "m:1|g|@-1|T1700000000; -1",
    })
    void sampleRatesTheAgentCanWeighAreKeptAsSent(String line, double rate) {
        assertEquals(rate, one(line).sampleRate(), line);
    }

    @Test
    void badUtf8IsRejectedAndTheNextLineStillParses() {
        byte[] bad = "m\u00e9tric:1|c\nok:1|c".getBytes(StandardCharsets.UTF_8);
        bad[1] = (byte) 0xC3;
        bad[2] = (byte) 0x28; // a lead byte followed by a non-continuation byte
        Collected out = parse(bad);
        assertEquals(List.of(ParseError.BAD_UTF8), out.errors.stream().map(Failure::reason).toList());
        assertEquals(List.of("ok"), out.metrics.stream().map(MetricSample::name).toList());
    }

    @Test
    void utf8NamesAndTagsAreKept() {
        MetricSample sample = one("caf\u00e9.orders:1|c|#city:z\u00fcrich");
        assertEquals("caf\u00e9.orders", sample.name());
        assertEquals(TagSet.of("city:z\u00fcrich"), sample.tags());
    }

    @Test
    void limitsOnNamesAndTagsAreEnforced() {
        assertEquals(ParseError.NAME_TOO_LONG, failure("x".repeat(201) + ":1|c").reason());
        one("x".repeat(200) + ":1|c");
        StringBuilder tags = new StringBuilder("m:1|c|#");
        for (int i = 0; i < 101; i++) {
            tags.append(i == 0 ? "" : ",").append("t").append(i);
        }
        assertEquals(ParseError.TOO_MANY_TAGS, failure(tags.toString()).reason());
        assertEquals(ParseError.BAD_TAGS, failure("m:1|c|#" + "k:" + "v".repeat(300)).reason());
        assertEquals(TagSet.of("a", "b"), one("m:1|c|#a,,b,").tags(), "empty tags are skipped, as in the Agent");
    }

    @Test
    void numbersAreParsedExactlyAsDoubleParseDoesForPlainDecimals() {
        for (String text : List.of("0", "-0.5", "3.14159", "0.1", "123456789.123456", "1e-3", "6.02E23",
                "12345678901234567890", "0.000000000000000000001", "+7", "1.", ".5")) {
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            assertEquals(Double.parseDouble(text), DogStatsdParser.parseNumber(bytes, 0, bytes.length), text);
        }
    }

    @Test
    void eventsWithEveryField() {
        Collected out = parse("_e{12,14}:Deploy ended|Rollout\\ndone!|d:1699999000|h:web-1|k:deploy-42"
                + "|p:low|s:jenkins|t:success|#env:prod,svc:web|c:ci-abc|card:low");
        assertEquals(List.of(), out.errors);
        Event event = out.events.get(0);
        assertEquals("Deploy ended", event.title());
        assertEquals("Rollout\ndone!", event.text());
        assertEquals(1_699_999_000L, event.timestamp());
        assertEquals("web-1", event.host());
        assertEquals("deploy-42", event.aggregationKey());
        assertEquals(Event.Priority.LOW, event.priority());
        assertEquals("jenkins", event.sourceTypeName());
        assertEquals(Event.AlertType.SUCCESS, event.alertType());
        assertEquals(TagSet.of("env:prod", "svc:web"), event.tags());
        assertEquals(new Origin("abc", "", Origin.TagCardinality.LOW), out.origins.get(0));
    }

    @Test
    void eventLengthsCountUtf8BytesAndDefaultsApply() {
        String title = "\u00e9t\u00e9"; // 5 bytes, 3 characters
        Collected out = parse("_e{5,0}:" + title + "|");
        assertEquals(List.of(), out.errors);
        Event event = out.events.get(0);
        assertEquals(title, event.title());
        assertEquals("", event.text());
        assertEquals(NOW, event.timestamp());
        assertEquals(Event.Priority.NORMAL, event.priority());
        assertEquals(Event.AlertType.INFO, event.alertType());
    }

    @Test
    void serviceChecksWithEveryField() {
        Collected out = parse("_sc|db.can_connect|2|d:1699999100|h:db-1|#env:prod|c:ci-xyz|m:connection refused");
        assertEquals(List.of(), out.errors);
        ServiceCheck check = out.checks.get(0);
        assertEquals("db.can_connect", check.name());
        assertEquals(ServiceCheck.Status.CRITICAL, check.status());
        assertEquals(1_699_999_100L, check.timestamp());
        assertEquals("db-1", check.host());
        assertEquals(TagSet.of("env:prod"), check.tags());
        assertEquals("connection refused", check.message());
        assertEquals("xyz", out.origins.get(0).containerId());
        assertEquals(NOW, parse("_sc|x|0").checks.get(0).timestamp());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "\n\n\r\n"})
    void emptyPacketsAndLinesAreNothing(String packet) {
        Collected out = parse(packet);
        assertEquals(0, out.metrics.size() + out.errors.size());
    }

    @Test
    void aLongBadLineIsCutInTheMessage() {
        Failure failure = failure("m:" + "9".repeat(500) + "x|g");
        assertTrue(failure.message().length() < 250, failure.message());
        assertTrue(failure.message().contains("(505 bytes)"), failure.message());
    }

    @Test
    void offsetsWithinALargerBufferAreRespected() {
        byte[] buffer = "XXXXa:1|c\nb:2|cYYYY".getBytes(StandardCharsets.US_ASCII);
        Collected out = new Collected();
        parser.parse(buffer, 4, buffer.length - 8, out);
        assertEquals(List.of("a", "b"), out.metrics.stream().map(MetricSample::name).toList());
        assertEquals(List.of(), out.errors);
    }
}
