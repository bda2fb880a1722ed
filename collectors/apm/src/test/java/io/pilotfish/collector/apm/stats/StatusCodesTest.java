package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Agent's status code lookups: its tests' tables ({@code aggregation_test.go}: TestGetStatusCode,
 * TestGetGRPCStatusCode), and more cases whose answers were checked against pkg/trace/stats v0.85.4.
 */
class StatusCodesTest {

    static Stream<Arguments> http() {
        return Stream.of(
                Arguments.of("empty", Map.of(), Map.of(), 0),
                Arguments.of("meta only", Map.of("http.status_code", "200"), Map.of(), 200),
                Arguments.of("metrics only", Map.of(), Map.of("http.status_code", 302.0), 302),
                Arguments.of("metrics wins", Map.of("http.status_code", "200"), Map.of("http.status_code", 302.0), 302),
                Arguments.of("invalid string", Map.of("http.status_code", "x"), Map.of(), 0),
                Arguments.of("negative", Map.of("http.status_code", "-1"), Map.of(), 0),
                Arguments.of("otel key in meta", Map.of("http.response.status_code", "404"), Map.of(), 404),
                Arguments.of("otel key in metrics", Map.of(), Map.of("http.response.status_code", 503.0), 503),
                Arguments.of("dd key wins over otel",
                        Map.of("http.status_code", "200", "http.response.status_code", "503"), Map.of(), 200),
                Arguments.of("whole float string", Map.of("http.status_code", "404.0"), Map.of(), 404),
                Arguments.of("fractional metric falls back to meta", Map.of("http.status_code", "201"),
                        Map.of("http.status_code", 200.5), 201),
                Arguments.of("over uint32", Map.of("http.status_code", "4294967296"), Map.of(), 0),
                Arguments.of("uint32 max", Map.of(), Map.of("http.status_code", 4294967295.0), -1),
                Arguments.of("no Java-only syntax", Map.of("http.status_code", "200d"), Map.of(), 0),
                Arguments.of("no non-ASCII digits", Map.of("http.status_code", "٢٠٠"), Map.of(), 0),
                Arguments.of("no blanks", Map.of("http.status_code", " 200"), Map.of(), 0),
                Arguments.of("a sign", Map.of("http.status_code", "+200"), Map.of(), 200),
                Arguments.of("an exponent", Map.of("http.status_code", "2e2"), Map.of(), 200));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void http(String name, Map<String, String> meta, Map<String, Double> metrics, int expected) {
        assertEquals(expected, StatusCodes.http(meta, metrics));
    }

    static Stream<Arguments> grpc() {
        return Stream.of(
                Arguments.of(Map.of(), Map.of(), ""),
                Arguments.of(Map.of("rpc.grpc.status_code", "aborted"), Map.of(), "10"),
                Arguments.of(Map.of(), Map.of("grpc.code", 1.0), "1"),
                Arguments.of(Map.of("grpc.status.code", "0"), Map.of("grpc.status.code", 1.0), "0"),
                Arguments.of(Map.of("rpc.grpc.status.code", "15"), Map.of(), "15"),
                Arguments.of(Map.of("rpc.grpc.status.code", "Canceled"), Map.of(), "1"),
                Arguments.of(Map.of("rpc.grpc.status.code", "CANCELLED"), Map.of(), "1"),
                Arguments.of(Map.of("grpc.status.code", "StatusCode.ABORTED"), Map.of(), "10"),
                Arguments.of(Map.of("grpc.status.code", "StatusCodee.ABORTED"), Map.of(), ""),
                Arguments.of(Map.of("rpc.grpc.status_code", "InvalidArgument"), Map.of(), "3"),
                // An earlier key wins, whether its value is in meta or metrics.
                Arguments.of(Map.of("grpc.code", "7"), Map.of("rpc.grpc.status_code", 10.0), "10"),
                Arguments.of(Map.of("grpc.code", "007"), Map.of(), "7"),
                Arguments.of(Map.of("grpc.code", "UNAUTHENTICATED"), Map.of(), "16"),
                // OTel 1.39's key, for gRPC only.
                Arguments.of(Map.of("rpc.response.status_code", "14", "rpc.system.name", "grpc"), Map.of(), "14"),
                Arguments.of(Map.of("rpc.system", "grpc"), Map.of("rpc.response.status_code", 5.0), "5"),
                Arguments.of(Map.of("rpc.response.status_code", "14", "rpc.system", "grpc", "rpc.system.name",
                        "connect_rpc"), Map.of(), ""),
                Arguments.of(Map.of("rpc.response.status_code", "14"), Map.of(), ""),
                Arguments.of(Map.of(), Map.of("grpc.code", -1.0), ""));
    }

    @ParameterizedTest
    @MethodSource
    void grpc(Map<String, String> meta, Map<String, Double> metrics, String expected) {
        assertEquals(expected, StatusCodes.grpc(meta, metrics));
    }
}
