package io.pilotfish.testkit;

import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * An HTTP sink that keeps the contract, or breaks exactly one rule of it ({@link Flaw}): the contract tests must pass
 * on the first and fail on each of the others. It posts one line per signal to {@code <url>/intake/sample}.
 */
public final class SampleHttpSinkFactory implements SinkFactory<SampleHttpSinkFactory.Config> {

    public enum Flaw {
        NONE, SERVER_ERROR_IS_PERMANENT, IGNORES_RETRY_AFTER, RETRIES_ITSELF, TOO_LARGE_IS_PERMANENT,
        BAD_REQUEST_IS_RETRYABLE, FORBIDDEN_IS_PERMANENT, REASON_QUOTES_BODY, THROWS_WHEN_UNREACHABLE, SENDS_NO_API_KEY, LOGS_THE_KEY,
        KEY_IN_TO_STRING, LOOSER_BATCH_LIMITS, SAMPLES_MISS_A_KIND, READS_REQUEST_TIMEOUT
    }

    public record Config(URI url) {
    }

    private final Flaw flaw;

    public SampleHttpSinkFactory() {
        this(Flaw.NONE);
    }

    public SampleHttpSinkFactory(Flaw flaw) {
        this.flaw = flaw;
    }

    @Override
    public String type() {
        return "sample-http";
    }

    @Override
    public Config configure(PluginConfig config) {
        if (flaw == Flaw.READS_REQUEST_TIMEOUT) {
            config.duration("request-timeout", Duration.ofSeconds(10));
        }
        Optional<String> raw = config.string("url");
        if (raw.isEmpty()) {
            config.problem("url", "the intake's base URL is required, such as http://127.0.0.1:8080");
            return null;
        }
        try {
            URI url = new URI(raw.get());
            if (("http".equals(url.getScheme()) || "https".equals(url.getScheme())) && url.getHost() != null) {
                return new Config(url);
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        config.problem("url", "expected an http URL with a host, such as http://127.0.0.1:8080");
        return null;
    }

    @Override
    public Set<SignalKind> signals(Config config) {
        return flaw == Flaw.SAMPLES_MISS_A_KIND ? EnumSet.of(SignalKind.METRIC, SignalKind.EVENT)
                : EnumSet.of(SignalKind.METRIC);
    }

    @Override
    public BatchLimits batchLimits(Config config) {
        return flaw == Flaw.LOOSER_BATCH_LIMITS ? new BatchLimits(50_000, 1024)
                : new BatchLimits(1_000, 512 * 1024);
    }

    @Override
    public Sink create(Config config, PluginContext context) {
        return new SampleSink(config, context);
    }

    private final class SampleSink implements Sink {
        private final Config config;
        private final PluginContext context;

        SampleSink(Config config, PluginContext context) {
            this.config = config;
            this.context = context;
        }

        @Override
        public CompletionStage<ExportResult> export(List<Signal> batch) {
            Optional<Secret> key = context.agent().apiKey().get();
            HttpRequest.Builder request = HttpRequest.newBuilder(config.url().resolve("/intake/sample"))
                    .timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString(batch.stream().map(String::valueOf)
                            .collect(Collectors.joining("\n"))));
            if (key.isPresent() && flaw != Flaw.SENDS_NO_API_KEY) {
                request.header("DD-API-KEY", key.get().reveal());
                if (flaw == Flaw.LOGS_THE_KEY) {
                    context.log().info("sending with key " + key.get().reveal());
                }
            }
            if (flaw == Flaw.THROWS_WHEN_UNREACHABLE) {
                try {
                    HttpResponse<String> response = context.httpClient().send(request.build(),
                            HttpResponse.BodyHandlers.ofString());
                    return CompletableFuture.completedFuture(classify(response));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return send(request.build(), flaw == Flaw.RETRIES_ITSELF ? 2 : 0);
        }

        private CompletionStage<ExportResult> send(HttpRequest request, int retriesLeft) {
            return context.httpClient().sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenCompose(response -> response.statusCode() >= 500 && retriesLeft > 0
                            ? send(request, retriesLeft - 1)
                            : CompletableFuture.completedFuture(classify(response)))
                    .exceptionally(failure -> new ExportResult.Retryable("could not reach " + config.url().getHost()
                            + ": " + failure.getMessage()));
        }

        private ExportResult classify(HttpResponse<String> response) {
            int status = response.statusCode();
            String reason = "the intake answered HTTP " + status
                    + (flaw == Flaw.REASON_QUOTES_BODY ? ": " + response.body() : "");
            if (status >= 200 && status < 300) {
                return ExportResult.SUCCESS;
            }
            if (status == 413) {
                return flaw == Flaw.TOO_LARGE_IS_PERMANENT ? new ExportResult.Permanent(reason)
                        : new ExportResult.TooLarge(reason);
            }
            if (status == 429 || status >= 500) {
                if (flaw == Flaw.SERVER_ERROR_IS_PERMANENT && status >= 500) {
                    return new ExportResult.Permanent(reason);
                }
                Optional<Duration> retryAfter = flaw == Flaw.IGNORES_RETRY_AFTER ? Optional.empty()
                        : response.headers().firstValue("Retry-After").filter(v -> v.matches("\\d+"))
                                .map(v -> Duration.ofSeconds(Long.parseLong(v)));
                return new ExportResult.Retryable(reason, retryAfter);
            }
            if ((status == 401 || status == 403) && flaw != Flaw.FORBIDDEN_IS_PERMANENT) {
                return new ExportResult.CredentialsRejected(reason);
            }
            return flaw == Flaw.BAD_REQUEST_IS_RETRYABLE ? new ExportResult.Retryable(reason)
                    : new ExportResult.Permanent(reason);
        }

        @Override
        public String toString() {
            return "SampleSink[" + config.url() + (flaw == Flaw.KEY_IN_TO_STRING
                    ? ", key=" + context.agent().apiKey().get().map(Secret::reveal).orElse("") : "") + "]";
        }
    }
}
