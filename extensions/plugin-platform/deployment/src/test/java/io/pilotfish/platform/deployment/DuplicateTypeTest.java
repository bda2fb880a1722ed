package io.pilotfish.platform.deployment;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pilotfish.platform.deployment.fixtures.BaseCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.EchoCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.SecondEchoCollectorFactory;
import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two plugins claiming one type name stop the application at startup, naming the type and both classes. */
class DuplicateTypeTest {

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar
                    .addClasses(EchoCollectorFactory.class, SecondEchoCollectorFactory.class, BaseCollectorFactory.class)
                    .addAsResource(ServicesFiles.listing(EchoCollectorFactory.class, SecondEchoCollectorFactory.class),
                            ServicesFiles.COLLECTORS))
            .assertException(failure -> {
                Throwable cause = ServicesFiles.causeMentioning(failure, "declare type 'echo'");
                assertNotNull(cause, () -> "expected the duplicate type in the failure, got: " + failure);
                assertInstanceOf(IllegalStateException.class, cause);
                assertTrue(cause.getMessage().contains(EchoCollectorFactory.class.getName()), cause.getMessage());
                assertTrue(cause.getMessage().contains(SecondEchoCollectorFactory.class.getName()), cause.getMessage());
            });

    @Test
    void startupFails() {
        fail("the application must not start with two collectors of type 'echo'");
    }
}
