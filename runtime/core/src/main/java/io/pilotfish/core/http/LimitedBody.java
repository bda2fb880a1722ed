package io.pilotfish.core.http;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A whole response body, or a refusal when it is longer than a limit: the agent's heap is small, and one answer of
 * hundreds of megabytes from a broken or hostile peer must not take it down. A {@code Content-Length} above the limit
 * is refused before a byte is read; a body of unknown length (chunked) is read until it passes the limit, then the
 * subscription is cancelled, which closes the connection, so no more than {@code limit} bytes are ever held. Either
 * way the response completes exceptionally with {@link BodyTooLargeException}.
 *
 * <p>Unlike the sinks' {@code BoundedBody}, which keeps an excerpt of an error page and stops there, this is for
 * bodies the agent must read whole to use at all (metadata, credentials): a cut one would be useless or wrong.
 */
public final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {

    private static final int EXCERPT_BYTES = 80;

    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final String what;
    private final long limit;
    private final boolean quoteStart;
    private Flow.Subscription subscription;
    private byte[] kept;
    private int size;

    private LimitedBody(String what, long limit, OptionalLong declared, boolean quoteStart) {
        this.what = what;
        this.limit = limit;
        this.quoteStart = quoteStart;
        // A declared length within the limit sizes the buffer once; otherwise grow as bytes come.
        this.kept = new byte[(int) Math.min(declared.orElse(8192), limit)];
    }

    /**
     * @param what       what is read, for the refusal's message: {@code "GET http://…/task/stats"}
     * @param limit      the most bytes accepted, at least 1
     * @param quoteStart whether the refusal may quote the first bytes (escaped and cut); false where the body may
     *                   hold a secret (credentials, parameter values)
     */
    public static HttpResponse.BodyHandler<byte[]> handler(String what, long limit, boolean quoteStart) {
        if (limit < 1 || limit > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("limit must be from 1 to " + (Integer.MAX_VALUE - 8) + ", was " + limit);
        }
        return info -> {
            OptionalLong declared = info.headers().firstValueAsLong("Content-Length");
            if (declared.isPresent() && declared.getAsLong() > limit) {
                return refusing(new BodyTooLargeException(what, limit, declared.getAsLong(), 0, null));
            }
            return new LimitedBody(what, limit, declared, quoteStart);
        };
    }

    /** A subscriber that reads nothing: cancelling at once closes the connection instead of draining it. */
    private static HttpResponse.BodySubscriber<byte[]> refusing(BodyTooLargeException refusal) {
        CompletableFuture<byte[]> failed = CompletableFuture.failedFuture(refusal);
        return new HttpResponse.BodySubscriber<>() {
            @Override
            public CompletionStage<byte[]> getBody() {
                return failed;
            }

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.cancel();
            }

            @Override
            public void onNext(List<ByteBuffer> item) {
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }
        };
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
            int n = buffer.remaining();
            if ((long) size + n > limit) {
                // Keep nothing more: cancel (the connection closes) and fail with what was seen.
                long read = (long) size + n;
                byte[] start = quoteStart ? start(buffer) : null;
                kept = null;
                subscription.cancel();
                result.completeExceptionally(new BodyTooLargeException(what, limit, -1, read, start));
                return;
            }
            if (size + n > kept.length) {
                kept = Arrays.copyOf(kept, (int) Math.min(limit, Math.max((long) kept.length * 2, size + n)));
            }
            buffer.get(kept, size, n);
            size += n;
        }
    }

    /** The first bytes of the body, for the refusal's message: from what is kept, then from the refused buffer. */
    private byte[] start(ByteBuffer refused) {
        byte[] start = Arrays.copyOf(kept, Math.min(size, EXCERPT_BYTES));
        if (start.length < EXCERPT_BYTES) {
            int more = Math.min(refused.remaining(), EXCERPT_BYTES - start.length);
            start = Arrays.copyOf(start, start.length + more);
            refused.get(start, start.length - more, more);
        }
        return start;
    }

    @Override
    public void onError(Throwable throwable) {
        kept = null;
        result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
        if (!result.isDone()) {
            result.complete(size == kept.length ? kept : Arrays.copyOf(kept, size));
            kept = null;
        }
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }
}
