package io.pilotfish.it;

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
 * Validates JSON against a schema of Datadog's published OpenAPI fragment (read in place from
 * {@code ../shared/spec/datadog}): types, required properties, enums and {@code $ref}s, the parts the intake's
 * schemas use. Returns every violation with its JSON path.
 */
final class SeriesSchema {

    private final Map<String, Object> schemas;

    @SuppressWarnings("unchecked")
    private SeriesSchema(Map<String, Object> spec) {
        this.schemas = (Map<String, Object>) ((Map<String, Object>) spec.get("components")).get("schemas");
    }

    static Path sharedDir() {
        return Path.of(System.getProperty("pilotfish.shared.dir", "../../shared"));
    }

    static SeriesSchema load() throws IOException {
        Path file = sharedDir().resolve("spec/datadog/openapi-v2-intake-fragment.yaml");
        try (InputStream in = Files.newInputStream(file)) {
            return new SeriesSchema(new Yaml().load(in));
        }
    }

    List<String> validate(String schemaName, JsonNode value) {
        List<String> errors = new ArrayList<>();
        check(schema(schemaName), value, "$", errors);
        return errors;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> schema(String name) {
        Object found = schemas.get(name);
        if (found == null) {
            throw new IllegalArgumentException("no schema " + name + " in the fragment");
        }
        return (Map<String, Object>) found;
    }

    @SuppressWarnings("unchecked")
    private void check(Map<String, Object> schema, JsonNode value, String path, List<String> errors) {
        if (schema.containsKey("$ref")) {
            String ref = (String) schema.get("$ref");
            check(schema(ref.substring(ref.lastIndexOf('/') + 1)), value, path, errors);
            return;
        }
        String type = (String) schema.get("type");
        if (type != null && !matchesType(type, schema, value)) {
            errors.add(path + ": expected " + type + (schema.get("format") == null ? "" : " (" + schema.get("format")
                    + ")") + " but was " + value);
            return;
        }
        List<Object> allowed = (List<Object>) schema.get("enum");
        if (allowed != null && allowed.stream().noneMatch(e -> String.valueOf(e).equals(value.asText()))) {
            errors.add(path + ": " + value + " is not one of " + allowed);
        }
        if ("object".equals(type) || schema.containsKey("properties")) {
            Map<String, Object> properties = (Map<String, Object>) schema.getOrDefault("properties", Map.of());
            for (Object required : (List<Object>) schema.getOrDefault("required", List.of())) {
                if (!value.has((String) required)) {
                    errors.add(path + ": missing required property " + required);
                }
            }
            Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                Object propertySchema = properties.get(field.getKey());
                if (propertySchema != null) {
                    check((Map<String, Object>) propertySchema, field.getValue(), path + "." + field.getKey(), errors);
                } else if (Boolean.FALSE.equals(schema.get("additionalProperties"))) {
                    errors.add(path + ": unexpected property " + field.getKey());
                }
            }
        }
        if ("array".equals(type)) {
            Map<String, Object> items = (Map<String, Object>) schema.get("items");
            for (int i = 0; i < value.size(); i++) {
                check(items, value.get(i), path + "[" + i + "]", errors);
            }
        }
    }

    private static boolean matchesType(String type, Map<String, Object> schema, JsonNode value) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "boolean" -> value.isBoolean();
            case "integer" -> value.isIntegralNumber() && ("int32".equals(schema.get("format"))
                    ? value.canConvertToInt() : value.canConvertToLong());
            case "number" -> value.isNumber();
            default -> true;
        };
    }
}
