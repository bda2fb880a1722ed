package io.pilotfish.config.ssm;

import io.pilotfish.core.http.BodyTooLargeException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * The SSM client's HTTP client with a limit on every answer's body: the SDK reads a body whole (to unmarshal it), and
 * offers no limit of its own. A {@code Content-Length} above the limit is refused before the body is read; a body of
 * unknown length is counted as the SDK reads it and refused, the connection aborted, once it passes the limit.
 */
final class LimitedSdkHttpClient implements SdkHttpClient {

    private final SdkHttpClient delegate;
    private final long limit;

    LimitedSdkHttpClient(SdkHttpClient delegate, long limit) {
        this.delegate = delegate;
        this.limit = limit;
    }

    /** Wraps what {@code builder} builds, so that the SDK still owns (and closes) the client. */
    static SdkHttpClient.Builder<?> wrapping(SdkHttpClient.Builder<?> builder, long limit) {
        return new Wrapping(builder, limit);
    }

    private record Wrapping(SdkHttpClient.Builder<?> builder, long limit) implements SdkHttpClient.Builder<Wrapping> {
        @Override
        public SdkHttpClient buildWithDefaults(AttributeMap serviceDefaults) {
            return new LimitedSdkHttpClient(builder.buildWithDefaults(serviceDefaults), limit);
        }
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        ExecutableHttpRequest call = delegate.prepareRequest(request);
        String what = request.httpRequest().method() + " " + request.httpRequest().getUri();
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() throws IOException {
                HttpExecuteResponse response = call.call();
                SdkHttpResponse head = response.httpResponse();
                Optional<AbortableInputStream> body = response.responseBody();
                long declared = head.firstMatchingHeader("Content-Length").map(LimitedSdkHttpClient::parseLength)
                        .orElse(-1L);
                if (declared > limit) {
                    body.ifPresent(LimitedSdkHttpClient::abort);
                    // No excerpt: SSM answers carry decrypted parameter values.
                    throw ResponseLimits.refused(ResponseLimits.Route.SSM,
                            new BodyTooLargeException(what, limit, declared, 0, null));
                }
                return body.isEmpty() ? response : HttpExecuteResponse.builder().response(head)
                        .responseBody(AbortableInputStream.create(new Counted(body.get(), what, limit), body.get()))
                        .build();
            }

            @Override
            public void abort() {
                call.abort();
            }
        };
    }

    @Override
    public String clientName() {
        return delegate.clientName();
    }

    @Override
    public void close() {
        delegate.close();
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void abort(AbortableInputStream body) {
        body.abort();
        try {
            body.close();
        } catch (IOException ignored) {
            // aborted already; nothing more to release
        }
    }

    /** Counts the bytes the SDK reads and refuses the answer once they pass the limit. */
    private static final class Counted extends FilterInputStream {
        private final AbortableInputStream source;
        private final String what;
        private final long limit;
        private long read;

        Counted(AbortableInputStream source, String what, long limit) {
            super(source);
            this.source = source;
            this.what = what;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            // Never ask for more than one byte past the limit: that byte alone proves the answer too large.
            int n = super.read(buffer, offset, (int) Math.min(length, limit - read + 1));
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(Math.min(n, limit - read + 1));
            counted(skipped);
            return skipped;
        }

        private void counted(long n) {
            read += n;
            if (read > limit) {
                abort(source);
                throw ResponseLimits.refused(ResponseLimits.Route.SSM,
                        new BodyTooLargeException(what, limit, -1, read, null));
            }
        }
    }
}
