package io.pilotfish.core.pipeline;

import io.pilotfish.spi.Collector;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.Scraper;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one collector: a {@link Scraper} is called on its interval, never overlapping itself, starting at once so
 * a short-lived task reports from its first seconds; a {@link Receiver} is started and stopped. Plugins see no
 * difference beyond the shape they chose.
 */
public final class CollectorRunner {

    private final String name;
    private final Collector collector;
    private final Duration interval;
    private final Emitter emitter;
    private final ScheduledExecutorService scheduler;
    private final PluginLog log;
    private final Runnable onScrapeFailure;

    private volatile boolean running;
    private ScheduledFuture<?> next;
    private CompletableFuture<Void> inFlight = CompletableFuture.completedFuture(null);

    public CollectorRunner(String name, Collector collector, Duration interval, Emitter emitter,
                           ScheduledExecutorService scheduler, PluginLog log, Runnable onScrapeFailure) {
        this.name = name;
        this.collector = collector;
        this.interval = interval;
        this.emitter = emitter;
        this.scheduler = scheduler;
        this.log = log;
        this.onScrapeFailure = onScrapeFailure;
    }

    public String name() {
        return name;
    }

    public CompletionStage<Void> start() {
        running = true;
        return switch (collector) {
            case Scraper scraper -> {
                schedule(scraper, 0);
                yield CompletableFuture.completedFuture(null);
            }
            case Receiver receiver -> guard(() -> receiver.start(emitter));
        };
    }

    private synchronized void schedule(Scraper scraper, long delayMillis) {
        if (running) {
            next = scheduler.schedule(() -> scrapeOnce(scraper), delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void scrapeOnce(Scraper scraper) {
        long started = System.nanoTime();
        CompletableFuture<Void> scrape = guard(() -> scraper.scrape(emitter))
                // A scrape that never completes must not stop the schedule.
                .orTimeout(Math.max(interval.toMillis(), 10_000), TimeUnit.MILLISECONDS)
                .exceptionally(error -> {
                    onScrapeFailure.run();
                    log.error("scrape", "collector " + name + ": scrape failed", error);
                    return null;
                });
        synchronized (this) {
            inFlight = scrape;
        }
        scrape.thenRun(() -> {
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            schedule(scraper, Math.max(0, interval.toMillis() - tookMillis));
        });
    }

    private static CompletableFuture<Void> guard(java.util.function.Supplier<CompletionStage<Void>> call) {
        try {
            CompletionStage<Void> stage = call.get();
            return stage == null ? CompletableFuture.completedFuture(null) : stage.toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Stops collecting and lets the collector emit what it still holds (final state, open buckets). Waits at most
     * {@code timeout}; called from the shutdown thread.
     */
    public void stop(Duration timeout) {
        CompletableFuture<Void> last;
        synchronized (this) {
            running = false;
            if (next != null) {
                next.cancel(false);
            }
            last = inFlight;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            last.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            CompletableFuture<Void> finish = switch (collector) {
                case Scraper scraper -> guard(() -> scraper.flush(emitter));
                case Receiver receiver -> guard(receiver::stop);
            };
            finish.get(left, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.error("stop", "collector " + name + ": did not finish cleanly", e);
        } finally {
            try {
                collector.close();
            } catch (Exception e) {
                log.error("close", "collector " + name + ": close failed", e);
            }
        }
    }
}
