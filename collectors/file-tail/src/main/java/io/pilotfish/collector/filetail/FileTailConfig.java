package io.pilotfish.collector.filetail;

import io.pilotfish.processing.logs.LogProcessingOptions;
import io.pilotfish.spi.signal.TagSet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One {@code file-tail} instance.
 *
 * @param paths         absolute globs ({@code *}, {@code ?}, {@code **}, {@code {a,b}}) of the files to follow
 * @param service       the logs' {@code service}
 * @param source        the logs' {@code ddsource}
 * @param tags          added to every log
 * @param checkpointDir where the read positions are kept across restarts (a task volume); empty: in memory only,
 *                      so every start begins at the end of the files that exist
 * @param maxLineBytes  a longer line is cut there, marked and counted; the rest of it is skipped
 * @param pollInterval  how often the globs are expanded and the files read
 * @param maxFiles      files followed at once; more are reported and left
 * @param processing    rules, multi-line and stack-trace joining ({@code log-processing-rules},
 *                      {@code stack-trace-aggregation}, {@code auto-multi-line-detection})
 */
public record FileTailConfig(List<String> paths, String service, String source, TagSet tags,
                             Optional<Path> checkpointDir, int maxLineBytes, Duration pollInterval, int maxFiles,
                             LogProcessingOptions processing) {

    /** The Datadog Agent's largest log message ({@code DefaultMaxMessageSizeBytes}). */
    public static final int DEFAULT_MAX_LINE_BYTES = 256_000;
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    public static final int DEFAULT_MAX_FILES = 128;

    public FileTailConfig {
        paths = List.copyOf(paths);
    }
}
