package io.pilotfish.collector.dogstatsd.listen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/** The file of a Unix socket the listeners bind: checked and cleared before binding, removed on close. */
final class UnixSocketFile {

    /** {@code sun_path} holds 108 bytes, the terminating NUL included. */
    static final int MAX_PATH_BYTES = 107;
    private static final int FILE_TYPE_MASK = 0170000;
    private static final int SOCKET_TYPE = 0140000;

    private final Path path;
    /** The identity (device and inode) of the socket file bound, so that close never removes another's socket. */
    private final Object fileKey;

    private UnixSocketFile(Path path, Object fileKey) {
        this.path = path;
        this.fileKey = fileKey;
    }

    /**
     * Makes {@code path} ready to bind: short enough, in an existing writable directory, and free. A socket file left
     * by a previous run (a crash skips the clean-up) is removed, as the Agent does; any other file is left alone.
     */
    static void prepare(Path path, String listener, String setting) {
        Path absolute = path.toAbsolutePath();
        int length = absolute.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_PATH_BYTES) {
            throw ListenerException.permanent(listener + " " + absolute + ": the path is " + length + " bytes long"
                    + " and Unix socket paths are limited to " + MAX_PATH_BYTES + ". Set " + setting
                    + " to a shorter path.");
        }
        Path directory = absolute.getParent();
        if (directory == null || !Files.isDirectory(directory)) {
            throw new ListenerException(listener + " " + absolute + ": the directory " + directory + " does not exist."
                    + " Create it (in ECS, mount the volume shared with the application containers there) or change "
                    + setting + ".");
        }
        if (!Files.isWritable(directory)) {
            throw new ListenerException(listener + " " + absolute + ": the directory " + directory + " is not writable"
                    + " by this process. Make it writable for the agent's user or change " + setting + ".");
        }
        if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(absolute)) {
            throw new ListenerException(listener + " " + absolute + ": a file that is not a socket is already there;"
                    + " it was left alone. Remove it or change " + setting + ".");
        }
        try {
            Files.delete(absolute);
        } catch (IOException e) {
            throw new ListenerException(listener + " " + absolute + ": the socket file of a previous run cannot be"
                    + " removed (" + e + "). Remove it or change " + setting + ".", e);
        }
    }

    static boolean isSocket(Path path) {
        try {
            Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return mode instanceof Integer bits && (bits & FILE_TYPE_MASK) == SOCKET_TYPE;
        } catch (UnsupportedOperationException e) {
            // no "unix" attribute view: a socket is neither a file, a directory nor a link
            try {
                return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
            } catch (IOException notReadable) {
                return false;
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** Records the socket file just bound, so that {@link #delete()} removes this file and no other. */
    static UnixSocketFile bound(Path path) {
        Path absolute = path.toAbsolutePath();
        try {
            return new UnixSocketFile(absolute,
                    Files.readAttributes(absolute, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey());
        } catch (IOException e) {
            return new UnixSocketFile(absolute, null);
        }
    }

    /**
     * Lets every user write to the socket. Other containers of the task reach it through a shared volume and may run
     * as other users; connecting or sending to a Unix socket needs write permission on its file and nothing else
     * (the Agent sets 0722; reading or executing a socket file means nothing).
     */
    void openToOtherUsers() throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw--w--w-"));
    }

    /** Removes the socket file, unless another process has replaced it since it was bound. */
    void delete() {
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (fileKey == null || Objects.equals(current, fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // already gone, or not ours to remove any more
        }
    }

    Path path() {
        return path;
    }
}
