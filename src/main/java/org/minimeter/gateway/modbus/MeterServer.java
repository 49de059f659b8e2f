package org.minimeter.gateway.modbus;

import com.digitalpetri.modbus.MbapHeader;
import com.digitalpetri.modbus.ModbusTcpFrame;
import com.digitalpetri.modbus.server.ModbusRequestContext.ModbusTcpRequestContext;
import com.digitalpetri.modbus.server.ModbusServerConfig;
import com.digitalpetri.modbus.server.ModbusServices;
import com.digitalpetri.modbus.server.ModbusTcpServer;
import com.digitalpetri.modbus.tcp.ModbusTcpCodec;
import com.digitalpetri.modbus.tcp.server.NettyTcpServerTransport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.jboss.logging.Logger;

/**
 * The Modbus TCP server: digitalpetri's Netty transport (TCP, MBAP framing) on one thread of
 * its own, never a sampling thread, answering every request through {@link ModbusRequests}.
 *
 * <p>What a client cannot do: hold more than {@code maxConnections} (one more is closed as soon
 * as it is accepted); stay connected without asking for anything for {@code idleTimeout}; send
 * a frame whose MBAP header is not Modbus (protocol id not 0, length outside 2-254: the
 * connection is closed, as there is no request to answer); ask faster than
 * {@code maxRequestsPerSecond} (reading from it pauses until it is back under the rate, so TCP
 * holds it back); or pile up answers it does not read (reading pauses while its socket buffer
 * is full). The work a read costs is copying one snapshot the meter already holds.
 */
