package io.pilotfish.spi;

import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Agent-wide settings every plugin may read.
 *
 * @param version     the agent's version
 * @param hostname    the host name to report, empty on Fargate (tasks have no host)
 * @param globalTags  tags added to everything ({@code DD_TAGS}, {@code DD_ENV}, ...)
 * @param site        the Datadog site, e.g. {@code datadoghq.com}
 * @param ddUrl       an explicit metrics intake URL ({@code DD_DD_URL}), overriding the site
 * @param apiKey      the current API key; a supplier because it may be rotated while running
 */
public record AgentSettings(String version, String hostname, TagSet globalTags, String site, Optional<URI> ddUrl,
                            Supplier<Optional<Secret>> apiKey) {
}
