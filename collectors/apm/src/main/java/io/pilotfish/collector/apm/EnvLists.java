package io.pilotfish.collector.apm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Lists in the Agent's variables: the Agent takes a JSON array of strings wherever it takes a space-separated list. */
public final class EnvLists {

    private static final JsonFactory JSON = new JsonFactory();

    private EnvLists() {
    }

    /**
     * The strings of a JSON array such as {@code ["a", "b c"]}.
     *
     * @throws IOException when the value is not exactly one array of strings
     */
    public static List<String> jsonStrings(String value) throws IOException {
        List<String> items = new ArrayList<>();
        try (JsonParser parser = JSON.createParser(value)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IOException("expected '['");
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.VALUE_STRING) {
                items.add(parser.getText());
            }
            if (token != JsonToken.END_ARRAY || parser.nextToken() != null) {
                throw new IOException("expected a string or ']'");
            }
        }
        return items;
    }
}
