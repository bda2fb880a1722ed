package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.SafeText;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a {@code /task/stats} body into one JSON tree per container id. Only the outer shape is checked here; the
 * entries are judged one by one by {@link StatsConverter}, so one bad entry never costs the others. Numbers too
 * large for a {@code long} (cgroup v2 reports "no limit" as 2^64-1) are kept as big integers by Jackson.
 */
public final class StatsParser {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private StatsParser() {
    }

    /**
     * @return container id to stats entry, in payload order; an entry is JSON {@code null} or {@code {}} for a
     *         stopped container
     * @throws MalformedStatsException when the body is not a JSON object
     */
    public static Map<String, JsonNode> parse(byte[] body) {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            // The parser quotes the bad token: escaped and cut, it is logged.
            throw new MalformedStatsException("the /task/stats body is not valid JSON: "
                    + SafeText.excerpt(e.getOriginalMessage(), 200));
        } catch (IOException e) {
            throw new MalformedStatsException("the /task/stats body could not be read: "
                    + SafeText.excerpt(e.getMessage(), 200));
        }
        if (root == null || root.isMissingNode()) {
            throw new MalformedStatsException("the /task/stats body is empty");
        }
        if (!root.isObject()) {
            throw new MalformedStatsException("the /task/stats body should be a JSON object keyed by container id, "
                    + "but is " + StatsFields.describe(root));
        }
        Map<String, JsonNode> byContainer = new LinkedHashMap<>(root.size() * 2);
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            byContainer.put(entry.getKey(), entry.getValue());
        }
        return Collections.unmodifiableMap(byContainer);
    }
}
