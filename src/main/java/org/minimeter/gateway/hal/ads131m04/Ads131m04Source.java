package org.minimeter.gateway.hal.ads131m04;

import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.DigitalInput;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.RingSource;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.SpiTransport.SpiException;
import org.minimeter.gateway.metering.ChannelCalibration;
import org.minimeter.gateway.metering.ElementCalibration;

/**
 * Line voltage and CT current sampled by an ADS131M04: all four channels convert on the same
 * modulator clock, so V and I need no skew correction. An acquisition loop waits for DRDY,
 * reads STATUS and the four channels in one CRC-checked frame, and fills a ring of blocks;
 * {@link #poll} hands completed blocks to the metering without waiting.
 *
 * <p>Faults never stop the loop: a frame with a bad CRC, a transfer that failed and a DRDY
 * timeout each lose samples (a gap for the metering) and are counted. Three in a row, or
 * STATUS.RESET set (the chip reset itself: a brown-out), re-run the register set-up. Samples
 * the loop was too late to read (the chip overwrote them) are counted from the time between
 * frames.
 */
public final class Ads131m04Source extends RingSource {

    private static final Logger LOG = Logger.getLogger(Ads131m04Source.class);

    /**
     * Conversions discarded after a set-up: the sinc3 filter needs three data periods to
     * settle after CLOCK is written (datasheet section 8.4.2.2, settling time); one more for
     * the conversion under way when the write landed.
     */
    static final int SETTLING_FRAMES = 4;
    /** Consecutive faults after which the chip is set up again. */
    static final int FAULTS_BEFORE_RESET = 3;

    /** Counters of the acquisition loop, readable from any thread. */
    public record Stats(long samples, long droppedSamples, long missedFrames, long crcErrors, long inputCrcErrors,
            long drdyTimeouts, long spiErrors, long chipResets, long reconfigurations, long clippedSamples,
            long stuckBlocks, int ringBacklog, String lastFault) {

        public long faults() {
            return crcErrors + inputCrcErrors + drdyTimeouts + spiErrors + chipResets + clippedSamples + stuckBlocks;
        }
    }

    private final Ads131m04Config config;
    private final Ads131m04 chip;
    private final DigitalInput drdy;
    private final int[] channelOf;
    private final long periodNanos;
    private final long timeoutNanos;
    private final int[] codes = new int[Ads131m04.CHANNELS];
    private final double[] sample;

    // acquisition-thread state
    private boolean configured;
    private int settling;
    private int consecutiveFaults;
    private long lastFrameNanos = Long.MIN_VALUE;
    private long index;
    private long missed;
    private long crcErrors;
    private long inputCrcErrors;
    private long timeouts;
    private long spiErrors;
    private long chipResets;
    private long reconfigurations;
    private long clipped;
    private long stuck;
    private String lastFault = "";
    private volatile Stats stats;

    Ads131m04Source(Ads131m04Config config, SpiTransport spi, DigitalInput drdy, MonotonicClock clock) {
        super(frontEnd(config), config.blockSize(), config.ringBlocks(), clock);
        this.config = config;
        this.chip = new Ads131m04(spi);
        this.drdy = drdy;
        int channels = 2 * config.elements().size();
        this.channelOf = new int[channels];
        for (int e = 0; e < config.elements().size(); e++) {
            channelOf[2 * e] = config.elements().get(e).voltage();
            channelOf[2 * e + 1] = config.elements().get(e).current();
        }
        this.periodNanos = Math.round(1e9 / config.sampleRate());
        this.timeoutNanos = Math.round(config.drdyTimeoutMicros() * 1e3);
        this.sample = new double[channels];
        publishStats();
    }

    /**
     * Sets the chip up (a wrong answer stops start-up with a message naming the device and the
     * step) and starts its acquisition thread.
     */
    public static Ads131m04Source open(Ads131m04Config config, SpiTransport spi, DigitalInput drdy,
            MonotonicClock clock) {
        Ads131m04Source s = new Ads131m04Source(config, spi, drdy, clock);
        s.configure();
        LOG.infof("ADS131M04 on %s, DRDY %s: V/I channels %s, %.0f Hz (CLOCK %04Xh), GAIN1 %04Xh, CT phase "
                + "%d modulator clocks + %.3f us for the metering, CT %.0f:1, burden %.2f ohm, voltage ratio %.1f",
                spi.description(), drdy.name(), config.elements(), config.sampleRate(), config.clockRegister(),
                config.gainRegister(), config.ctPhaseSteps(), config.ctResidualLeadMicros(), config.ctRatio(),
                config.burdenOhms(), config.voltageRatio());
        s.startAcquisition("ads131m04-acquisition " + s.chip.transport().description());
        return s;
    }

    /**
     * Sets the chip up but leaves the acquisition loop ({@link #acquire}) to the caller's
     * thread: one pinned to an isolated core, a test, a benchmark.
     */
    public static Ads131m04Source configured(Ads131m04Config config, SpiTransport spi, DigitalInput drdy,
            MonotonicClock clock) {
        Ads131m04Source s = new Ads131m04Source(config, spi, drdy, clock);
        s.configure();
        return s;
    }

