package io.pilotfish.agent.net;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The agent's HTTP client when the intake proxy has credentials: each request the {@link IntakeProxy} routes through
 * the proxy carries {@code Proxy-Authorization} from the first byte. The JDK sends it with the CONNECT (and with a
 * plain-HTTP request to the proxy) and never to the server behind the proxy.
 *
 * <p>Why not the JDK's {@link Authenticator}: it answers a 407 by retrying with the same credentials until its retry
 * limit, and then fails with an {@link IOException} that says neither "407" nor which proxy, so a wrong password
 * looked like a broken connection to the intake. Sent up front, a refused password comes back as one 407 answer
 * the sinks can name ({@code ResponseClassifier}).
 */
public final class ProxyAuthorizingClient extends HttpClient {

    static final String HEADER = "Proxy-Authorization";

    private final HttpClient delegate;
    private final IntakeProxy proxy;
    private final String credentials;

    /**
     * @param delegate    a client built with {@code proxy} as its proxy selector
     * @param credentials the {@code Proxy-Authorization} value, see {@link IntakeProxy#basicCredentials}
     */
    public ProxyAuthorizingClient(HttpClient delegate, IntakeProxy proxy, String credentials) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.proxy = Objects.requireNonNull(proxy, "proxy");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
    }

    /**
     * A client for the intakes through {@code proxyUri}: {@code builder} with the proxy, and credentials when the URL
     * has them.
     */
    public static HttpClient build(HttpClient.Builder builder, URI proxyUri) {
        IntakeProxy selector = IntakeProxy.of(proxyUri);
        HttpClient client = builder.proxy(selector).build();
        return IntakeProxy.basicCredentials(proxyUri)
                .<HttpClient>map(value -> new ProxyAuthorizingClient(client, selector, value))
                .orElse(client);
    }

    private HttpRequest authorized(HttpRequest request) {
        List<Proxy> route = proxy.select(request.uri());
        if (route.isEmpty() || route.get(0).type() == Proxy.Type.DIRECT
                || request.headers().firstValue(HEADER).isPresent()) {
            return request;
        }
        return HttpRequest.newBuilder(request, (name, value) -> true).header(HEADER, credentials).build();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return delegate.send(authorized(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return delegate.sendAsync(authorized(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        return delegate.sendAsync(authorized(request), handler, pushPromiseHandler);
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }

    @Override
    public void shutdown() {
        delegate.shutdown();
    }

    @Override
    public boolean awaitTermination(Duration duration) throws InterruptedException {
        return delegate.awaitTermination(duration);
    }

    @Override
    public boolean isTerminated() {
        return delegate.isTerminated();
    }

    @Override
    public void shutdownNow() {
        delegate.shutdownNow();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        // Never the credentials.
        return "ProxyAuthorizingClient[proxy " + proxy.describe() + ", " + delegate + "]";
    }
}