public final class MeterServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MeterServer.class);
    /** Largest MBAP length field: unit id + a 253-byte PDU. */
    private static final int MAX_MBAP_LENGTH = 254;
    static final int READ_BYTES = 128;

    /** Counters since start. */
    public record Stats(int open, long accepted, long refused, long requests, long exceptionResponses,
            long malformedFrames, long throttled) {
    }

    private final ModbusSettings settings;
    private final IntFunction<UnitState> units;
    private final NioEventLoopGroup loop;
    private final ModbusTcpServer server;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final LongAdder exceptionResponses = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder throttled = new LongAdder();

    private MeterServer(ModbusSettings settings, IntFunction<UnitState> units) {
        this.settings = settings;
        this.units = units;
        this.loop = new NioEventLoopGroup(1, new DefaultThreadFactory("modbus-tcp", true));
        NettyTcpServerTransport transport = NettyTcpServerTransport.create(cfg -> {
            cfg.setBindAddress(settings.host());
            cfg.setPort(settings.port());
            cfg.setEventLoopGroup(loop);
            // requests are answered on the same thread: a read only copies a snapshot
            cfg.setExecutor(loop);
            cfg.setBootstrapCustomizer(b -> b.option(ChannelOption.SO_BACKLOG, 64)
                    // one read of at most 128 bytes holds at most 10 requests: what a client
                    // past its rate gets in before reading pauses (a 260-byte request takes 3 reads)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(READ_BYTES)
                            .maxMessagesPerRead(1)));
            cfg.setPipelineCustomizer(this::guard);
        });
        this.server = new ModbusTcpServer(ModbusServerConfig.create(b -> { }), transport, new ModbusServices() { }) {
            @Override
            protected ModbusTcpFrame handleModbusTcpFrame(ModbusTcpFrame frame, ModbusTcpRequestContext context) {
                return answer(frame);
            }
        };
    }

    /**
     * Listens on {@code settings.host():settings.port()}.
     *
     * @param units what stands behind a unit id, asked on the server's thread at each request:
     *     must only read snapshots, never block
     * @throws IllegalStateException if the port cannot be listened on
     */
    public static MeterServer start(ModbusSettings settings, IntFunction<UnitState> units) {
        MeterServer s = new MeterServer(settings, units);
        try {
            s.server.start();
            return s;
        } catch (ExecutionException e) {
            s.loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("modbus.port=" + settings.port() + ": cannot listen on " + settings.host()
                    + ":" + settings.port() + " (" + cause.getMessage() + ")", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("interrupted while starting the Modbus server", e);
        }
    }

    public ModbusSettings settings() {
        return settings;
    }

    public Stats stats() {
        return new Stats(open.get(), accepted.sum(), refused.sum(), requests.sum(), exceptionResponses.sum(),
                malformed.sum(), throttled.sum());
    }

    private ModbusTcpFrame answer(ModbusTcpFrame frame) {
        MbapHeader header = frame.header();
        ByteBuffer pdu = frame.pdu();
        byte[] request = new byte[pdu.remaining()];
        pdu.duplicate().get(request);
        byte[] response;
        try {
            response = ModbusRequests.answer(request, settings.map().table(), units.apply(header.unitId()));
        } catch (RuntimeException e) {
            LOG.debugf(e, "Modbus: unit %d: request failed", header.unitId());
            response = ModbusRequests.exception(request[0] & 0xFF, ModbusRequests.SERVER_DEVICE_FAILURE);
        }
        requests.increment();
        if ((response[0] & 0x80) != 0) {
            exceptionResponses.increment();
        }
        return new ModbusTcpFrame(new MbapHeader(header.transactionId(), 0, response.length + 1, header.unitId()),
                ByteBuffer.wrap(response));
    }

    /** Our handlers around the library's: framing checks before its codec, limits first. */
    private void guard(ChannelPipeline p) {
        String codec = p.context(ModbusTcpCodec.class).name();
        p.addBefore(codec, "mbap-check", new MbapCheck());
        p.addBefore(codec, "throttle", new Throttle(settings.maxRequestsPerSecond()));
        p.addFirst("connection-guard", new ConnectionGuard());
        p.addFirst("idle", new IdleStateHandler(0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (ExecutionException e) {
            LOG.debugf("Modbus: stop: %s", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** The connection limit, the idle timeout, and quiet handling of broken connections. */
    private final class ConnectionGuard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (open.incrementAndGet() > settings.maxConnections()) {
                refused.increment();
                LOG.debugf("Modbus: refused %s: %d connections open", ctx.channel().remoteAddress(),
                        settings.maxConnections());
                ctx.close();
                return;
            }
            accepted.increment();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            ctx.fireChannelInactive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent) {
                LOG.debugf("Modbus: closing %s: idle for %s", ctx.channel().remoteAddress(), settings.idleTimeout());
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a client that resets its connection is not the gateway's error
            LOG.debugf("Modbus: closing %s: %s", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** One MBAP frame at a time, checked before the library's codec sees it. */
    private final class MbapCheck extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (in.readableBytes() < ModbusTcpCodec.MBAP_TOTAL_LENGTH) {
                return;
            }
            int at = in.readerIndex();
            int protocol = in.getUnsignedShort(at + 2);
            int length = in.getUnsignedShort(at + ModbusTcpCodec.MBAP_LENGTH_FIELD_OFFSET);
            if (protocol != 0 || length < 2 || length > MAX_MBAP_LENGTH) {
                malformed.increment();
                LOG.debugf("Modbus: closing %s: not a Modbus frame (protocol id %d, length %d)",
                        ctx.channel().remoteAddress(), protocol, length);
                in.skipBytes(in.readableBytes());
                ctx.close();
                return;
            }
            if (in.readableBytes() >= 6 + length) {
                out.add(in.readRetainedSlice(6 + length));
            }
        }
    }

    /**
     * A token bucket per connection, one second deep: past the rate, reading pauses until the
     * bucket is out of debt, and while the client does not read its answers.
     */
    private final class Throttle extends ChannelInboundHandlerAdapter {
        private final double perNano;
        private final double depth;
        private double tokens;
        private long last = System.nanoTime();
        private boolean paused;

        Throttle(int perSecond) {
            this.perNano = perSecond / 1e9;
            this.depth = perSecond;
            this.tokens = perSecond;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            long now = System.nanoTime();
            tokens = Math.min(depth, tokens + (now - last) * perNano);
            last = now;
            tokens -= 1;
            ctx.fireChannelRead(msg);
        }

        /** After each read: in debt, reading pauses until the debt is paid. */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (tokens < 0 && !paused) {
                paused = true;
                throttled.increment();
                ctx.channel().config().setAutoRead(false);
                long wait = (long) Math.ceil(-tokens / perNano);
                ctx.executor().schedule(() -> {
                    paused = false;
                    readIfAllowed(ctx);
                }, wait, TimeUnit.NANOSECONDS);
            }
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            readIfAllowed(ctx);
            ctx.fireChannelWritabilityChanged();
        }

        private void readIfAllowed(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(!paused && ctx.channel().isWritable());
        }
    }
}
