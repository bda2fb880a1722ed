package io.pilotfish.collector.filetail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Read positions kept in one small text file on a volume, {@code <file key>\t<offset>\t<path>} a line, replaced as a
 * whole (written beside it, then renamed over it) so that a crash leaves the old file or the new one, never half of
 * one. The key is the file's identity (device and inode), so that a file renamed by rotation is not mistaken for the
 * new file at its path.
 */
final class Checkpoints {

    /** A checkpoint file larger than this is not ours (or is corrupt): it is ignored and reported. */
    static final long MAX_FILE_BYTES = 4 * 1024 * 1024;

    record Position(long offset, String path) {
    }

    private final Optional<Path> file;
    private final Map<String, Position> positions = new LinkedHashMap<>();
    private boolean existed;

    Checkpoints(Optional<Path> directory, String instanceName) {
        this.file = directory.map(d -> d.resolve("file-tail-" + instanceName.replaceAll("[^A-Za-z0-9._-]", "_")
                + ".positions"));
    }

    /**
     * Reads the file, if there is one.
     *
     * @throws IOException when it exists but cannot be read (the caller reports it and starts as on a first run)
     */
    void load() throws IOException {
        if (file.isEmpty() || !Files.exists(file.get())) {
            return;
        }
        existed = true;
        if (Files.size(file.get()) > MAX_FILE_BYTES) {
            throw new IOException(file.get() + " is over " + MAX_FILE_BYTES + " bytes; it is not a positions file");
        }
        for (String line : Files.readAllLines(file.get(), StandardCharsets.UTF_8)) {
            String[] parts = line.split("\t", 3);
            if (parts.length == 3) {
                try {
                    positions.put(parts[0], new Position(Long.parseLong(parts[1]), parts[2]));
                } catch (NumberFormatException e) {
                    // a line we did not write: skip it, keep the others
                }
            }
        }
    }

    /** Whether positions were kept by an earlier run (so files without one appeared while the agent was down). */
    boolean earlierRun() {
        return existed;
    }

    Optional<Position> position(String key) {
        return Optional.ofNullable(positions.get(key));
    }

    boolean persistent() {
        return file.isPresent();
    }

    /** Replaces the file with these positions. */
    void save(Map<String, Position> current) throws IOException {
        positions.clear();
        positions.putAll(current);
        if (file.isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        current.forEach((key, position) -> text.append(key).append('\t').append(position.offset()).append('\t')
                .append(position.path().replace('\n', ' ')).append('\n'));
        Path target = file.get();
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        try {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
        existed = true;
    }
}
