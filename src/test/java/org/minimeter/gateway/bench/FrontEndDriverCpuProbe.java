package org.minimeter.gateway.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import org.minimeter.gateway.hal.DigitalInput;
import org.minimeter.gateway.hal.ManualClock;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.ads131m04.Ads131m04;
import org.minimeter.gateway.hal.ads131m04.Ads131m04Config;
import org.minimeter.gateway.hal.ads131m04.Ads131m04Source;
import org.minimeter.gateway.hal.mcp3208.Mcp3208;
import org.minimeter.gateway.hal.mcp3208.Mcp3208Config;
import org.minimeter.gateway.hal.mcp3208.Mcp3208Source;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * CPU of the chip drivers' acquisition loops at 8 kHz: the MCP3208 converting 4 channels per
 * sample period (32 000 transfers/s) and the ADS131M04 reading one frame per DRDY.
 *
 * <p>Two measurements per chip, each in thread CPU time (on shared cores, wall time would count
 * other processes):
 * <ul>
 *   <li>{@code driver}: the driver's own work per sample period (command, decode, CRC, fault
 *       checks, ring, the consumer's copy, and one allocation per transfer as Pi4J's adapter
 *       makes) with a transport that answers at once and a clock that never sleeps: what the
 *       driver adds on top of the kernel's SPI transfer.</li>
 *   <li>{@code paced}: real time on the system clock, with a transport that busy-waits the
 *       modelled transfer time (24 clocks at 1 MHz, the 5 us gap being the driver's own time, for
 *       the MCP3208, with 0, 50 and 125 us of each wait spun rather than parked; 144 clocks at 8 MHz
 *       + 5 us for the ADS131M04, whose DRDY falls every 125 us). A busy-wait is how a Pi's
 *       spidev polls short transfers, so this is the whole CPU of a running front end; it also
 *       reports the periods the thread woke too late for.</li>
 * </ul>
 *
 * <p>Run: {@code mvn -B -q -Pbench test-compile exec:exec
 * -Dbench.main=org.minimeter.gateway.bench.FrontEndDriverCpuProbe -Djmh.args=2}
 * (the argument: seconds per round).
 */
public final class FrontEndDriverCpuProbe {

