package org.minimeter.gateway.hal.mcp3208;

import java.util.SplittableRandom;
import org.minimeter.gateway.hal.ManualClock;
import org.minimeter.gateway.hal.SpiTransport;

/**
 * An MCP3008/MCP3208 on a board, as the SPI bus sees it: it reads the command bits the way the
 * chip does (first high bit = start, then SGL/DIFF, D2 D1 D0), samples its input when the chip
 * would (the falling edge of the fifth clock after the start bit, datasheet section 5.0), and
 * answers with the code in the bit positions the chip drives (null bit, then MSB first), the
 * high-impedance bits before them reading 1 as a pulled-up MISO would.
 *
 * <p>The board: the line voltage through a sensing ratio and the CT current through its burden,
 * both riding on a Vref/2 bias whose divider is a few LSB off mid-scale; Gaussian transition
 * noise; a quantiser clipping at 0 and full code. Time is the shared {@link ManualClock}: each
 * transfer starts at the clock's time and advances it by 24 SPI clocks plus the gap, so the
 * conversion instants are those the driver's pacing really produces, not what it assumes.
 */
public class Mcp3208Model implements SpiTransport {

    private final Mcp3208Config board;
    private final LineSignal signal;
    private final ManualClock clock;
    private final double noiseLsb;
    private final double[] biasOffsetLsb;
    private final SplittableRandom random;
    private final double clockNanos;
    private final long transferNanos;
    private final int bits;
    /** Which element and quantity each ADC channel carries: 2e for V, 2e+1 for I; -1 unused. */
    private final int[] wiring = new int[8];

    public Mcp3208Model(Mcp3208Config board, LineSignal signal, ManualClock clock, double noiseLsb, long seed) {
        this.board = board;
        this.signal = signal;
        this.clock = clock;
        this.noiseLsb = noiseLsb;
        this.random = new SplittableRandom(seed);
        this.clockNanos = 1e9 / board.spiClockHz();
        this.transferNanos = Math.round(Mcp3208.TRANSFER_CLOCKS * clockNanos + board.transferGapMicros() * 1e3);
        this.bits = board.variant().bits();
        java.util.Arrays.fill(wiring, -1);
        for (int e = 0; e < board.elements().size(); e++) {
            wiring[board.elements().get(e).voltage()] = 2 * e;
            wiring[board.elements().get(e).current()] = 2 * e + 1;
        }
        // Resistor-divider bias: 1 % resistors put Vref/2 a few LSB off; each channel its own.
        this.biasOffsetLsb = new double[8];
        for (int c = 0; c < 8; c++) {
            biasOffsetLsb[c] = random.nextDouble(-4, 4);
        }
    }

    @Override
    public String description() {
        return "model of " + board.variant();
    }

    @Override
    public byte[] transfer(byte[] tx) {
        long start = clock.nanoTime();
        clock.advance(transferNanos);
        int clocks = tx.length * 8;
        int startBit = -1;
        for (int k = 0; k < clocks; k++) {
            if (bit(tx, k)) {
                startBit = k;
                break;
            }
        }
        byte[] rx = new byte[tx.length];
        java.util.Arrays.fill(rx, (byte) 0xFF);
        if (startBit < 0 || startBit + 6 + bits >= clocks) {
            return rx; // no start bit in time: the chip never drives MISO
        }
        boolean single = bit(tx, startBit + 1);
        int channel = (bit(tx, startBit + 2) ? 4 : 0) | (bit(tx, startBit + 3) ? 2 : 0) | (bit(tx, startBit + 4) ? 1 : 0);
        // Clock k (0-based) ends at (k + 1) clock periods; the hold closes at the end of the
        // fifth clock after the start bit.
        double sampleAt = (start + (startBit + 6) * clockNanos) * 1e-9;
        int code = single ? convert(channel, sampleAt) : 0;
        int nullBit = startBit + 6;
        set(rx, nullBit, false);
        for (int b = 0; b < bits; b++) {
            set(rx, nullBit + 1 + b, ((code >> (bits - 1 - b)) & 1) != 0);
        }
        return rx;
    }

    private int convert(int channel, double t) {
        int what = wiring[channel];
        double adcVolts = 0;
        if (what >= 0) {
            int e = what / 2;
            adcVolts = what % 2 == 0 ? signal.voltage(e, t) / board.voltageRatio()
                    : signal.current(e, t) / board.ctRatio() * board.burdenOhms();
        }
        double lsb = board.vref() / (1 << bits);
        double x = board.vref() / 2 / lsb + biasOffsetLsb[channel] + adcVolts / lsb + noiseLsb * random.nextGaussian();
        return (int) Math.max(0, Math.min((1 << bits) - 1, Math.rint(x)));
    }

    private static boolean bit(byte[] b, int k) {
        return (b[k / 8] >> (7 - k % 8) & 1) != 0;
    }

    private static void set(byte[] b, int k, boolean one) {
        int mask = 1 << (7 - k % 8);
        b[k / 8] = (byte) (one ? b[k / 8] | mask : b[k / 8] & ~mask);
    }

    @Override
    public void close() {
    }
}
