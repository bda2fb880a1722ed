package io.pilotfish.platform.deployment;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pilotfish.platform.deployment.fixtures.BaseCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.NoDefaultConstructorCollectorFactory;
import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A factory that CDI and ServiceLoader cannot create fails the build, naming the class and the fix. */
class MissingNoArgConstructorTest {

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar
                    .addClasses(NoDefaultConstructorCollectorFactory.class, BaseCollectorFactory.class)
                    .addAsResource(ServicesFiles.listing(NoDefaultConstructorCollectorFactory.class),
                            ServicesFiles.COLLECTORS))
            .assertException(failure -> {
                Throwable cause = ServicesFiles.causeMentioning(failure, "Pilotfish plugin discovery failed");
                assertNotNull(cause, () -> "expected the discovery failure, got: " + failure);
                String message = cause.getMessage();
                assertTrue(message.contains(NoDefaultConstructorCollectorFactory.class.getName()
                        + " (listed in META-INF/services/io.pilotfish.spi.CollectorFactory)"
                        + " has no public no-argument constructor"), message);
                assertTrue(message.contains("public NoDefaultConstructorCollectorFactory() {}"), message);
            });

    @Test
    void buildFails() {
        fail("the build must fail for a factory without a public no-argument constructor");
    }
}
