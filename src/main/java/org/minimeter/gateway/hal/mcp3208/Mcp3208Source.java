package org.minimeter.gateway.hal.mcp3208;

import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.RingSource;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.SpiTransport.SpiException;
import org.minimeter.gateway.metering.ChannelCalibration;
import org.minimeter.gateway.metering.ElementCalibration;

/**
 * Line voltage and CT current sampled by an MCP3008/MCP3208: an acquisition loop converts
 * V1, I1, V2, I2 one after another every sample period and fills a ring of blocks; {@link
 * #poll} hands completed blocks to the metering without waiting.
 *
 * <p><b>Sequential sampling costs no accuracy.</b> The channels of one sample period are
 * converted one transfer apart, so the current of an element is sampled one transfer time
 * (24 clocks plus the gap: 29 us at 1 MHz) after its voltage. At PF 0.5 that skew would be a
 * 1.9 % energy error at 60 Hz. The driver knows its own sequencing, so it declares each
 * channel's sampling instant as the channel's {@link ChannelCalibration#delayMicros()} and the
 * metering realigns V and I (see {@link #conversionOffsetsMicros}).
 *
 * <p>Faults never stop the loop: a failed transfer (or a null bit read high) loses that
 * sample period, which the metering sees as a gap; a channel whose code did not change over a
 * whole block is counted as stuck; codes at 0 or full scale are counted as clipped. All are
 * in {@link #stats()}.
 */
public final class Mcp3208Source extends RingSource {

    private static final Logger LOG = Logger.getLogger(Mcp3208Source.class);

    /** Counters of the acquisition loop, readable from any thread. */
    public record Stats(long samples, long droppedSamples, long lateSamples, long spiErrors, long clippedSamples,
            long stuckBlocks, int ringBacklog, String lastFault) {

        public long faults() {
            return spiErrors + clippedSamples + stuckBlocks;
        }
    }

    private final Mcp3208Config config;
    private final Mcp3208 chip;
    private final int[] channelOf;
    private final int fullCode;
    private final double midCode;
    private final long periodNanos;
    private final long spinNanos;
    private final double[] sample;

    // acquisition-thread state
    private long startNanos = Long.MIN_VALUE;
    private long index;
    private long late;
    private long spiErrors;
    private long clipped;
    private long stuck;
    private String lastFault = "";
    private volatile Stats stats;

    Mcp3208Source(Mcp3208Config config, SpiTransport spi, MonotonicClock clock) {
        super(frontEnd(config), config.blockSize(), config.ringBlocks(), clock);
        this.config = config;
        this.chip = new Mcp3208(config.variant(), spi);
        int channels = 2 * config.elements().size();
        this.channelOf = new int[channels];
        for (int e = 0; e < config.elements().size(); e++) {
            channelOf[2 * e] = config.elements().get(e).voltage();
            channelOf[2 * e + 1] = config.elements().get(e).current();
        }
        this.fullCode = config.variant().fullCode();
        this.midCode = config.variant().midCode();
        this.periodNanos = Math.round(1e9 / config.sampleRate());
        this.spinNanos = Math.round(config.spinMicros() * 1e3);
        this.sample = new double[channels];
        publishStats();
    }

    /**
     * Opens the front end and starts its acquisition thread (one per chip: sampling at 8 kHz
     * is hardware real time and must not queue behind other meters' work).
     */
    public static Mcp3208Source open(Mcp3208Config config, SpiTransport spi, MonotonicClock clock) {
        Mcp3208Source s = new Mcp3208Source(config, spi, clock);
        LOG.infof("%s on %s: %s, V/I channels %s, Vref %.3f V, CT %.0f:1, burden %.2f ohm, voltage ratio %.1f, "
                + "%.0f Hz x %d channels, conversion offsets %s us", config.variant(), spi.description(),
                s.name(), config.elements(), config.vref(), config.ctRatio(), config.burdenOhms(),
                config.voltageRatio(), config.sampleRate(), 2 * config.elements().size(),
                java.util.Arrays.toString(conversionOffsetsMicros(config)));
        s.startAcquisition(s.name() + "-acquisition " + s.chip.transport().description());
        return s;
    }

    /**
     * A source whose acquisition loop the caller runs ({@link #acquire}) on a thread of its own
     * choosing: one pinned to an isolated core, a test, a benchmark.
     */
    public static Mcp3208Source unstarted(Mcp3208Config config, SpiTransport spi, MonotonicClock clock) {
        return new Mcp3208Source(config, spi, clock);
    }

    /**
     * When each channel (V1, I1, V2, I2 order) is sampled, in microseconds after the start of
     * its sample period: transfer k starts k transfer times in, and its track-and-hold closes
     * {@link Mcp3208.Variant#sampleEndClock()} clocks into the transfer.
     */
    public static double[] conversionOffsetsMicros(Mcp3208Config config) {
        int channels = 2 * config.elements().size();
        double[] t = new double[channels];
        double clockMicros = 1e6 / config.spiClockHz();
        for (int k = 0; k < channels; k++) {
            t[k] = k * config.transferMicros() + config.variant().sampleEndClock() * clockMicros;
        }
        return t;
    }

