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

/**
 * An HTTP/1.1 server on 127.0.0.1, on a given Vert.x instance or on one it creates and closes itself: the lifecycle
 * (start, close, port) the testkit's simulated endpoints share, so each of them only answers requests.
 *
 * @param <S> the endpoint itself, returned by {@link #start()}
 */
public abstract sealed class LoopbackServer<S extends LoopbackServer<S>> implements AutoCloseable
        permits EcsMetadataSimulator, IntakeRecorder {

    static final String HOST = "127.0.0.1";
    private static final long BLOCKING_TIMEOUT_SECONDS = 30;

    private Vertx vertx;
    private final boolean ownsVertx;
    private final int requestedPort;
    private final String name;
    private final java.nio.file.Path keyStore;
    private final String keyStorePassword;
    private final Object lock = new Object();
    private HttpServer server;
    private boolean started;
    private boolean closed;

    LoopbackServer(ServerBuilder<?> builder, String name) {
        int port = builder.port;
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(name + ": port must be 0 (any free port) to 65535, got " + port);
        }
        this.ownsVertx = builder.vertx == null;
        this.vertx = builder.vertx;
        this.requestedPort = port;
        this.name = name;
        this.keyStore = builder.keyStore;
        this.keyStorePassword = builder.keyStorePassword;
    }

    /** What every server's builder takes: the port and the Vert.x instance it runs on. */
    public abstract static class ServerBuilder<B extends ServerBuilder<B>> {
        private Vertx vertx;
        private int port;
        private java.nio.file.Path keyStore;
        private String keyStorePassword;

        ServerBuilder() {
        }

        /**
         * Serves HTTPS with the key and certificate in a PKCS#12 key store (e.g. made with {@code keytool}), so that
         * clients reach it as a real intake: through a proxy's CONNECT, verifying the certificate against a trust store
         * they are given.
         */
        public final B tls(java.nio.file.Path pkcs12, String password) {
            this.keyStore = java.util.Objects.requireNonNull(pkcs12, "pkcs12");
            this.keyStorePassword = java.util.Objects.requireNonNull(password, "password");
            return self();
        }

        /** Runs on this Vert.x (not closed by the server); by default the server creates and closes its own. */
        public final B vertx(Vertx value) {
            this.vertx = value;
            return self();
        }

        /** 0 (the default) picks a free port. */
        public final B port(int value) {
            this.port = value;
            return self();
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }
    }

    Vertx vertx() {
        synchronized (lock) {
            return vertx;
        }
    }

    /** Answers one request; runs on the event loop. */
    abstract void handle(HttpServerRequest request);

    /** Binds 127.0.0.1 and blocks until listening. Not on an event-loop thread: use {@link #startAsync()}. */
    public final S start() {
        try {
            return await(startAsync(), "starting the " + name);
        } catch (RuntimeException e) {
            await(closeAsync().exceptionally(ignored -> null), "closing after a failed start");
            throw e;
        }
    }

    public final CompletionStage<S> startAsync() {
        return listen(this::handle).thenApply(ignored -> self());
    }

    /** Stops listening, and closes the Vert.x instance if this server created it. Idempotent. */
    @Override
    public final void close() {
        await(closeAsync(), "closing the " + name);
    }

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    private CompletionStage<Void> listen(Handler<HttpServerRequest> handler) {
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
                // Created on start, so a server that is built but never started holds no threads.
                vertx = Vertx.vertx(new VertxOptions()
                        .setEventLoopPoolSize(1)
                        .setWorkerPoolSize(2)
                        .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                                .setClassPathResolvingEnabled(false)));
            }
            // HTTP/1.1 only, like the real endpoints; no h2c upgrade from java.net.http clients.
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(HOST)
                    .setPort(requestedPort)
                    .setHttp2ClearTextEnabled(false)
                    .setHandle100ContinueAutomatically(true)
                    .setDecompressionSupported(false);
            if (keyStore != null) {
                options.setSsl(true).setKeyCertOptions(new io.vertx.core.net.PfxOptions()
                        .setPath(keyStore.toAbsolutePath().toString()).setPassword(keyStorePassword));
            }
            created = vertx.createHttpServer(options);
            created.requestHandler(handler);
        }
        return created.listen().toCompletionStage().thenAccept(listening -> {
            synchronized (lock) {
                server = listening;
            }
        });
    }

    public final int port() {
        synchronized (lock) {
            if (server == null) {
                throw new IllegalStateException(name + " is not listening: call start() first");
            }
            return server.actualPort();
        }
    }

    /** {@code http://127.0.0.1:<port>} ({@code https} with {@link ServerBuilder#tls}). */
    public final URI baseUri() {
        return URI.create((keyStore == null ? "http" : "https") + "://" + HOST + ":" + port());
    }

    boolean isRunning() {
        synchronized (lock) {
            return server != null && !closed;
        }
    }

    public final CompletionStage<Void> closeAsync() {
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
