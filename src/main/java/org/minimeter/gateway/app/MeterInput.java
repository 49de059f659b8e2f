package org.minimeter.gateway.app;

import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.MeteringEngine;
import org.minimeter.gateway.metering.Metrology;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * What feeds a meter's engine on the shared sampling threads: a waveform source and the
 * sampled-waveform engine ({@link #sampled}), or a front end that computes energy itself and
 * is polled ({@code Atm90e32Engine}). Never blocks.
 */
public interface MeterInput extends AutoCloseable {

    /** The source's name for logs: {@code simulator}, {@code replay}, {@code atm90e32}. */
    String name();

    MeteringEngine engine();

    /** When work is next due (monotonic nanoseconds). */
    long nextDueNanos();

    /**
     * Does the work ready at {@code now}, at most {@code maxUnits} units (blocks, polls).
     *
     * @return units done; 0 when nothing was ready
     * @throws RuntimeException when the front end failed: counted, alarmed and retried
     */
    int step(long now, int maxUnits);

    /** Expected time between units: a source silent for many of them has failed. */
    long unitNanos();

    /** Faults the front end has counted so far; see {@link WaveformSource#faults()}. */
    default long faults() {
        return 0;
    }

    /** The latest fault's description, or empty. */
    default String lastFault() {
        return "";
    }

    /** A finite source (a recording without loop) that has delivered everything. */
    default boolean ended() {
        return false;
    }

    @Override
    void close();

    /** Builds the input once the meter's register and listener exist. */
    @FunctionalInterface
    interface Factory {
        MeterInput open(EnergyRegister register, Metrology.Listener listener);
    }

    /** Blocks from a waveform source, metered by {@link Metrology}. */
    static Factory sampled(MeterSpec spec, WaveformSource source) {
        return (register, listener) -> {
            Metrology metrology = new Metrology(spec, register, listener);
            SampleBlock block = new SampleBlock(spec.elements(), source.blockSize());
            long unit = (long) (1e9 * source.blockSize() / spec.sampleRate());
            return new MeterInput() {
                @Override
                public String name() {
                    return source.name();
                }

                @Override
                public MeteringEngine engine() {
                    return metrology;
                }

                @Override
                public long nextDueNanos() {
                    return source.nextBlockNanos();
                }

                @Override
                public int step(long now, int maxUnits) {
                    int n = 0;
                    while (n < maxUnits && source.poll(block, now)) {
                        metrology.process(block);
                        n++;
                    }
                    return n;
                }

                @Override
                public long unitNanos() {
                    return unit;
                }

                @Override
                public boolean ended() {
                    return source.ended();
                }

                @Override
                public long faults() {
                    return source.faults();
                }

                @Override
                public String lastFault() {
                    return source.lastFault();
                }

                @Override
                public void close() {
                    source.close();
                }
            };
        };
    }
}
