package org.minimeter.gateway.modbus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server over real TCP, spoken to byte by byte: framing, the limits a client cannot pass,
 * and that the server keeps answering everyone else while one client misbehaves.
 */
class ModbusServerTest {

    private MeterServer server;
    private final List<Socket> sockets = new ArrayList<>();
    private final AtomicReference<UnitState> unit1 = new AtomicReference<>(ModbusRequestsTest.READY);

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private int start(int maxConnections, Duration idle, int perSecond) throws IOException {
        int port = freePort();
        server = MeterServer.start(new ModbusSettings("127.0.0.1", port, RegisterMap.SUNSPEC, maxConnections, idle,
                perSecond), unit -> unit == 1 ? unit1.get() : UnitState.UNKNOWN);
        return port;
    }

    private Socket connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(3000);
        sockets.add(s);
        return s;
    }

    static byte[] frame(int transaction, int protocol, int unit, byte[] pdu) {
        byte[] f = new byte[7 + pdu.length];
        f[0] = (byte) (transaction >> 8);
        f[1] = (byte) transaction;
        f[2] = (byte) (protocol >> 8);
        f[3] = (byte) protocol;
        f[4] = (byte) ((pdu.length + 1) >> 8);
        f[5] = (byte) (pdu.length + 1);
        f[6] = (byte) unit;
        System.arraycopy(pdu, 0, f, 7, pdu.length);
        return f;
    }

    /** One response frame: MBAP header then the PDU. */
    static byte[] response(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] header = new byte[7];
        in.readFully(header);
        int length = (header[4] & 0xFF) << 8 | header[5] & 0xFF;
        byte[] all = new byte[6 + length];
        System.arraycopy(header, 0, all, 0, 7);
        in.readFully(all, 7, length - 1);
        return all;
    }

    static boolean closedByServer(Socket s) throws IOException {
        try {
            InputStream in = s.getInputStream();
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Test
    void aRead_isAnsweredWithItsTransactionAndUnit() throws Exception {
        Socket s = connect(start(4, Duration.ofSeconds(60), 100));
        s.getOutputStream().write(frame(0x1234, 0, 1, ModbusRequestsTest.read(3, 40000, 2)));
        assertThat(response(s)).containsExactly(0x12, 0x34, 0, 0, 0, 7, 1, 0x03, 4, 'S', 'u', 'n', 'S');
        s.getOutputStream().write(frame(7, 0, 9, ModbusRequestsTest.read(3, 40000, 2)));
        assertThat(response(s)).containsExactly(0, 7, 0, 0, 0, 3, 9, 0x83, 0x0A);
        assertThat(server.stats().requests()).isEqualTo(2);
        assertThat(server.stats().exceptionResponses()).isEqualTo(1);
    }

    @Test
    void pipelinedRequestsInOneSegment_areAllAnsweredInOrder() throws Exception {
        Socket s = connect(start(4, Duration.ofSeconds(60), 1000));
        byte[] a = frame(1, 0, 1, ModbusRequestsTest.read(3, 40070, 1));
        byte[] b = frame(2, 0, 1, new byte[] {0x06, 0, 0, 0, 1});
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        s.getOutputStream().write(both);
        assertThat(response(s)).containsExactly(0, 1, 0, 0, 0, 5, 1, 0x03, 2, 0, 202);
        assertThat(response(s)).containsExactly(0, 2, 0, 0, 0, 3, 1, 0x86, 0x01);
    }

    @Test
    void anUnknownFunctionOrATruncatedPdu_isAnswered_notDisconnected() throws Exception {
        Socket s = connect(start(4, Duration.ofSeconds(60), 100));
        OutputStream out = s.getOutputStream();
        out.write(frame(1, 0, 1, new byte[] {0x2B, 0x0E, 0x01, 0x00}));
        assertThat(response(s)).endsWith(0xAB, 0x01);
        out.write(frame(2, 0, 1, new byte[] {0x03, (byte) 0x9C}));
        assertThat(response(s)).endsWith(0x83, 0x03);
        out.write(frame(3, 0, 1, ModbusRequestsTest.read(3, 40000, 126)));
        assertThat(response(s)).endsWith(0x83, 0x03);
        out.write(frame(4, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        assertThat(response(s)).endsWith(0x03, 2, 'S', 'u');
    }

    @Test
    void aFrameThatIsNotModbus_closesThatConnectionOnly() throws Exception {
        int port = start(4, Duration.ofSeconds(60), 100);
        Socket bad = connect(port);
        Socket other = connect(port);
        bad.getOutputStream().write(frame(1, 5, 1, ModbusRequestsTest.read(3, 40000, 1))); // protocol id 5
        assertThat(closedByServer(bad)).isTrue();
        Socket big = connect(port);
        byte[] oversize = frame(1, 0, 1, new byte[300]); // MBAP length 301 > 254
        big.getOutputStream().write(oversize, 0, 7);
        assertThat(closedByServer(big)).isTrue();
        Socket empty = connect(port);
        empty.getOutputStream().write(new byte[] {0, 1, 0, 0, 0, 1, 1}); // a unit id and no PDU
        assertThat(closedByServer(empty)).isTrue();
        other.getOutputStream().write(frame(9, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        assertThat(response(other)).endsWith(0x03, 2, 'S', 'u');
        assertThat(server.stats().malformedFrames()).isEqualTo(3);
    }

    @Test
    void connectionsPastTheLimit_areClosedAtOnce_andTheFirstOnesKeepWorking() throws Exception {
        int port = start(2, Duration.ofSeconds(60), 100);
        Socket a = connect(port);
        Socket b = connect(port);
        a.getOutputStream().write(frame(1, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        response(a);
        b.getOutputStream().write(frame(1, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        response(b);
        Socket c = connect(port);
        assertThat(closedByServer(c)).isTrue();
        a.getOutputStream().write(frame(2, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        assertThat(response(a)).endsWith(0x03, 2, 'S', 'u');
        assertThat(server.stats().refused()).isEqualTo(1);
        assertThat(server.stats().open()).isEqualTo(2);
        // a slot freed is a slot free
        a.close();
        long until = System.nanoTime() + 3_000_000_000L;
        while (server.stats().open() > 1 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        Socket d = connect(port);
        d.getOutputStream().write(frame(1, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        assertThat(response(d)).endsWith(0x03, 2, 'S', 'u');
    }

    @Test
    void aSilentConnection_isClosedAfterTheIdleTimeout() throws Exception {
        Socket s = connect(start(4, Duration.ofMillis(500), 100));
        s.setSoTimeout(5000);
        long t0 = System.nanoTime();
        assertThat(closedByServer(s)).isTrue();
        assertThat((System.nanoTime() - t0) / 1e9).isBetween(0.3, 3.0);
    }

    @Test
    void aClientAskingFasterThanTheRate_isHeldBack_andOthersAreStillAnswered() throws Exception {
        int port = start(4, Duration.ofSeconds(60), 20);
        Socket flood = connect(port);
        Socket polite = connect(port);
        // the flood sends as fast as TCP lets it for 2 s, reading answers on another thread
        Thread reader = new Thread(() -> {
            try {
                while (true) {
                    response(flood);
                }
            } catch (IOException e) {
                // closed at the end
            }
        });
        reader.setDaemon(true);
        reader.start();
        byte[] request = frame(1, 0, 1, ModbusRequestsTest.read(3, 40000, 125));
        long start = System.nanoTime();
        Thread writer = new Thread(() -> {
            try {
                OutputStream out = flood.getOutputStream();
                while (System.nanoTime() - start < 2_000_000_000L) {
                    out.write(request);
                }
            } catch (IOException e) {
                // closed
            }
        });
        writer.setDaemon(true);
        writer.start();
        Thread.sleep(500);
        for (int k = 0; k < 5; k++) {
            long t0 = System.nanoTime();
            polite.getOutputStream().write(frame(5, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
            assertThat(response(polite)).endsWith(0x03, 2, 'S', 'u');
            // not queued behind the flood's pauses (a second or more at this rate)
            assertThat((System.nanoTime() - t0) / 1e6).as("ms for the polite client's answer").isLessThan(500);
            Thread.sleep(100);
        }
        Thread.sleep(Math.max(0, 2000 - (System.nanoTime() - start) / 1_000_000));
        long answered = server.stats().requests() - 5;
        double seconds = (System.nanoTime() - start) / 1e9;
        // 20/s from a bucket one second deep: 20 + 20 per second, plus one read's worth past the rate
        assertThat(answered).isBetween(40L, (long) (20 + 20 * seconds) + MeterServer.READ_BYTES / request.length + 1);
        assertThat(server.stats().throttled()).isPositive();
        flood.close();
        writer.join(5000);
    }

    @Test
    void aMeterGoingAway_answersTargetFailed_thenItsValuesAgain() throws Exception {
        Socket s = connect(start(4, Duration.ofSeconds(60), 100));
        unit1.set(new UnitState.Unavailable("restarting"));
        s.getOutputStream().write(frame(1, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        assertThat(response(s)).endsWith(0x83, 0x0B);
        unit1.set(ModbusRequestsTest.READY);
        s.getOutputStream().write(frame(2, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        assertThat(response(s)).endsWith(0x03, 2, 'S', 'u');
    }

    @Test
    void aPortInUse_failsStartWithTheKeyAndTheReason() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            try {
                MeterServer.start(new ModbusSettings("127.0.0.1", port, RegisterMap.SUNSPEC, 4, Duration.ofSeconds(60),
                        100), u -> UnitState.UNKNOWN).close();
                throw new AssertionError("started on a port in use");
            } catch (IllegalStateException e) {
                assertThat(e.getMessage()).startsWith("modbus.port=" + port + ": cannot listen on 127.0.0.1:" + port);
            }
        }
    }

    @Test
    void stop_closesEveryConnection() throws Exception {
        Socket s = connect(start(4, Duration.ofSeconds(60), 100));
        s.getOutputStream().write(frame(1, 0, 1, ModbusRequestsTest.read(3, 40000, 1)));
        response(s);
        server.close();
        server = null;
        try {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        } catch (EOFException | java.net.SocketException e) {
            // reset is closed too
        }
    }
}
