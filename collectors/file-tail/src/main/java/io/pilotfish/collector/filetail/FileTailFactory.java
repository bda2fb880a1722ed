package io.pilotfish.collector.filetail;

import io.pilotfish.processing.logs.LogProcessingOptions;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.signal.TagSet;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code file-tail} collector: follows log files an app writes to a shared task volume, through rotation by rename
 * and by copy-truncate, with read positions kept on a volume so that a restarted sidecar neither loses nor repeats a
 * line. Off unless declared: {@code pilotfish.collectors.<name>.type=file-tail} with {@code paths}.
 */
public final class FileTailFactory implements CollectorFactory<FileTailConfig> {

    public static final String TYPE = "file-tail";
    /** The read buffer: one, shared by the instance's files (they are read one after the other). */
    static final int READ_CHUNK_BYTES = 64 * 1024;

    @Override
    public String type() {
        return TYPE;
    }

    /** What the files' unfinished multi-line messages may hold together. */
    static final long MAX_PENDING_BYTES = 2L * 1024 * 1024;

    @Override
    public FileTailConfig configure(PluginConfig config) {
        List<String> paths = new ArrayList<>();
        for (String glob : config.list("paths")) {
            String g = glob.strip();
            if (g.isEmpty()) {
                continue;
            }
            if (!g.startsWith("/")) {
                config.problem("paths", "absolute globs, e.g. /var/log/app/*.log ('" + g + "' is relative)");
                continue;
            }
            try {
                java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + g);
                paths.add(g);
            } catch (IllegalArgumentException e) {
                config.problem("paths", "valid globs ('" + g + "': " + e.getMessage() + ")");
            }
        }
        if (paths.isEmpty() && config.list("paths").isEmpty()) {
            config.problem("paths", "one or more absolute globs of the files to follow, e.g. /var/log/app/*.log");
        }
        Optional<Path> checkpointDir = Optional.empty();
        Optional<String> dir = config.string("checkpoint-dir").filter(s -> !s.isBlank());
        if (dir.isPresent()) {
            try {
                Path p = Path.of(dir.get());
                if (!p.isAbsolute()) {
                    config.problem("checkpoint-dir", "an absolute directory on a task volume");
                } else {
                    checkpointDir = Optional.of(p);
                }
            } catch (InvalidPathException e) {
                config.problem("checkpoint-dir", "a directory path (" + e.getMessage() + ")");
            }
        }
        java.time.Duration poll = config.duration("poll-interval", FileTailConfig.DEFAULT_POLL_INTERVAL);
        if (poll.toMillis() < 50) {
            config.problem("poll-interval", "at least 50ms (a file system walk every poll)");
        }
        return new FileTailConfig(paths, config.string("service", ""), config.string("source", ""),
                TagSet.of(config.list("tags")), checkpointDir,
                (int) config.number("max-line-bytes", FileTailConfig.DEFAULT_MAX_LINE_BYTES, 1024, 1_000_000),
                poll,
                (int) config.number("max-files", FileTailConfig.DEFAULT_MAX_FILES, 1, 4096),
                LogProcessingOptions.read(config));
    }

    /**
     * The read buffer (a line is never kept between reads: a line still being written is read again, whole, once
     * it ends) and the table of followed files.
     */
    @Override
    public long memoryBytes(FileTailConfig config) {
        return READ_CHUNK_BYTES + config.maxLineBytes() + 16L + config.maxFiles() * 512L + MAX_PENDING_BYTES;
    }

    @Override
    public Collector create(FileTailConfig config, PluginContext context) {
        return new FileTailer(config, context);
    }
}
