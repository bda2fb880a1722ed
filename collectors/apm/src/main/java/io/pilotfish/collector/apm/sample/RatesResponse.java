package io.pilotfish.collector.apm.sample;

/**
 * What a trace endpoint answers (v0.4, v0.5, v0.7): the JSON body and the value of the
 * {@code Datadog-Rates-Payload-Version} header.
 *
 * @param body          {@code {"rate_by_service":{...}}}, or {@code {}} when the tracer already has this version;
 *                      {@code Content-Type: application/json}
 * @param versionHeader the current version, to send only when the request carried the header (the Agent answers it
 *                      then, even with an empty value); {@code null} when the request had none
 */
public record RatesResponse(byte[] body, String versionHeader) {
}
