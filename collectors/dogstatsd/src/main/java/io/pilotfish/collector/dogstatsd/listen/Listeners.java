package io.pilotfish.collector.dogstatsd.listen;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DogStatsD listeners: UDP, a Unix datagram socket and a Unix stream socket, all served by one event-loop thread
 * ({@value #THREAD_NAME}). Each packet goes to the {@link PacketHandler} on that thread.
 *
 * <p>Each listener binds on its own, as the Datadog Agent starts its listeners: one that cannot bind is reported in
 * {@link #failures()} (and to the {@link Observer}) while the others run. Unlike the Agent, a listener that failed is
 * bound again with {@link Backoff} until it succeeds (the process holding its port may go away, the directory of its
 * socket may be mounted late), unless the failure is {@linkplain ListenerException#isPermanent permanent}. Only when
 * no listener binds and no failure can clear does {@link #start} fail.
 *
 * <p>Origin from peer credentials works for the stream socket only: the pid comes from SO_PEERCRED once per
 * connection. A datagram carries the sender's credentials only as SCM_CREDENTIALS ancillary data, which Netty (4.1)
 * does not read, so datagrams get their origin only from the client's {@code c:} field.
 */
public final class Listeners implements AutoCloseable {

    static final String THREAD_NAME = "pilotfish-dogstatsd-listener";

    /** Datagrams one recvmmsg call reads at most, and the buffer it may use for them. */
    private static final int DATAGRAMS_PER_SYSCALL = 16;
    private static final int BYTES_PER_SYSCALL = 256 * 1024;
    /** Datagrams read in one wakeup before the thread turns to the other sockets. */
    private static final int DATAGRAMS_PER_WAKEUP = 64;
    /** The most a stream connection reads at once (Netty's adaptive read buffer tops out there). */
    private static final int STREAM_READ_BYTES_MAX = 64 * 1024;
    /**
     * Stream connections open at once, at most: each holds a file descriptor and read buffers, and a task's clients
     * need one or a few each. Beyond it a new connection is closed at once and counted ({@code connection_limit}).
     */
    static final int MAX_STREAM_CONNECTIONS = 256;
    private static final long BIND_TIMEOUT_MILLIS = 5_000;
    private static final long CLOSE_TIMEOUT_MILLIS = 2_000;
    static final String REBIND_THREAD_NAME = "pilotfish-dogstatsd-rebind";

    /** A socket that is listening: its transport and its address ({@code host:port} or the socket path). */
    public record Bound(Transport transport, String address) {
    }

    /**
     * How long to wait before binding a failed listener again: {@code first}, doubling after each failure up to
     * {@code max}, shortened at random by up to {@code jitter} of it so that agents that failed together do not retry
     * in step.
     */
    public record Backoff(Duration first, Duration max, double jitter) {

        /** 1 s doubling to 60 s, up to a fifth shorter at random: a freed port is taken within a minute. */
        public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), 0.2);

        public Backoff {
            Objects.requireNonNull(first, "first");
            Objects.requireNonNull(max, "max");
            if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
                throw new IllegalArgumentException("backoff needs 0 < first <= max: " + first + ", " + max);
            }
            if (!(jitter >= 0 && jitter < 1)) {
                throw new IllegalArgumentException("jitter must be from 0 to below 1: " + jitter);
            }
        }

        /** The wait after the {@code failures}-th failure in a row (1 for the first). */
        public Duration delay(int failures) {
            long maxMillis = max.toMillis();
            long millis = first.toMillis();
            for (int i = 1; i < failures && millis < maxMillis; i++) {
                millis *= 2;
            }
            millis = Math.min(millis, maxMillis);
            return Duration.ofMillis(Math.max(1, Math.round(millis * (1 - jitter
                    * ThreadLocalRandom.current().nextDouble()))));
        }
    }

    /**
     * Told of every bind and every failed bind, on the thread that tried: the one calling {@link #start}, then the
     * retry thread ({@value #REBIND_THREAD_NAME}). Events of one listener come in order.
     */
    public interface Observer {

        Observer NONE = new Observer() {
            @Override
            public void bound(Bound socket) {
            }

            @Override
            public void bindFailed(Transport transport, ListenerException failure, int failures,
                    Optional<Duration> retryIn) {
            }
        };

        /** The socket listens now, at start or after failed attempts. */
        void bound(Bound socket);

        /**
         * The listener could not bind, for the {@code failures}-th time in a row; it is tried again after
         * {@code retryIn}, or never when that is empty (a permanent failure, or the listeners are closing).
         */
        void bindFailed(Transport transport, ListenerException failure, int failures, Optional<Duration> retryIn);
    }

    private final EventLoopGroup loop;
    private final Observer observer;
    private final Backoff backoff;
    // Guarded by this: binding (at start and on the retry thread) and closing take turns.
    private final List<Channel> channels = new ArrayList<>();
    private final List<Bound> bound = new ArrayList<>();
    private final Map<Transport, ListenerException> failing = new EnumMap<>(Transport.class);
    private final Map<Transport, Integer> failuresInARow = new EnumMap<>(Transport.class);
    private final List<UnixSocketFile> socketFiles = new ArrayList<>();
    /** Made on the first failure that is worth retrying. */
    private ScheduledExecutorService rebinder;
    /** Every channel that reads packets: the bound ones and the open stream connections. */
    private final Set<Channel> readers = ConcurrentHashMap.newKeySet();
    /** Written on the listener thread; read also when a listener binds late, so that it starts paused too. */
    private volatile boolean readingPaused;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger streamConnections = new AtomicInteger();
    // Set while binding; read by whichever thread reports the drops.
    private volatile int udpPort;
    private volatile OptionalLong udpSocketInode = OptionalLong.empty();

    private Listeners(EventLoopGroup loop, Observer observer, Backoff backoff) {
        this.loop = loop;
        this.observer = observer;
        this.backoff = backoff;
    }

    /**
     * Binds every configured listener. Uses epoll when available; elsewhere UDP runs on NIO and Unix sockets cannot
     * bind. A socket file left by a previous run is replaced. A listener that cannot bind is closed again, listed in
     * {@link #failures()} and bound again later (see {@link Backoff#DEFAULT}); the others keep running. The observer
     * hears of each bind and each failure, those of this call included, before it returns.
     *
     * @throws ListenerException naming the listener, its address and the setting to change, when no listener could
     *     bind and no failure can clear by itself (the failures of the others are attached as suppressed)
     */
    public static Listeners start(ListenerSettings settings, PacketHandler handler, Observer observer) {
        return start(settings, handler, CgroupContainerId.fromProc(), Epoll.isAvailable(), observer, Backoff.DEFAULT);
    }

    /** As {@link #start(ListenerSettings, PacketHandler, Observer)}, with no one to tell of binds and failures. */
    public static Listeners start(ListenerSettings settings, PacketHandler handler) {
        return start(settings, handler, Observer.NONE);
    }

    /** As {@link #start(ListenerSettings, PacketHandler)}, reading peers' cgroups through {@code containerIds}. */
    static Listeners start(ListenerSettings settings, PacketHandler handler, CgroupContainerId containerIds) {
        return start(settings, handler, containerIds, Epoll.isAvailable());
    }

    /** As above, on epoll or (when {@code epoll} is false, as on other systems) on NIO. */
    static Listeners start(ListenerSettings settings, PacketHandler handler, CgroupContainerId containerIds,
            boolean epoll) {
        return start(settings, handler, containerIds, epoll, Observer.NONE, Backoff.DEFAULT);
    }

    /** As above, telling {@code observer} and retrying failed listeners after {@code backoff}. */
    static Listeners start(ListenerSettings settings, PacketHandler handler, CgroupContainerId containerIds,
            boolean epoll, Observer observer, Backoff backoff) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(containerIds, "containerIds");
        Objects.requireNonNull(observer, "observer");
        Objects.requireNonNull(backoff, "backoff");
        Listeners listeners = new Listeners(epoll
                ? new EpollEventLoopGroup(1, listenerThread())
                : new NioEventLoopGroup(1, listenerThread()), observer, backoff);
        try {
            Map<Transport, Runnable> binders = new EnumMap<>(Transport.class);
            if (settings.udpEnabled()) {
                binders.put(Transport.UDP, () -> listeners.bindUdp(settings, handler, epoll));
            }
            if (settings.socket() != null) {
                binders.put(Transport.UNIX_DATAGRAM, () -> {
                    requireEpoll(epoll, Transport.UNIX_DATAGRAM);
                    listeners.bindUnixDatagram(settings, handler);
                });
            }
            if (settings.streamSocket() != null) {
                binders.put(Transport.UNIX_STREAM, () -> {
                    requireEpoll(epoll, Transport.UNIX_STREAM);
                    listeners.bindUnixStream(settings, handler, containerIds);
                });
            }
            binders.forEach(listeners::tryBinding);
            listeners.failIfNothingCanListen();
            return listeners;
        } catch (RuntimeException e) {
            listeners.close();
            throw e;
        }
    }

    private synchronized void failIfNothingCanListen() {
        if (bound.isEmpty() && !failing.isEmpty()
                && failing.values().stream().allMatch(ListenerException::isPermanent)) {
            List<ListenerException> all = List.copyOf(failing.values());
            ListenerException first = all.get(0);
            all.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }

    /** The sockets listening, in the order they were bound (at start UDP, Unix datagram, Unix stream). */
    public synchronized List<Bound> bound() {
        return List.copyOf(bound);
    }

    /**
     * The listeners that cannot bind now (each naming its address and the setting to change), in the order UDP, Unix
     * datagram, Unix stream; one leaves the list once a retry binds it.
     */
    public synchronized List<ListenerException> failures() {
        return List.copyOf(failing.values());
    }

    /** Whether a failure worth retrying has started the retry thread (for tests). */
    synchronized boolean retryThreadStarted() {
        return rebinder != null;
    }

    /** Binds one listener, tells the observer how it went, and when it failed and may clear, tries again later. */
    private void tryBinding(Transport transport, Runnable bind) {
        Bound socket = null;
        ListenerException failure = null;
        int failures;
        Optional<Duration> retryIn = Optional.empty();
        synchronized (this) {
            if (closed.get()) {
                return;
            }
            try {
                bind.run();
                failing.remove(transport);
                failuresInARow.remove(transport);
                socket = bound.stream().filter(b -> b.transport() == transport).findFirst().orElseThrow();
            } catch (ListenerException e) {
                failure = e;
                failing.put(transport, e);
            }
            failures = failure == null ? 0 : failuresInARow.merge(transport, 1, Integer::sum);
            if (failure != null && !failure.isPermanent()) {
                Duration delay = backoff.delay(failures);
                if (scheduleRetry(transport, bind, delay)) {
                    retryIn = Optional.of(delay);
                }
            }
        }
        // Outside the lock: the observer may ask for bound() or failures(), or take its own locks.
        if (socket != null) {
            observer.bound(socket);
        } else {
            observer.bindFailed(transport, failure, failures, retryIn);
        }
    }

    /** Guarded by this. False when closed: nothing is retried any more. */
    private boolean scheduleRetry(Transport transport, Runnable bind, Duration delay) {
        if (closed.get()) {
            return false;
        }
        if (rebinder == null) {
            rebinder = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, REBIND_THREAD_NAME);
                thread.setDaemon(true);
                return thread;
            });
        }
        try {
            rebinder.schedule(() -> tryBinding(transport, bind), delay.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException e) {
            return false; // shut down by close meanwhile
        }
    }

    private static void requireEpoll(boolean epoll, Transport transport) {
        if (!epoll) {
            throw ListenerException.permanent(listenerName(transport) + " needs Linux and Netty's epoll transport,"
                    + " which is not available here (" + epollUnavailability() + "). Unset " + setting(transport)
                    + ", or run the agent on Linux.");
        }
    }

    /** The bound UDP port (the one picked when any free port was asked for), or 0 when UDP is off. */
    public int udpPort() {
        return udpPort;
    }

    /**
     * Datagrams the kernel dropped for the UDP socket since start, because its receive buffer was full; empty when UDP
     * is off, the listeners are closed, or the OS does not say (no {@code /proc/net/udp}).
     */
    public OptionalLong udpKernelDrops() {
        if (udpPort == 0 || closed.get()) {
            return OptionalLong.empty();
        }
        return KernelUdpDrops.read(Path.of("/proc/net"), udpPort, udpSocketInode.orElse(KernelUdpDrops.ANY_INODE));
    }

    /**
     * The most bytes that can still reach the handler after {@link #pauseReading()}: the wakeup in progress may finish
     * (up to {@value #DATAGRAMS_PER_WAKEUP} datagrams: measured, the epoll datagram channel does not always stop at
     * the end of its recvmmsg batch), or one stream read and the frame it completes.
     */
    public static long bytesInFlightAfterPause(int bufferSize) {
        return Math.max((long) DATAGRAMS_PER_WAKEUP * bufferSize, STREAM_READ_BYTES_MAX + (long) bufferSize);
    }

    /**
     * Stops reading every socket, so that what arrives waits in the kernel's receive buffers (and is counted there if
     * they overflow) instead of being read only to be dropped. Listener thread only: call it from the handler.
     */
    public void pauseReading() {
        readingPaused = true;
        readers.forEach(channel -> channel.config().setAutoRead(false));
    }

    /** Reads again after {@link #pauseReading()}. Listener thread only: see {@link #onListenerThread}. */
    public void resumeReading() {
        readingPaused = false;
        readers.forEach(channel -> channel.config().setAutoRead(true));
    }

    /** Runs {@code task} on the listener thread, after the packets it is handing over now; not after close. */
    public void onListenerThread(Runnable task) {
        if (!closed.get()) {
            try {
                loop.execute(task);
            } catch (RejectedExecutionException e) {
                // Closing meanwhile: there is nothing left to resume.
            }
        }
    }

    /** Closes the sockets, removes the socket files created, and stops the thread; within about two seconds. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<Channel> open;
        List<UnixSocketFile> files;
        // Waits for a bind in progress on the retry thread; none starts after this.
        synchronized (this) {
            if (rebinder != null) {
                rebinder.shutdownNow();
            }
            open = List.copyOf(channels);
            files = List.copyOf(socketFiles);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MILLIS);
        open.forEach(Channel::close);
        for (Channel channel : open) {
            channel.closeFuture().awaitUninterruptibly(remainingMillis(deadline));
        }
        files.forEach(UnixSocketFile::delete);
        // No quiet period: nothing is queued on the loop once its channels are closed (open stream connections are
        // closed by the shutdown itself).
        loop.shutdownGracefully(0, CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(remainingMillis(deadline));
    }

    private void bindUdp(ListenerSettings settings, PacketHandler handler, boolean epoll) {
        int port = settings.udpPort() == ListenerSettings.ANY_FREE_PORT ? 0 : settings.udpPort();
        String address = hostAndPort(settings.udpHost(), port);
        InetSocketAddress bindAddress = new InetSocketAddress(settings.udpHost(), port);
        if (bindAddress.isUnresolved()) {
            throw ListenerException.permanent(listenerName(Transport.UDP) + " could not bind " + address + ": the host "
                    + settings.udpHost() + " is unknown. Leave DD_DOGSTATSD_NON_LOCAL_TRAFFIC unset to bind 127.0.0.1,"
                    + " or set it to true to bind 0.0.0.0.");
        }
        int readSize = DatagramReader.readSize(settings.bufferSize());
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .handler(new DatagramReader(Transport.UDP, settings.bufferSize(), handler));
        if (epoll) {
            // recvmmsg: one read fills a batch of datagrams, each in its own readSize slot of one buffer.
            int batch = Math.max(1, Math.min(DATAGRAMS_PER_SYSCALL, BYTES_PER_SYSCALL / readSize));
            bootstrap.channel(EpollDatagramChannel.class)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, readSize)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(readSize * batch).maxMessagesPerRead(DATAGRAMS_PER_WAKEUP));
        } else {
            bootstrap.channel(NioDatagramChannel.class)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(readSize).maxMessagesPerRead(DATAGRAMS_PER_WAKEUP));
        }
        if (settings.receiveBufferBytes() > 0) {
            bootstrap.option(ChannelOption.SO_RCVBUF, settings.receiveBufferBytes());
        }
        Channel channel = bind(bootstrap, bindAddress, Transport.UDP, address);
        udpPort = ((InetSocketAddress) channel.localAddress()).getPort();
        bound.add(new Bound(Transport.UDP, hostAndPort(settings.udpHost(), udpPort)));
        if (channel instanceof EpollDatagramChannel epollChannel) {
            udpSocketInode = KernelUdpDrops.socketInode(Path.of("/proc"), epollChannel.fd().intValue());
        }
    }

    private void bindUnixDatagram(ListenerSettings settings, PacketHandler handler) {
        Path path = settings.socket();
        UnixSocketFile.prepare(path, listenerName(Transport.UNIX_DATAGRAM), setting(Transport.UNIX_DATAGRAM));
        int receiveBufferBytes = settings.receiveBufferBytes();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(EpollDomainDatagramChannel.class)
                .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(DatagramReader.readSize(settings.bufferSize()))
                                .maxMessagesPerRead(DATAGRAMS_PER_WAKEUP))
                .handler(new ChannelInitializer<EpollDomainDatagramChannel>() {
                    @Override
                    protected void initChannel(EpollDomainDatagramChannel channel) throws IOException {
                        if (receiveBufferBytes > 0) {
                            // Netty's Unix datagram channel has no SO_RCVBUF option; its socket has the call.
                            ((Socket) channel.fd()).setReceiveBufferSize(receiveBufferBytes);
                        }
                        channel.pipeline().addLast(
                                new DatagramReader(Transport.UNIX_DATAGRAM, settings.bufferSize(), handler));
                    }
                });
        bindUnixSocket(bootstrap, path, Transport.UNIX_DATAGRAM);
    }

    private void bindUnixStream(ListenerSettings settings, PacketHandler handler, CgroupContainerId containerIds) {
        Path path = settings.streamSocket();
        UnixSocketFile.prepare(path, listenerName(Transport.UNIX_STREAM), setting(Transport.UNIX_STREAM));
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loop)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel connection) {
                        if (streamConnections.incrementAndGet() > MAX_STREAM_CONNECTIONS) {
                            streamConnections.decrementAndGet();
                            connection.close();
                            handler.problem(Transport.UNIX_STREAM, "connection_limit", MAX_STREAM_CONNECTIONS
                                    + " connections are open, the most allowed: a new one was closed (does a client"
                                    + " open connections without closing them?)");
                            return;
                        }
                        connection.closeFuture().addListener(closed -> streamConnections.decrementAndGet());
                        // A connection opened while reading is paused waits too, until reading resumes.
                        connection.config().setAutoRead(!readingPaused);
                        readers.add(connection);
                        connection.closeFuture().addListener(closed -> readers.remove(connection));
                        connection.pipeline().addLast(StreamConnectionReader.frameDecoder(settings.bufferSize(), handler),
                                new StreamConnectionReader(handler, containerIds,
                                        settings.originFromPeerCredentials()));
                    }
                });
        if (settings.receiveBufferBytes() > 0) {
            bootstrap.childOption(ChannelOption.SO_RCVBUF, settings.receiveBufferBytes());
        }
        bindUnixSocket(bootstrap, path, Transport.UNIX_STREAM);
    }

    private void bindUnixSocket(AbstractBootstrap<?, ?> bootstrap, Path path, Transport transport) {
        Path absolute = path.toAbsolutePath();
        Channel channel = bind(bootstrap, new DomainSocketAddress(absolute.toString()), transport, absolute.toString());
        UnixSocketFile file = UnixSocketFile.bound(absolute);
        socketFiles.add(file);
        try {
            file.openToOtherUsers();
        } catch (IOException | UnsupportedOperationException e) {
            // Clients of other users could not connect: this listener is as good as unbound.
            abandon(channel);
            socketFiles.remove(file);
            file.delete();
            throw new ListenerException(listenerName(transport) + " " + absolute + ": other users cannot be allowed"
                    + " to write to the socket (" + e + "). Put it on a file system with POSIX permissions or change "
                    + setting(transport) + ".", e);
        }
        bound.add(new Bound(transport, absolute.toString()));
    }

    /** Closes a channel of a listener that failed, so that the others run without it. */
    private void abandon(Channel channel) {
        channels.remove(channel);
        readers.remove(channel);
        channel.close().awaitUninterruptibly(CLOSE_TIMEOUT_MILLIS);
    }

    private Channel bind(AbstractBootstrap<?, ?> bootstrap, SocketAddress address, Transport transport, String shown) {
        // A listener bound while reading is paused (a retry) starts paused too.
        bootstrap.option(ChannelOption.AUTO_READ, !readingPaused);
        ChannelFuture future = bootstrap.bind(address);
        Channel channel = future.channel();
        channels.add(channel);
        readers.add(channel);
        // Pausing and resuming run on the listener thread: this runs after any that missed the new channel.
        loop.execute(() -> channel.config().setAutoRead(!readingPaused));
        if (!future.awaitUninterruptibly(BIND_TIMEOUT_MILLIS)) {
            abandon(future.channel());
            throw new ListenerException(listenerName(transport) + " could not bind " + shown + " within "
                    + BIND_TIMEOUT_MILLIS + " ms. Check " + setting(transport) + ".");
        }
        if (!future.isSuccess()) {
            abandon(future.channel());
            throw bindFailure(transport, shown, future.cause());
        }
        return future.channel();
    }

    private static ListenerException bindFailure(Transport transport, String address, Throwable cause) {
        String error = Causes.describe(cause);
        String text = error.toLowerCase(Locale.ROOT);
        String fix;
        if (text.contains("address already in use")) {
            fix = transport == Transport.UDP
                    ? "Another process already uses this port (a Datadog Agent, or a second DogStatsD server in the"
                            + " task?). Stop it, or set DD_DOGSTATSD_PORT to a free port (0 turns UDP off)."
                    : "Another process is bound to this socket. Stop it or change " + setting(transport) + ".";
        } else if (text.contains("permission denied")) {
            fix = transport == Transport.UDP
                    ? "This process may not bind this port (ports below 1024 need CAP_NET_BIND_SERVICE). Set"
                            + " DD_DOGSTATSD_PORT to a port above 1023."
                    : "This process may not create the socket there. Make the directory writable for the agent's user"
                            + " or change " + setting(transport) + ".";
        } else if (text.contains("cannot assign requested address")) {
            fix = "This host has no such address. Leave DD_DOGSTATSD_NON_LOCAL_TRAFFIC unset to bind 127.0.0.1, or"
                    + " set it to true to bind 0.0.0.0.";
        } else {
            fix = "Check " + setting(transport) + ".";
        }
        return new ListenerException(listenerName(transport) + " could not bind " + address + ": " + error + ". "
                + fix, cause);
    }

    private static String listenerName(Transport transport) {
        return switch (transport) {
            case UDP -> "DogStatsD UDP listener";
            case UNIX_DATAGRAM -> "DogStatsD Unix datagram socket";
            case UNIX_STREAM -> "DogStatsD Unix stream socket";
        };
    }

    /** The environment variable that sets the listener's address. */
    private static String setting(Transport transport) {
        return switch (transport) {
            case UDP -> "DD_DOGSTATSD_PORT";
            case UNIX_DATAGRAM -> "DD_DOGSTATSD_SOCKET";
            case UNIX_STREAM -> "DD_DOGSTATSD_STREAM_SOCKET";
        };
    }

    private static String epollUnavailability() {
        Throwable cause = Epoll.unavailabilityCause();
        return cause == null ? "turned off" : Causes.describe(cause);
    }

    private static String hostAndPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** One daemon thread with the listener's name; Netty's FastThreadLocalThread keeps its buffer caches fast. */
    private static ThreadFactory listenerThread() {
        return task -> {
            Thread thread = new FastThreadLocalThread(task, THREAD_NAME);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
