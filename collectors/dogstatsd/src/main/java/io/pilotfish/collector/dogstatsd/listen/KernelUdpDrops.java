package io.pilotfish.collector.dogstatsd.listen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Datagrams the kernel dropped for one UDP socket (its receive buffer was full), from the {@code drops} column of
 * {@code /proc/net/udp} and {@code /proc/net/udp6}. The kernel counts per socket from its creation, so the figure is
 * "since the listener started".
 */
final class KernelUdpDrops {

    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
    private static final int LOCAL_ADDRESS = 1;
    private static final int INODE = 9;
    private static final int DROPS = 12;
    /** Any socket on the port: used when the socket's inode is unknown. */
    static final long ANY_INODE = -1;

    private KernelUdpDrops() {
    }

    /** Drops summed over both tables; empty when neither lists the socket (or the OS has no such tables). */
    static OptionalLong read(Path procNet, int localPort, long inode) {
        OptionalLong v4 = readTable(procNet.resolve("udp"), localPort, inode);
        OptionalLong v6 = readTable(procNet.resolve("udp6"), localPort, inode);
        if (v4.isEmpty()) {
            return v6;
        }
        return v6.isEmpty() ? v4 : OptionalLong.of(v4.getAsLong() + v6.getAsLong());
    }

    private static OptionalLong readTable(Path table, int localPort, long inode) {
        try {
            return parse(Files.readString(table, StandardCharsets.US_ASCII), localPort, inode);
        } catch (IOException | SecurityException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Drops of the sockets bound to {@code localPort} (and with inode {@code inode}, unless {@link #ANY_INODE}) in
     * the text of one table; empty when none matches or the kernel has no drops column.
     */
    static OptionalLong parse(String table, int localPort, long inode) {
        long sum = 0;
        boolean found = false;
        String[] lines = table.split("\n");
        for (int i = 1; i < lines.length; i++) { // line 0 is the header
            String[] columns = lines[i].strip().split("\\s+");
            if (columns.length <= DROPS || portOf(columns[LOCAL_ADDRESS]) != localPort) {
                continue;
            }
            if (inode != ANY_INODE && !columns[INODE].equals(Long.toString(inode))) {
                continue;
            }
            try {
                sum += Long.parseLong(columns[DROPS]);
                found = true;
            } catch (NumberFormatException e) {
                // a line this parser does not understand is not our socket's
            }
        }
        return found ? OptionalLong.of(sum) : OptionalLong.empty();
    }

    /** The port of a {@code HEXADDRESS:HEXPORT} column, or -1. */
    private static int portOf(String localAddress) {
        int colon = localAddress.lastIndexOf(':');
        if (colon < 0) {
            return -1;
        }
        try {
            return Integer.parseInt(localAddress, colon + 1, localAddress.length(), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The inode of the socket behind file descriptor {@code fd} of this process, from {@code /proc/self/fd}. */
    static OptionalLong socketInode(Path procRoot, int fd) {
        try {
            String target = Files.readSymbolicLink(procRoot.resolve("self/fd/" + fd)).toString(); // socket:[12345]
            if (target.startsWith("socket:[") && target.endsWith("]")) {
                return OptionalLong.of(Long.parseLong(target.substring(8, target.length() - 1)));
            }
        } catch (IOException | UnsupportedOperationException | SecurityException | NumberFormatException e) {
            // not Linux, or no procfs: match by port alone
        }
        return OptionalLong.empty();
    }
}
