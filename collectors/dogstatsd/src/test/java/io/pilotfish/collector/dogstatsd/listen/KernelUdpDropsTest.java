package io.pilotfish.collector.dogstatsd.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drops column of /proc/net/udp, from fixtures and from a live socket. */
class KernelUdpDropsTest {

    private static final String HEADER = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
            + "   uid  timeout inode ref pointer drops\n";
    // 1FBD is port 8125, 14E9 is 5353
    private static final String UDP = HEADER
            + "  123: 0100007F:1FBD 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 4242 2"
            + " ffff8a0f1c2e4000 17\n"
            + "  456: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 1111 2"
            + " ffff8a0f1c2e4400 3\n"
            + "  789: 00000000:1FBD 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 4343 2"
            + " ffff8a0f1c2e4800 5\n";
    private static final String UDP6 = HEADER
            + "  123: 00000000000000000000000000000000:1FBD 00000000000000000000000000000000:0000 07"
            + " 00000000:00000000 00:00000000 00000000  1000        0 5151 2 ffff8a0f1c2e5000 2\n";

    @Test
    void dropsOfTheSocketWithTheInode() {
        assertEquals(OptionalLong.of(17), KernelUdpDrops.parse(UDP, 8125, 4242));
        assertEquals(OptionalLong.of(5), KernelUdpDrops.parse(UDP, 8125, 4343));
        assertEquals(OptionalLong.of(2), KernelUdpDrops.parse(UDP6, 8125, 5151));
    }

    @Test
    void withoutAnInodeEverySocketOnThePortCounts() {
        assertEquals(OptionalLong.of(22), KernelUdpDrops.parse(UDP, 8125, KernelUdpDrops.ANY_INODE));
        assertEquals(OptionalLong.of(3), KernelUdpDrops.parse(UDP, 5353, KernelUdpDrops.ANY_INODE));
    }

    @Test
    void emptyWhenNoSocketMatches() {
        assertEquals(OptionalLong.empty(), KernelUdpDrops.parse(UDP, 8126, KernelUdpDrops.ANY_INODE));
        assertEquals(OptionalLong.empty(), KernelUdpDrops.parse(UDP, 8125, 9999));
        assertEquals(OptionalLong.empty(), KernelUdpDrops.parse(HEADER, 8125, KernelUdpDrops.ANY_INODE));
        assertEquals(OptionalLong.empty(), KernelUdpDrops.parse("", 8125, KernelUdpDrops.ANY_INODE));
    }

    @Test
    void emptyWhenTheKernelHasNoDropsColumn() {
        String old = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
                + " inode\n"
                + "   0: 0100007F:1FBD 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 4242\n";
        assertEquals(OptionalLong.empty(), KernelUdpDrops.parse(old, 8125, KernelUdpDrops.ANY_INODE));
    }

    @Test
    void bothTablesAreSummed(@TempDir Path procNet) throws Exception {
        Files.writeString(procNet.resolve("udp"), UDP);
        Files.writeString(procNet.resolve("udp6"), UDP6);
        assertEquals(OptionalLong.of(24), KernelUdpDrops.read(procNet, 8125, KernelUdpDrops.ANY_INODE));
        assertEquals(OptionalLong.of(17), KernelUdpDrops.read(procNet, 8125, 4242));
        assertEquals(OptionalLong.empty(), KernelUdpDrops.read(procNet.resolve("missing"), 8125, 4242));
    }

    @Test
    void aLiveSocketIsFound() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/udp")), "needs Linux procfs");
        try (DatagramChannel socket = DatagramChannel.open()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) socket.getLocalAddress()).getPort();

            OptionalLong drops = KernelUdpDrops.read(Path.of("/proc/net"), port, KernelUdpDrops.ANY_INODE);

            assertTrue(drops.isPresent(), "port " + port + " is in /proc/net/udp");
            assertEquals(0, drops.getAsLong());
        }
    }

    @Test
    void theInodeOfAFileDescriptor() throws Exception {
        assumeTrue(Epoll.isAvailable(), "needs Linux");
        io.netty.channel.unix.Socket socket = io.netty.channel.unix.Socket.newSocketDgram();
        try {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) socket.localAddress()).getPort();

            OptionalLong inode = KernelUdpDrops.socketInode(Path.of("/proc"), socket.intValue());

            assertTrue(inode.isPresent());
            assertEquals(OptionalLong.of(0), KernelUdpDrops.read(Path.of("/proc/net"), port, inode.getAsLong()));
        } finally {
            socket.close();
        }
    }
}