    /**
     * Gains and delays per element. Samples are labelled with the start of their period, so a
     * channel sampled t us later runs t us ahead of its label: its delay is t. The metering
     * corrects the difference between an element's V and I delays; the part common to all
     * channels is a constant time shift of the whole meter and costs nothing.
     */
    public static FrontEnd frontEnd(Mcp3208Config config) {
        double[] offsets = conversionOffsetsMicros(config);
        // Raw units are codes minus mid-scale: -mid..mid-1. The metering treats a magnitude at
        // or above the clip level as saturated; mid-1 is the top code's distance from mid-scale.
        double clip = config.variant().midCode() - 1;
        List<ElementCalibration> cal = new ArrayList<>();
        for (int e = 0; e < config.elements().size(); e++) {
            cal.add(new ElementCalibration(
                    new ChannelCalibration(config.voltageGain(), offsets[2 * e], clip),
                    new ChannelCalibration(config.currentGain(), offsets[2 * e + 1], clip)));
        }
        return new FrontEnd(config.sampleRate(), cal);
    }

    public Mcp3208Config config() {
        return config;
    }

    public Stats stats() {
        return stats;
    }

    @Override
    public String name() {
        return config.variant() == Mcp3208.Variant.MCP3008_10BIT ? "mcp3008" : "mcp3208";
    }

    /**
     * Runs {@code periods} sample periods on the calling thread, each started at its due time
     * on the clock: the body of the acquisition thread, and what tests and benchmarks drive.
     * Never throws for a fault of the chip or bus.
     */
    @Override
    public void acquire(long periods) throws InterruptedException {
        if (startNanos == Long.MIN_VALUE) {
            startNanos = clock.nanoTime();
        }
        for (long p = 0; p < periods; p++) {
            long due = startNanos + index * periodNanos;
            waitUntil(due);
            long lateness = clock.nanoTime() - due;
            if (lateness > periodNanos / 2) {
                // Woken too late for this period: converting now would label a sample with the
                // wrong instant. Skip to the next period still ahead, so every sample stays on
                // its true instant; the metering sees the skipped ones as a gap.
                long behind = lateness / periodNanos + 1;
                late += behind;
                index += behind;
                ring.close();
                fault("acquisition woke " + lateness / 1000 + " us late, skipped " + behind + " sample periods");
                waitUntil(startNanos + index * periodNanos);
            }
            convertPeriod();
            index++;
        }
        publishStats();
    }

    /**
     * Parks until {@code spinNanos} before the deadline, then spins: parking alone wakes later
     * than the few microseconds of slack between one period's conversions and the next. The
     * spin is bounded in real time by what is left, so a virtual clock in tests cannot hang it.
     */
    private void waitUntil(long due) throws InterruptedException {
        if (spinNanos > 0) {
            clock.sleepUntil(due - spinNanos);
            long left = due - clock.nanoTime();
            long realEnd = System.nanoTime() + left;
            while (left > 0 && clock.nanoTime() - due < 0 && System.nanoTime() - realEnd < 0) {
                Thread.onSpinWait();
            }
        }
        clock.sleepUntil(due);
    }

    private void convertPeriod() {
        int channels = sample.length;
        try {
            for (int k = 0; k < channels; k++) {
                int code = chip.convert(channelOf[k]);
                if (code == 0 || code == fullCode) {
                    clipped++;
                }
                // A real input carries at least the converter's transition noise; a code frozen
                // for a whole block is an open input, a shorted bias or a dead channel.
                if (stuck(k, code)) {
                    stuck++;
                    fault("channel " + channelOf[k] + " stuck at code " + code);
                }
                sample[k] = code - midCode;
            }
        } catch (SpiException ex) {
            // The period lost a conversion: drop it whole (V without its I is worthless) and
            // let the next period start a new block. Each transfer is framed by chip select,
            // so the chip is already resynchronised for the next command.
            spiErrors++;
            ring.close();
            fault(ex.getMessage());
            return;
        }
        deliver(index, sample);
    }

    @Override
    protected void fault(String what) {
        lastFault = what;
        long n = spiErrors + late + stuck;
        // Logged on the 1st, 2nd, 4th, 8th... fault: a dead bus at 32 k transfers/s must not
        // turn the acquisition thread into a log writer.
        if (Long.bitCount(n) == 1) {
            LOG.warnf("%s on %s: %s (%d faults so far)", name(), chip.transport().description(), what, n);
        }
    }

    @Override
    public long faults() {
        Stats s = stats;
        return s.spiErrors() + s.stuckBlocks();
    }

    @Override
    public String lastFault() {
        return stats.lastFault();
    }

    private void publishStats() {
        stats = new Stats(samples(), droppedSamples(), late, spiErrors, clipped, stuck, ring.backlog(), lastFault);
    }

    @Override
    public void close() {
        stopAcquisition();
        chip.transport().close();
    }
}