    /**
     * Gains per element; no skew between V and I (simultaneous sampling). The CT's phase lead
     * is removed by the PHASE registers in whole modulator clocks; what remains (under 0.13 us)
     * is handed to the metering as the current channel's delay.
     */
    public static FrontEnd frontEnd(Ads131m04Config config) {
        List<ElementCalibration> cal = new ArrayList<>();
        for (int e = 0; e < config.elements().size(); e++) {
            cal.add(new ElementCalibration(
                    new ChannelCalibration(config.voltageGain(), 0, Ads131m04Config.FULL_CODE),
                    new ChannelCalibration(config.currentGain(), config.ctResidualLeadMicros(),
                            Ads131m04Config.FULL_CODE)));
        }
        return new FrontEnd(config.sampleRate(), cal);
    }

    public Ads131m04Config config() {
        return config;
    }

    public Stats stats() {
        return stats;
    }

    @Override
    public String name() {
        return "ads131m04";
    }

    /** Sets the chip up; throws if it does not answer as an ADS131M04 should. */
    void configure() {
        chip.configure(config);
        configured = true;
        settling = SETTLING_FRAMES;
        consecutiveFaults = 0;
        lastFrameNanos = Long.MIN_VALUE;
    }

    /**
     * Waits for and reads {@code frames} conversions on the calling thread: the body of the
     * acquisition thread, and what tests and benchmarks drive. Never throws for a fault of the
     * chip, the bus or DRDY.
     */
    @Override
    public void acquire(long frames) throws InterruptedException {
        for (long f = 0; f < frames; f++) {
            if (!configured && !reconfigure()) {
                // The chip does not answer: try again a block later rather than spin on the bus.
                clock.sleepUntil(clock.nanoTime() + (long) blockNanos);
                continue;
            }
            readOne();
        }
        publishStats();
    }

    private boolean reconfigure() {
        try {
            configure();
            reconfigurations++;
            index++; // what follows is not contiguous with what came before
            return true;
        } catch (RuntimeException ex) {
            fault("set-up failed: " + ex.getMessage());
            return false;
        }
    }

    private void readOne() throws InterruptedException {
        if (!drdy.awaitLow(timeoutNanos)) {
            timeouts++;
            failed("DRDY (" + drdy.name() + ") did not fall within " + config.drdyTimeoutMicros() + " us");
            return;
        }
        long now = clock.nanoTime();
        if (lastFrameNanos != Long.MIN_VALUE) {
            // DRDY falls once per data period on the chip's own clock. Reading later than 1.5
            // periods after the last read means the chip overwrote at least one conversion.
            long gap = (now - lastFrameNanos + periodNanos / 2) / periodNanos - 1;
            if (gap > 0) {
                missed += gap;
                index += gap;
                ring.close();
            }
        }
        lastFrameNanos = now;
        int status;
        try {
            status = chip.readData(codes);
        } catch (Ads131m04.CrcException ex) {
            crcErrors++;
            index++;
            failed(ex.getMessage());
            return;
        } catch (SpiException ex) {
            spiErrors++;
            index++;
            failed(ex.getMessage());
            return;
        }
        consecutiveFaults = 0;
        if ((status & Ads131m04.STATUS_RESET) != 0) {
            // Set-up clears MODE.RESET; seeing it again means the chip lost its registers.
            chipResets++;
            configured = false;
            ring.close();
            fault(String.format("STATUS %04Xh: the chip reset itself (supply dip?), setting it up again", status));
            return;
        }
        if ((status & Ads131m04.STATUS_CRC_ERR) != 0) {
            // The chip rejected our previous frame's CRC: for a NULL that costs nothing, but it
            // says the MOSI line is corrupting bits.
            inputCrcErrors++;
            fault(String.format("STATUS %04Xh: the chip saw a bad input CRC", status));
        }
        if (settling > 0) {
            settling--;
            index++;
            return;
        }
        for (int k = 0; k < sample.length; k++) {
            int code = codes[channelOf[k]];
            if (code >= Ads131m04Config.FULL_CODE || code <= -Ads131m04Config.FULL_CODE - 1) {
                clipped++;
            }
            // 24 bits always carry a few LSB of thermal noise: a frozen code for a whole block is
            // a dead channel (or a chip that stopped converting).
            if (stuck(k, code)) {
                stuck++;
                fault("channel " + channelOf[k] + " stuck at code " + code);
            }
            sample[k] = code;
        }
        deliver(index, sample);
        index++;
    }

    /** A lost frame: the block in progress ends; after a few in a row the chip is set up again. */
    private void failed(String what) {
        ring.close();
        fault(what);
        if (++consecutiveFaults >= FAULTS_BEFORE_RESET) {
            configured = false;
        }
    }

    @Override
    protected void fault(String what) {
        lastFault = what;
        long n = crcErrors + inputCrcErrors + timeouts + spiErrors + chipResets + stuck;
        // Logged on the 1st, 2nd, 4th, 8th... fault: a noisy bus must not turn the acquisition
        // thread into a log writer.
        if (Long.bitCount(n) <= 1) {
            LOG.warnf("ADS131M04 on %s: %s (%d faults so far)", chip.transport().description(), what, n);
        }
    }

    @Override
    public long faults() {
        Stats s = stats;
        return s.crcErrors() + s.inputCrcErrors() + s.drdyTimeouts() + s.spiErrors() + s.chipResets()
                + s.stuckBlocks();
    }

    @Override
    public String lastFault() {
        return stats.lastFault();
    }

    private void publishStats() {
        stats = new Stats(samples(), droppedSamples(), missed, crcErrors, inputCrcErrors, timeouts, spiErrors,
                chipResets, reconfigurations, clipped, stuck, ring.backlog(), lastFault);
    }

    @Override
    public void close() {
        stopAcquisition();
        chip.transport().close();
        drdy.close();
    }
}