    static final double RATE = 8000;

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        // The drivers log their faults (late wake-ups are expected here): keep the table readable.
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.SEVERE);
        for (var h : root.getHandlers()) {
            h.setLevel(java.util.logging.Level.SEVERE);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "%-10s %-7s %12s %12s %12s %14s%n", "chip", "mode", "ns/period", "min",
                "max", "% core @8kHz");
        driver("mcp3208", mcp3208(new InstantMcp(), new ManualClock(0)), seconds, mx);
        driver("ads131m04", ads131m04(new InstantAds(), new ManualClock(0)), seconds, mx);
        for (double spin : new double[] {0, 50, 125}) {
            paced("mcp3208", seconds, mx, true, spin);
        }
        for (double spin : new double[] {0, 50}) {
            paced("ads131m04", seconds, mx, false, spin);
        }
    }

    /** Runs {@code n} sample periods and drains the ring as the sampling thread would. */
    interface Loop {
        void run(int periods) throws InterruptedException;
    }

    static Loop mcp3208(SpiTransport spi, MonotonicClock clock) {
        // No spinning: on a clock that never waits it would only burn real time.
        Mcp3208Source s = Mcp3208Source.unstarted(Mcp3208Config.forMeter(Mcp3208.Variant.MCP3208_12BIT, 60, 2, 200)
                .withSpinMicros(0), spi, clock);
        SampleBlock b = new SampleBlock(2, s.blockSize());
        return n -> {
            s.acquire(n);
            while (s.poll(b, 0)) {
                // drained
            }
        };
    }

    static Loop ads131m04(InstantAds spi, MonotonicClock clock) {
        spi.setUp = true;
        Ads131m04Source s = Ads131m04Source.configured(Ads131m04Config.forMeter(60, 2, 200), spi, spi, clock);
        spi.setUp = false;
        SampleBlock b = new SampleBlock(2, s.blockSize());
        return n -> {
            s.acquire(n);
            while (s.poll(b, 0)) {
                // drained
            }
        };
    }

    private static void driver(String chip, Loop loop, double seconds, ThreadMXBean mx) throws Exception {
        round(loop, mx, seconds); // JIT warm-up
        double[] ns = new double[5];
        for (int r = 0; r < ns.length; r++) {
            ns[r] = round(loop, mx, seconds);
        }
        Arrays.sort(ns);
        System.out.printf(Locale.ROOT, "%-10s %-7s %12.0f %12.0f %12.0f %13.2f%%%n", chip, "driver", ns[2], ns[0],
                ns[4], ns[2] * RATE / 1e9 * 100);
    }

    private static double round(Loop loop, ThreadMXBean mx, double seconds) throws Exception {
        long cpu0 = mx.getCurrentThreadCpuTime();
        long periods = 0;
        long cpu;
        do {
            loop.run(400);
            periods += 400;
            cpu = mx.getCurrentThreadCpuTime();
        } while (cpu - cpu0 < seconds * 1e9);
        return (double) (cpu - cpu0) / periods;
    }

    private static void paced(String chip, double seconds, ThreadMXBean mx, boolean mcp, double spinMicros)
            throws Exception {
        Loop loop;
        Object source;
        if (mcp) {
            Mcp3208Source s = Mcp3208Source.unstarted(
                    Mcp3208Config.forMeter(Mcp3208.Variant.MCP3208_12BIT, 60, 2, 200).withSpinMicros(spinMicros),
                    new BusyMcp(24_000),
                    MonotonicClock.SYSTEM);
            source = s;
            SampleBlock b = new SampleBlock(2, s.blockSize());
            loop = n -> {
                s.acquire(n);
                while (s.poll(b, 0)) {
                    // drained
                }
            };
        } else {
            InstantAds spi = new InstantAds();
            spi.busyNanos = 23_000;
            spi.setUp = true;
            Ads131m04Source s = Ads131m04Source.configured(Ads131m04Config.forMeter(60, 2, 200), spi,
                    new PacedDrdy(125_000, Math.round(spinMicros * 1e3)), MonotonicClock.SYSTEM);
            spi.setUp = false;
            source = s;
            SampleBlock b = new SampleBlock(2, s.blockSize());
            loop = n -> {
                s.acquire(n);
                while (s.poll(b, 0)) {
                    // drained
                }
            };
        }
        // The sampling thread drains a block at a time, as the scheduler would every 50 ms.
        for (int b = 0; b < 20; b++) {
            loop.run(400); // warm-up, one second
        }
        long wall0 = System.nanoTime();
        long cpu0 = mx.getCurrentThreadCpuTime();
        long periods = Math.round(seconds * RATE / 400) * 400;
        for (long done = 0; done < periods; done += 400) {
            loop.run(400);
        }
        long cpu = mx.getCurrentThreadCpuTime() - cpu0;
        long wall = System.nanoTime() - wall0;
        String stats = mcp ? ((Mcp3208Source) source).stats().toString() : ((Ads131m04Source) source).stats().toString();
        System.out.printf(Locale.ROOT, "%-10s %-7s %12.0f %12s %12s %13.1f%%   wall %.2f s for %.2f s of samples; %s%n",
                chip, "spin" + (int) spinMicros, (double) cpu / periods, "-", "-", 100.0 * cpu / wall, wall / 1e9, periods / RATE,
                stats);
    }

    /** Answers every MCP3208 command at once with a code that moves (no stuck channel). */
    static class InstantMcp implements SpiTransport {
        private final byte[][] answers = new byte[64][];
        private int k;

        InstantMcp() {
            for (int i = 0; i < answers.length; i++) {
                int code = 2048 + (int) (1000 * Math.sin(i * 2 * Math.PI / answers.length));
                answers[i] = new byte[] {(byte) 0xFF, (byte) (0xE0 | code >> 8), (byte) code};
            }
        }

        @Override
        public String description() {
            return "instant";
        }

        @Override
        public byte[] transfer(byte[] tx) {
            k = (k + 1) & 63;
            return answers[k].clone();
        }

        @Override
        public void close() {
        }
    }

    /** The MCP3208 answers after busy-waiting the modelled transfer time. */
    static final class BusyMcp extends InstantMcp {
        private final long nanos;

        BusyMcp(long nanos) {
            this.nanos = nanos;
        }

        @Override
        public byte[] transfer(byte[] tx) {
            long end = System.nanoTime() + nanos;
            while (System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            return super.transfer(tx);
        }
    }

    /**
     * An ADS131M04 that acknowledges the set-up and then answers every NULL with a valid data
     * frame (CRC precomputed), optionally after busy-waiting the modelled transfer time; its
     * DRDY is always low.
     */
    static final class InstantAds implements SpiTransport, DigitalInput {
        boolean setUp;
        long busyNanos;
        private final byte[][] frames = new byte[64][];
        private int k;
        private int pending = 0x0500;

        InstantAds() {
            for (int i = 0; i < frames.length; i++) {
                int code = (int) (3_000_000 * Math.sin(i * 2 * Math.PI / frames.length));
                frames[i] = frame(0x010F, code, code / 2, -code, -code / 2);
            }
        }

        static byte[] frame(int response, int... ch) {
            byte[] f = new byte[Ads131m04.FRAME_BYTES];
            f[0] = (byte) (response >> 8);
            f[1] = (byte) response;
            for (int c = 0; c < 4; c++) {
                f[3 + 3 * c] = (byte) (ch[c] >> 16);
                f[4 + 3 * c] = (byte) (ch[c] >> 8);
                f[5 + 3 * c] = (byte) ch[c];
            }
            int crc = Ads131m04.crc16(f, 0, 15);
            f[15] = (byte) (crc >> 8);
            f[16] = (byte) crc;
            return f;
        }

        @Override
        public String description() {
            return "instant ADS131M04";
        }

        @Override
        public byte[] transfer(byte[] tx) {
            if (setUp) {
                // Answer the previous command as the chip would: enough for the set-up checks.
                byte[] rx = frame(pending, 0, 0, 0, 0);
                int cmd = Ads131m04.word(tx, 0) >> 8;
                pending = cmd == Ads131m04.CMD_RESET ? Ads131m04.RESET_ACK
                        : (cmd & 0xE000) == 0xA000 ? 0x2400
                        : (cmd & 0xE000) == 0x6000 ? 0x4000 | (cmd & 0x1F80) : 0x010F;
                return rx;
            }
            if (busyNanos > 0) {
                long end = System.nanoTime() + busyNanos;
                while (System.nanoTime() - end < 0) {
                    Thread.onSpinWait();
                }
            }
            k = (k + 1) & 63;
            return frames[k].clone();
        }

        @Override
        public String name() {
            return "DRDY (always low)";
        }

        @Override
        public boolean isHigh() {
            return false;
        }

        @Override
        public boolean awaitLow(long timeoutNanos) {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /**
     * DRDY falling every {@code periodNanos} on the system clock, waited for by parking, the
     * last {@code spinNanos} by polling the line (as a GPIO adapter reading the value would).
     */
    static final class PacedDrdy implements DigitalInput {
        private final long period;
        private final long spin;
        private long next = -1;

        PacedDrdy(long period, long spin) {
            this.period = period;
            this.spin = spin;
        }

        @Override
        public String name() {
            return "DRDY (paced)";
        }

        @Override
        public boolean isHigh() {
            return System.nanoTime() < next;
        }

        @Override
        public boolean awaitLow(long timeoutNanos) {
            long now = System.nanoTime();
            if (next < 0) {
                next = now;
            }
            // The edge the reader waits for is the first one after its previous read.
            while (next <= now - period) {
                next += period;
            }
            long wait;
            while ((wait = next - System.nanoTime()) > spin) {
                LockSupport.parkNanos(wait - spin);
            }
            while (next - System.nanoTime() > 0) {
                Thread.onSpinWait();
            }
            next += period;
            return true;
        }

        @Override
        public void close() {
        }
    }
}
