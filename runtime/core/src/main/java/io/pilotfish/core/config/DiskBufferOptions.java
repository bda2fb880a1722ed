package io.pilotfish.core.config;

import io.pilotfish.core.buffer.DiskBuffer;
import io.pilotfish.spi.PluginConfig;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A sink's optional disk buffer: where its queue continues when memory is full, and what it keeps across a restart.
 * Off unless {@code disk-buffer.path} is set.
 *
 * @param path     the directory (on a task volume); empty when off
 * @param maxBytes the bound on the segment files together
 */
public record DiskBufferOptions(Optional<Path> path, long maxBytes) {

    public static final String PATH_KEY = "disk-buffer.path";
    public static final String MAX_BYTES_KEY = "disk-buffer.max-bytes";
    public static final DiskBufferOptions OFF = new DiskBufferOptions(Optional.empty(), DiskBuffer.DEFAULT_MAX_BYTES);

    public boolean enabled() {
        return path.isPresent();
    }

    /**
     * Reads {@code disk-buffer.*} of one sink. The directory is checked without being created (validation does not
     * change the file system): an existing path must be a writable directory, a missing one must be creatable under
     * its nearest existing parent. The sink creates it when it starts.
     */
    public static DiskBufferOptions read(PluginConfig config) {
        String raw = config.string(PATH_KEY, "").trim();
        long maxBytes = config.number(MAX_BYTES_KEY, DiskBuffer.DEFAULT_MAX_BYTES, DiskBuffer.MIN_MAX_BYTES,
                1L << 40);
        if (raw.isEmpty()) {
            return new DiskBufferOptions(Optional.empty(), maxBytes);
        }
        Path path;
        try {
            path = Path.of(raw);
        } catch (InvalidPathException e) {
            config.problem(PATH_KEY, "expected a directory path (" + e.getReason() + ")");
            return new DiskBufferOptions(Optional.empty(), maxBytes);
        }
        if (!path.isAbsolute()) {
            config.problem(PATH_KEY, "expected an absolute directory path, such as a task volume's containerPath");
            return new DiskBufferOptions(Optional.empty(), maxBytes);
        }
        unusable(path).ifPresent(why -> config.problem(PATH_KEY, "a writable directory; " + why
                + ". Mount a writable volume there (see deploy/README.md), or leave the key empty to keep the queue "
                + "in memory only"));
        return new DiskBufferOptions(Optional.of(path), maxBytes);
    }

    /** Why the directory could not be used, judged from what exists; empty when it looks usable. */
    static Optional<String> unusable(Path path) {
        if (Files.exists(path)) {
            if (!Files.isDirectory(path)) {
                return Optional.of(path + " exists and is not a directory");
            }
            return Files.isWritable(path) ? Optional.empty() : Optional.of(path + " is not writable");
        }
        Path parent = path.getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (parent == null) {
            return Optional.empty();
        }
        if (!Files.isDirectory(parent)) {
            return Optional.of(path + " cannot be created: " + parent + " is not a directory");
        }
        return Files.isWritable(parent) ? Optional.empty()
                : Optional.of(path + " does not exist and cannot be created: " + parent + " is not writable");
    }
}
