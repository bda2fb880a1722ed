package io.pilotfish.collector.apm.receive;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import io.pilotfish.collector.apm.ApmConfig;
import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig;
import io.pilotfish.collector.apm.sample.SamplingConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The {@code /info} discovery document tracers read before they send: the endpoints served, whether they may drop
 * P0 traces ({@code client_drop_p0s}, with {@code /v0.6/stats} listed), the span features understood, and the
 * configuration, in the trace-agent's layout ({@code pkg/trace/api/info.go}: tab-indented JSON). Its SHA-256 is the
 * {@code Datadog-Agent-State} header of every answer, so tracers notice a change.
 *
 * @param body  the JSON
 * @param state the hex SHA-256 of the body
 */
record InfoDocument(byte[] body, String state) {

    /** The EVP proxy forwards only these request headers (the Agent's list). */
    static final List<String> EVP_ALLOWED_HEADERS = List.of("Content-Type", "Accept-Encoding", "Content-Encoding",
            "User-Agent", "DD-CI-PROVIDER-NAME");

    static InfoDocument build(String version, List<String> endpoints, ApmConfig config, SamplingConfig sampling,
                              String defaultEnv, int statsdPort, List<String> peerTags,
                              Map<String, Object> filterDescription) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (JsonGenerator json = new JsonFactory().createGenerator(out)) {
            DefaultIndenter tabs = new DefaultIndenter("\t", "\n");
            json.setPrettyPrinter(new DefaultPrettyPrinter()
                    .withSeparators(Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                    .withObjectIndenter(tabs).withArrayIndenter(tabs));
            json.writeStartObject();
            json.writeStringField("version", version);
            json.writeStringField("git_commit", "");
            strings(json, "endpoints", endpoints);
            json.writeBooleanField("client_drop_p0s", !sampling.probabilisticSamplerEnabled());
            json.writeBooleanField("span_meta_structs", true);
            json.writeBooleanField("long_running_spans", true);
            json.writeBooleanField("span_events", true);
            strings(json, "evp_proxy_allowed_headers", EVP_ALLOWED_HEADERS);
            json.writeObjectFieldStart("config");
            json.writeStringField("default_env", defaultEnv);
            json.writeNumberField("target_tps", sampling.targetTps());
            json.writeNumberField("max_eps", sampling.maxEps());
            json.writeNumberField("receiver_port", config.port());
            json.writeStringField("receiver_socket", config.socket().map(Object::toString).orElse(""));
            json.writeNumberField("connection_limit", 0);
            json.writeNumberField("receiver_timeout", config.receiverTimeout().toSeconds());
            json.writeNumberField("max_request_bytes", config.maxPayloadBytes());
            json.writeNumberField("statsd_port", statsdPort);
            json.writeNumberField("max_memory", 0);
            json.writeNumberField("max_cpu", 0);
            json.writeObjectFieldStart("analyzed_spans_by_service");
            json.writeEndObject();
            obfuscation(json, config.obfuscation());
            json.writeEndObject();
            if (config.peerTagsAggregation()) {
                strings(json, "peer_tags", peerTags);
            } else {
                json.writeNullField("peer_tags");
            }
            strings(json, "span_kinds_stats_computed", config.computeStatsBySpanKind()
                    ? List.of("server", "consumer", "client", "producer") : List.of());
            json.writeNumberField("obfuscation_version", 1);
            for (Map.Entry<String, Object> filter : filterDescription.entrySet()) {
                json.writeFieldName(filter.getKey());
                value(json, filter.getValue());
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] body = out.toByteArray();
        return new InfoDocument(body, sha256(body));
    }

    private static void obfuscation(JsonGenerator json, ObfuscationConfig o) throws IOException {
        json.writeObjectFieldStart("obfuscation");
        json.writeBooleanField("elastic_search", o.elasticsearch().enabled());
        json.writeBooleanField("mongo", o.mongodb().enabled());
        json.writeBooleanField("sql_exec_plan", o.sqlExecPlan().enabled());
        json.writeBooleanField("sql_exec_plan_normalize", o.sqlExecPlanNormalize().enabled());
        json.writeObjectFieldStart("http");
        json.writeBooleanField("remove_query_string", o.http().removeQueryString());
        json.writeBooleanField("remove_path_digits", o.http().removePathsWithDigits());
        json.writeEndObject();
        json.writeBooleanField("remove_stack_traces", o.removeStackTraces());
        json.writeObjectFieldStart("redis");
        json.writeBooleanField("Enabled", o.redis().enabled());
        json.writeBooleanField("RemoveAllArgs", o.redis().removeAllArgs());
        json.writeEndObject();
        json.writeObjectFieldStart("memcached");
        json.writeBooleanField("Enabled", o.memcached().enabled());
        json.writeBooleanField("KeepCommand", o.memcached().keepCommand());
        json.writeEndObject();
        json.writeEndObject();
    }

    private static void strings(JsonGenerator json, String field, List<String> values) throws IOException {
        json.writeArrayFieldStart(field);
        for (String value : values) {
            json.writeString(value);
        }
        json.writeEndArray();
    }

    @SuppressWarnings("unchecked")
    private static void value(JsonGenerator json, Object value) throws IOException {
        if (value instanceof Map<?, ?> map) {
            json.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                json.writeFieldName(String.valueOf(e.getKey()));
                value(json, e.getValue());
            }
            json.writeEndObject();
        } else if (value instanceof List<?> list) {
            json.writeStartArray();
            for (Object item : list) {
                value(json, item);
            }
            json.writeEndArray();
        } else if (value == null) {
            json.writeNull();
        } else if (value instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (value instanceof Number n) {
            json.writeNumber(n.toString());
        } else {
            json.writeString(String.valueOf(value));
        }
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    String text() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
