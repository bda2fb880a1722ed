package io.pilotfish.platform.deployment;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.jboss.shrinkwrap.api.asset.StringAsset;

/** Builds {@code META-INF/services} files for test applications. */
final class ServicesFiles {

    static final String COLLECTORS = "META-INF/services/io.pilotfish.spi.CollectorFactory";
    static final String SINKS = "META-INF/services/io.pilotfish.spi.SinkFactory";

    private ServicesFiles() {
    }

    /** One class name a line, after a comment line, as plugin authors write them. */
    static StringAsset listing(Class<?>... factories) {
        return new StringAsset("# Pilotfish test plugins\n"
                + Arrays.stream(factories).map(Class::getName).collect(Collectors.joining("\n", "", "\n")));
    }

    /** The first throwable in the cause chain whose message contains {@code text}, or null. */
    static Throwable causeMentioning(Throwable failure, String text) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(text)) {
                return t;
            }
        }
        return null;
    }
}
