package io.pilotfish.testkit;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** An HTTP/1.1 server on 127.0.0.1, on a given Vert.x instance or on one it creates and closes itself. */
final class LoopbackServer {

    static final String HOST = "127.0.0.1";
    private static final long BLOCKING_TIMEOUT_SECONDS = 30;

    private Vertx vertx;
    private final boolean ownsVertx;
    private final int requestedPort;
    private final String name;
    private final Object lock = new Object();
    private HttpServer server;
    private boolean started;
    private boolean closed;

    LoopbackServer(Vertx vertx, int port, String name) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(name + ": port must be 0 (any free port) to 65535, got " + port);
        }
        this.ownsVertx = vertx == null;
        this.vertx = vertx;
        this.requestedPort = port;
        this.name = name;
    }

    Vertx vertx() {
        synchronized (lock) {
            return vertx;
        }
    }

    CompletionStage<Void> start(Handler<HttpServerRequest> handler) {
        HttpServer created;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException(name + " is closed"));
            }
            if (started) {
                return CompletableFuture.failedFuture(new IllegalStateException(name + " is already started"));
            }
            started = true;
            if (vertx == null) {
                // Created on start, so a simulator that is built but never started holds no threads.
                vertx = Vertx.vertx(new VertxOptions()
                        .setEventLoopPoolSize(1)
                        .setWorkerPoolSize(2)
                        .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                                .setClassPathResolvingEnabled(false)));
            }
            // HTTP/1.1 only, like the real endpoints; no h2c upgrade from java.net.http clients.
            created = vertx.createHttpServer(new HttpServerOptions()
                    .setHost(HOST)
                    .setPort(requestedPort)
                    .setHttp2ClearTextEnabled(false)
                    .setHandle100ContinueAutomatically(true)
                    .setDecompressionSupported(false));
            created.requestHandler(handler);
        }
        return created.listen().toCompletionStage().thenAccept(listening -> {
            synchronized (lock) {
                server = listening;
            }
        });
    }

    int port() {
        synchronized (lock) {
            if (server == null) {
                throw new IllegalStateException(name + " is not listening: call start() first");
            }
            return server.actualPort();
        }
    }

    URI uri() {
        return URI.create("http://" + HOST + ":" + port());
    }

    boolean isRunning() {
        synchronized (lock) {
            return server != null && !closed;
        }
    }

    CompletionStage<Void> close() {
        HttpServer toClose;
        Vertx owned;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
            toClose = server;
            owned = ownsVertx ? vertx : null;
        }
        CompletionStage<Void> serverClosed = toClose == null ? CompletableFuture.completedFuture(null)
                : toClose.close().toCompletionStage();
        if (owned == null) {
            return serverClosed;
        }
        return serverClosed.handle((ignored, error) -> null)
                .thenCompose(ignored -> owned.close().toCompletionStage());
    }

    /** Waits for a start or close; refuses on an event-loop thread, where waiting would deadlock. */
    static <T> T await(CompletionStage<T> stage, String what) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException(what + " would block an event loop: use the *Async variant");
        }
        try {
            return stage.toCompletableFuture().get(BLOCKING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " did not finish within " + BLOCKING_TIMEOUT_SECONDS + " s", e);
        }
    }
}
