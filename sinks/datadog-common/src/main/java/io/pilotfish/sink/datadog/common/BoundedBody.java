package io.pilotfish.sink.datadog.common;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Keeps the first bytes of a response body and stops reading there. Error bodies are only shown as an excerpt, and a
 * misconfigured proxy or a hostile peer may answer with a page of any size, even an endless one: once the limit is
 * reached the subscription is cancelled, which closes that connection (the next request opens another) rather than
 * draining what nobody reads. A body that ends within the limit is read whole and the connection reused.
 */
public final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {

    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final int limit;
    private Flow.Subscription subscription;

    private BoundedBody(int limit) {
        this.limit = limit;
    }

    /** A body handler that keeps at most {@code limit} bytes of each response. */
    public static HttpResponse.BodyHandler<byte[]> handler(int limit) {
        return info -> new BoundedBody(limit);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer buffer : items) {
            int take = Math.min(buffer.remaining(), limit - kept.size());
            if (take > 0) {
                byte[] chunk = new byte[take];
                buffer.get(chunk);
                kept.write(chunk, 0, take);
            }
            if (buffer.hasRemaining()) {
                // More than the limit: what is kept is the excerpt; the rest is not read at all.
                subscription.cancel();
                result.complete(kept.toByteArray());
                return;
            }
        }
    }

    @Override
    public void onError(Throwable throwable) {
        result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
        if (!result.isDone()) {
            result.complete(kept.toByteArray());
        }
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }
}
