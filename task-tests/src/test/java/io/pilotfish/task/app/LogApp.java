package io.pilotfish.task.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The task app in its logging mode ({@code APP_MODE=logs}): a service that only writes to its stdout and stderr, as
 * an app whose log driver is {@code awsfirelens} does. Once {@code APP_GATE} exists it writes {@code APP_LOG_LINES}
 * numbered lines ({@code <APP_NAME> request <i> of <n> served}) and one JSON line to stdout; once
 * {@code <APP_GATE>.stderr} exists, a warning and a real exception with a cause ({@code printStackTrace}) to stderr.
 * The test opens the second gate only after it saw the stdout lines in the container's output, so that the two
 * streams cannot interleave (each is a pipe of its own, read by the container engine in any order). On SIGTERM it
 * writes {@code APP_FINAL_LINES} last lines ({@code <APP_NAME> shutting down, final line <i> of <n>}) and exits.
 */
final class LogApp {

    private LogApp() {
    }

    static void run(String name, Path gate) throws Exception {
        int lines = Integer.parseInt(System.getenv().getOrDefault("APP_LOG_LINES", "500"));
        int finalLines = Integer.parseInt(System.getenv().getOrDefault("APP_FINAL_LINES", "3"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // What an app writes as it stops: these lines leave the container after ECS's SIGTERM.
            for (int i = 1; i <= finalLines; i++) {
                System.out.println(name + " shutting down, final line " + i + " of " + finalLines);
            }
            System.out.flush();
        }));
        TaskApp.awaitGate(gate);
        for (int i = 1; i <= lines; i++) {
            System.out.println(name + " request " + i + " of " + lines + " served");
        }
        System.out.println("{\"level\":\"warn\",\"message\":\"order 42 paid late\",\"order_id\":42,"
                + "\"duration_ms\":812}");
        System.out.flush();
        TaskApp.awaitGate(Path.of(gate + ".stderr"));
        System.err.println(name + ": payment provider answered 503, retrying");
        try {
            charge(42);
        } catch (IllegalStateException e) {
            e.printStackTrace();
        }
        System.err.flush();
        // A service keeps running until ECS stops it.
        new CountDownLatch(1).await();
    }

    private static void charge(int order) {
        try {
            call(order);
        } catch (IOException e) {
            throw new IllegalStateException("payment declined for order " + order, e);
        }
    }

    private static void call(int order) throws IOException {
        throw new IOException("connection reset by payments.internal while charging order " + order);
    }
}
