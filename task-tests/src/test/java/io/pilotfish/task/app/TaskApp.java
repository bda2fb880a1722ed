package io.pilotfish.task.app;

import com.timgroup.statsd.NonBlockingStatsDClient;
import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The app container of the task tests: a service that uses Datadog's java-dogstatsd-client exactly as a user's code
 * does, configured only by the environment its task definition gives it ({@code DD_AGENT_HOST},
 * {@code DD_DOGSTATSD_URL}, ...) and sending its container id from {@code /proc/self/cgroup} (the client's default
 * origin detection).
 *
 * <p>It waits for {@code APP_GATE} to exist (the test creates it once the task metadata lists this container), then
 * sends {@code task.<APP_NAME>.requests} increments: {@code APP_COUNT} of them at once, or one every 5 ms until
 * SIGTERM when {@code APP_CONTINUOUS=true}. Each send is counted; the client is stopped (which flushes it) before
 * the count is printed as {@code APP SENT <n>}, so the line tells exactly what left the app.
 *
 * <p>With {@code APP_MODE=logs} it sends nothing and only logs, for a container whose log driver is awsfirelens
 * ({@link LogApp}).
 */
public final class TaskApp {

    private TaskApp() {
    }

    public static void main(String[] args) throws Exception {
        String name = System.getenv().getOrDefault("APP_NAME", "app");
        Path gate = Path.of(System.getenv().getOrDefault("APP_GATE", "/app/gates/" + name));
        if ("logs".equals(System.getenv("APP_MODE"))) {
            LogApp.run(name, gate);
            return;
        }
        awaitGate(gate);
        String metric = "task." + name + ".requests";
        NonBlockingStatsDClient client = new NonBlockingStatsDClientBuilder()
                .constantTags("app:" + name)
                .enableAggregation(false)
                // Waits rather than drops when its queue is full, so that every count the app makes is sent.
                .blocking(true)
                .errorHandler(e -> System.out.println("APP CLIENT ERROR " + e))
                .build();
        System.out.println("APP STARTED " + name + " sending " + metric);
        AtomicLong sent = new AtomicLong();
        if (Boolean.parseBoolean(System.getenv().getOrDefault("APP_CONTINUOUS", "false"))) {
            AtomicBoolean running = new AtomicBoolean(true);
            CountDownLatch done = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                running.set(false);
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            while (running.get()) {
                client.increment(metric, "route:/checkout");
                sent.incrementAndGet();
                if (sent.get() == 100) {
                    System.out.println("APP SENDING " + name);
                }
                Thread.sleep(5);
            }
            client.stop();
            System.out.println("APP SENT " + sent.get() + " " + metric);
            System.out.flush();
            done.countDown();
            return;
        }
        long count = Long.parseLong(System.getenv().getOrDefault("APP_COUNT", "1000"));
        for (long i = 0; i < count; i++) {
            client.increment(metric, "route:/checkout");
            sent.incrementAndGet();
        }
        client.gauge("task." + name + ".up", 1);
        client.stop();
        System.out.println("APP SENT " + sent.get() + " " + metric);
        System.out.flush();
        // A service keeps running until ECS stops it.
        new CountDownLatch(1).await();
    }

    /** Waits for the test to create {@code gate}; exits with status 2 if it never does (3 minutes). */
    static void awaitGate(Path gate) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 180_000;
        while (!Files.exists(gate)) {
            if (System.currentTimeMillis() > deadline) {
                System.out.println("APP GATE never opened: " + gate);
                System.exit(2);
            }
            Thread.sleep(50);
        }
    }
}
