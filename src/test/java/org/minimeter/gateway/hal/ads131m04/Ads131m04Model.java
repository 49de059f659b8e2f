package org.minimeter.gateway.hal.ads131m04;

import java.util.SplittableRandom;
import org.minimeter.gateway.hal.DigitalInput;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.mcp3208.LineSignal;
import org.minimeter.gateway.hal.ManualClock;

/**
 * An ADS131M04 on a board, as the SPI bus and the DRDY pin see it: a register file, the
 * command set with one-frame response latency, input CRC checking once MODE.RX_CRC_EN is set,
 * output CRC, and conversions on the chip's own clock at CLKIN / 2 / OSR.
 *
 * <p>Every channel converts at the same instant n / f_DATA (simultaneous sampling), except
 * that a channel's PHASE register delays it by PHASE modulator clocks. The board: the voltage
 * through a sensing ratio, the CT through its burden with the CT secondary leading the primary
 * by {@code ctLeadMicros}; input-referred Gaussian noise and a DC offset; 24-bit quantiser
 * clipping at +-2^23.
 */
public class Ads131m04Model implements SpiTransport, DigitalInput {

    private final Ads131m04Config board;
    private final LineSignal signal;
    private final ManualClock clock;
    private final double ctLeadSeconds;
    private final double noiseVolts;
    private final SplittableRandom random;
    private final int[] wiring = {-1, -1, -1, -1};
    private final int[] regs = new int[64];
    private final long transferNanos;
    private int pending;
    private boolean crcError;
    private long lastRead = -1;
    private long cachedConversion = -1;
    private final int[] codes = new int[4];

    public Ads131m04Model(Ads131m04Config board, LineSignal signal, ManualClock clock, double ctLeadMicros,
            double noiseMicroVolts, long seed) {
        this.board = board;
        this.signal = signal;
        this.clock = clock;
        this.ctLeadSeconds = ctLeadMicros * 1e-6;
        this.noiseVolts = noiseMicroVolts * 1e-6;
        this.random = new SplittableRandom(seed);
        for (int e = 0; e < board.elements().size(); e++) {
            wiring[board.elements().get(e).voltage()] = 2 * e;
            wiring[board.elements().get(e).current()] = 2 * e + 1;
        }
        // 18 bytes at 8 MHz SCLK plus 5 us between transfers
        this.transferNanos = 18 * 8 * 125 + 5_000;
        reset();
        pending = 0x0500;
    }

    private void reset() {
        java.util.Arrays.fill(regs, 0);
        regs[Ads131m04.REG_ID] = 0x2410;
        regs[Ads131m04.REG_MODE] = 0x0510;
        regs[Ads131m04.REG_CLOCK] = 0x0F0E;
    }

    private long periodNanos() {
        int osr = Ads131m04Config.OSR[(regs[Ads131m04.REG_CLOCK] >> 2) & 7];
        return Math.round(1e9 * osr * 2 / board.clockHz());
    }

    private int status() {
        return (crcError ? Ads131m04.STATUS_CRC_ERR : 0) | (regs[Ads131m04.REG_MODE] & 0x0700) | 0x000F;
    }

    @Override
    public String description() {
        return "model of ADS131M04";
    }

    @Override
    public String name() {
        return "DRDY (model)";
    }

    @Override
    public boolean isHigh() {
        return clock.nanoTime() / periodNanos() <= lastRead;
    }

    @Override
    public boolean awaitLow(long timeoutNanos) {
        long period = periodNanos();
        if (clock.nanoTime() / period > lastRead) {
            return true;
        }
        long next = (lastRead + 1) * period;
        if (next - clock.nanoTime() > timeoutNanos) {
            clock.advance(timeoutNanos);
            return false;
        }
        clock.set(next);
        return true;
    }

    @Override
    public byte[] transfer(byte[] tx) {
        if (tx.length != Ads131m04.FRAME_BYTES) {
            throw new SpiException("model expects full 18-byte frames, got " + tx.length);
        }
        long conversion = clock.nanoTime() / periodNanos();
        if (conversion != cachedConversion) {
            convert(conversion);
        }
        lastRead = conversion;
        clock.advance(transferNanos);
        byte[] rx = Frames.out(pending, codes);
        int cmd = Ads131m04.word(tx, 0) >> 8;
        boolean write = (cmd & 0xE000) == 0x6000;
        int words = write ? 2 : 1;
        boolean rxCrc = (regs[Ads131m04.REG_MODE] & (1 << 12)) != 0;
        if (rxCrc && Ads131m04.crc16(tx, 0, 3 * words) != Ads131m04.word(tx, words) >> 8) {
            crcError = true;
            pending = status();
            return rx;
        }
        crcError = false;
        int addr = (cmd >> 7) & 0x3F;
        if (cmd == Ads131m04.CMD_RESET) {
            reset();
            pending = Ads131m04.RESET_ACK;
        } else if ((cmd & 0xE000) == 0xA000) {
            pending = addr == Ads131m04.REG_STATUS ? status() : regs[addr];
        } else if (write) {
            regs[addr] = Ads131m04.word(tx, 1) >> 8;
            pending = Ads131m04.wregAck(addr);
        } else {
            pending = status();
        }
        return rx;
    }

    /** Conversion {@code n}: every channel at n / f_DATA, less its PHASE delay. */
    private void convert(long n) {
        cachedConversion = n;
        double t = n * periodNanos() * 1e-9;
        double tMod = 2 / board.clockHz();
        for (int ch = 0; ch < 4; ch++) {
            int phase = (regs[Ads131m04.chCfg(ch)] >> 6) << 22 >> 22;
            int pga = 1 << ((regs[Ads131m04.REG_GAIN1] >> (4 * ch)) & 7);
            double at = t - phase * tMod;
            int what = wiring[ch];
            double volts = 0;
            if (what >= 0) {
                int e = what / 2;
                volts = what % 2 == 0 ? signal.voltage(e, at) / board.voltageRatio()
                        : signal.current(e, at + ctLeadSeconds) / board.ctRatio() * board.burdenOhms();
            }
            volts += 50e-6 * (ch + 1) + noiseVolts * random.nextGaussian(); // offsets of 50-200 uV
            double x = Math.rint(volts * pga / Ads131m04Config.VREF * (1 << 23));
            codes[ch] = (int) Math.max(-(1 << 23), Math.min((1 << 23) - 1, x)) & 0xFFFFFF;
        }
    }

    @Override
    public void close() {
    }
}
