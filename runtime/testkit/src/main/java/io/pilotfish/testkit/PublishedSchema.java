package io.pilotfish.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/**
 * Checks JSON against a schema of Datadog's published OpenAPI fragment, read in place from
 * {@code ../shared/spec/datadog/openapi-v2-intake-fragment.yaml}: {@code $ref}, types and integer formats, enums,
 * {@code maximum}, required and (when the schema forbids them) additional properties, array items. That is every
 * keyword the series schemas use. Each violation comes back with its JSON path.
 *
 * <p>Needs SnakeYAML on the test class path (an optional dependency of the testkit, so the agent, which carries the
 * testkit for its demo, does not).
 */
public final class PublishedSchema {

    private final Map<String, Object> schemas;

    private PublishedSchema(Map<String, Object> schemas) {
        this.schemas = schemas;
    }

    /**
     * The v2 intake fragment of {@code shared}, the shared directory beside the clone: the build passes it as the
     * system property {@code pilotfish.shared.dir}; otherwise {@code fallback}, where it lies from the module.
     */
    public static Path sharedDir(String fallback) {
        return Path.of(System.getProperty("pilotfish.shared.dir", fallback));
    }

    @SuppressWarnings("unchecked")
    public static PublishedSchema v2Intake(Path shared) throws IOException {
        try (InputStream in = Files.newInputStream(shared.resolve("spec/datadog/openapi-v2-intake-fragment.yaml"))) {
            Map<String, Object> spec = new Yaml().load(in);
            Map<String, Object> components = (Map<String, Object>) spec.get("components");
            return new PublishedSchema((Map<String, Object>) components.get("schemas"));
        }
    }

    /** Every violation of the named schema ({@code MetricPayload}...), empty when the value conforms. */
    public List<String> violations(String schemaName, JsonNode value) {
        List<String> found = new ArrayList<>();
        check(named(schemaName), value, "$", found);
        return found;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> named(String name) {
        Object schema = schemas.get(name);
        if (schema == null) {
            throw new IllegalArgumentException("the fragment has no schema " + name);
        }
        return (Map<String, Object>) schema;
    }

    @SuppressWarnings("unchecked")
    private void check(Map<String, Object> schema, JsonNode value, String path, List<String> found) {
        Object ref = schema.get("$ref");
        if (ref != null) {
            String target = (String) ref;
            check(named(target.substring(target.lastIndexOf('/') + 1)), value, path, found);
            return;
        }
        String type = (String) schema.get("type");
        if (type != null && !hasType(type, (String) schema.get("format"), value)) {
            found.add(path + ": expected " + type + " but was " + value);
            return;
        }
        List<Object> allowed = (List<Object>) schema.get("enum");
        if (allowed != null && allowed.stream().noneMatch(option -> String.valueOf(option).equals(value.asText()))) {
            found.add(path + ": " + value + " is not one of " + allowed);
        }
        if (schema.get("maximum") instanceof Number maximum && value.isNumber()
                && value.doubleValue() > maximum.doubleValue()) {
            found.add(path + ": " + value + " is over the maximum " + maximum);
        }
        if (value.isObject()) {
            Map<String, Object> properties = (Map<String, Object>) schema.getOrDefault("properties", Map.of());
            for (Object required : (List<Object>) schema.getOrDefault("required", List.of())) {
                if (!value.has((String) required)) {
                    found.add(path + ": missing required property " + required);
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> fields = value.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                Object property = properties.get(field.getKey());
                if (property != null) {
                    check((Map<String, Object>) property, field.getValue(), path + "." + field.getKey(), found);
                } else if (Boolean.FALSE.equals(schema.get("additionalProperties"))) {
                    found.add(path + ": property " + field.getKey() + " is not allowed");
                }
            }
        }
        if (value.isArray() && schema.get("items") instanceof Map<?, ?> items) {
            for (int i = 0; i < value.size(); i++) {
                check((Map<String, Object>) items, value.get(i), path + "[" + i + "]", found);
            }
        }
    }

    private static boolean hasType(String type, String format, JsonNode value) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "boolean" -> value.isBoolean();
            case "number" -> value.isNumber();
            case "integer" -> value.isIntegralNumber()
                    && ("int32".equals(format) ? value.canConvertToInt() : value.canConvertToLong());
            default -> true;
        };
    }
}
