package io.pilotfish.health;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One HTTP/1.1 GET over a plain socket, within one deadline for connecting and reading. The JDK's HttpClient
 * would do, but with its selector thread and many more classes the whole check took 614 ms of wall time and
 * 52 MiB of RSS under the launcher's probe flags, against 42 ms and 37 MiB this way (bench/RESULTS.md).
 */
final class HttpGet {

    /** The health answer is a few dozen bytes; anything this large is not the agent. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;

    /** The status code and the body, decoded as UTF-8. */
    record Answer(int status, String body) {
    }

    /** No connection within the deadline, or no complete answer on it. */
    static final class TimeoutException extends IOException {
        final boolean connected;

        TimeoutException(boolean connected) {
            super(connected ? "no answer in time" : "no connection in time", null);
            this.connected = connected;
        }
    }

    private HttpGet() {
    }

    static Answer get(String host, int port, String path, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket socket = new Socket()) {
            try {
                socket.connect(new InetSocketAddress(host, port), remainingMillis(deadline, false));
            } catch (SocketTimeoutException e) {
                throw new TimeoutException(false);
            }
            socket.setTcpNoDelay(true);
            String authority = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + authority + "\r\nAccept: application/json\r\n"
                    + "User-Agent: pilotfish-health\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Reader in = new Reader(socket, deadline);
            try {
                return read(in);
            } catch (SocketTimeoutException e) {
                throw new TimeoutException(true);
            }
        }
    }

    private static Answer read(Reader in) throws IOException {
        String statusLine = in.line();
        if (statusLine == null) {
            throw new IOException("the connection closed without an answer");
        }
        int status = statusCode(statusLine);
        long contentLength = -1;
        boolean chunked = false;
        String header;
        while ((header = in.line()) != null && !header.isEmpty()) {
            int colon = header.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = header.substring(0, colon).trim();
            String value = header.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IOException("not an HTTP answer: Content-Length " + value);
                }
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.toLowerCase().contains("chunked")) {
                chunked = true;
            }
        }
        if (header == null) {
            throw new IOException("the connection closed in the middle of the answer's headers");
        }
        byte[] body;
        if (chunked) {
            body = in.chunked();
        } else if (contentLength >= 0) {
            if (contentLength > MAX_ANSWER_BYTES) {
                throw new IOException("the answer is larger than " + MAX_ANSWER_BYTES + " bytes");
            }
            body = in.exactly((int) contentLength);
        } else {
            body = in.toEnd();
        }
        return new Answer(status, new String(body, StandardCharsets.UTF_8));
    }

    /** From {@code HTTP/1.1 200 OK}: the three digits after the version. */
    private static int statusCode(String line) throws IOException {
        if (line.startsWith("HTTP/") && line.length() >= 12 && line.charAt(8) == ' '
                && (line.length() == 12 || line.charAt(12) == ' ')) {
            try {
                return Integer.parseInt(line.substring(9, 12));
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        String shown = line.length() > 60 ? line.substring(0, 60) + "..." : line;
        throw new IOException("not an HTTP answer: \"" + printable(shown) + "\"");
    }

    /** Control characters of a broken answer shown as {@code ?}, so the probe's output stays one line. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return out.toString();
    }

    private static int remainingMillis(long deadline, boolean connected) throws TimeoutException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new TimeoutException(connected);
        }
        return (int) Math.min(left, Integer.MAX_VALUE);
    }

    /** Reads the socket with every read bounded by what is left of the deadline, and the total bounded in size. */
    private static final class Reader {
        private final Socket socket;
        private final InputStream in;
        private final long deadline;
        private final byte[] buffer = new byte[4096];
        private int position;
        private int limit;
        private int total;

        Reader(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadline = deadline;
        }

        /** The next byte, or -1 at the end of the stream. */
        private int next() throws IOException {
            if (position == limit) {
                socket.setSoTimeout(remainingMillis(deadline, true));
                int read = in.read(buffer, 0, buffer.length);
                if (read < 0) {
                    return -1;
                }
                total += read;
                if (total > MAX_ANSWER_BYTES) {
                    throw new IOException("the answer is larger than " + MAX_ANSWER_BYTES + " bytes");
                }
                position = 0;
                limit = read;
            }
            return buffer[position++] & 0xff;
        }

        /** A line without its CR LF (a bare LF is accepted), or null when the stream ends before any byte. */
        String line() throws IOException {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = next()) != -1 && b != '\n') {
                line.append((char) b);
            }
            if (b == -1 && line.isEmpty()) {
                return null;
            }
            int end = line.length();
            return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
        }

        byte[] exactly(int count) throws IOException {
            byte[] out = new byte[count];
            for (int i = 0; i < count; i++) {
                int b = next();
                if (b == -1) {
                    throw new IOException("the connection closed after " + i + " of " + count + " bytes of the answer");
                }
                out[i] = (byte) b;
            }
            return out;
        }

        byte[] toEnd() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int b;
            while ((b = next()) != -1) {
                out.write(b);
            }
            return out.toByteArray();
        }

        byte[] chunked() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = line();
                if (sizeLine == null) {
                    throw new IOException("the connection closed in the middle of a chunked answer");
                }
                int extension = sizeLine.indexOf(';');
                String hex = (extension >= 0 ? sizeLine.substring(0, extension) : sizeLine).trim();
                int size;
                try {
                    size = Integer.parseInt(hex, 16);
                } catch (NumberFormatException e) {
                    throw new IOException("not an HTTP answer: chunk size \"" + printable(hex) + "\"");
                }
                if (size < 0 || size > MAX_ANSWER_BYTES) {
                    throw new IOException("the answer is larger than " + MAX_ANSWER_BYTES + " bytes");
                }
                if (size == 0) {
                    String trailer;
                    while ((trailer = line()) != null && !trailer.isEmpty()) {
                        // trailers carry nothing the probe reads
                    }
                    return out.toByteArray();
                }
                out.write(exactly(size));
                line(); // the CR LF after the chunk
            }
        }
    }
}
