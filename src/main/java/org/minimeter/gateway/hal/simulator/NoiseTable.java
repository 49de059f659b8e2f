package org.minimeter.gateway.hal.simulator;

import java.util.SplittableRandom;

/**
 * Unit-rms Gaussian noise drawn once and shared by every simulated source, so that a source
 * adds converter noise by reading the table instead of drawing a Gaussian per sample.
 *
 * <p>A source reads each channel's noise for a block as one run of consecutive entries from
 * its own random start. Entries are independent, so two channels whose starts differ see
 * independent noise at every instant however their runs overlap: the V x I noise product,
 * the only way noise can bias energy, averages to zero. Starts are redrawn every block, so a
 * long run sees every lag between channels and no fixed pairing of entries.
 */
final class NoiseTable {

    /** 64 K entries (512 KB): far more than one block of one channel, small enough to stay in cache. */
    static final int SIZE = 1 << 16;

    /** Fixed so that every run of the simulator, everywhere, sees the same table. */
    private static final long SEED = 0x6e6f697365L;

    private static final double[] VALUES = generate();

    private NoiseTable() {
    }

    /** The shared table; callers only read it. */
    static double[] values() {
        return VALUES;
    }

    private static double[] generate() {
        SplittableRandom random = new SplittableRandom(SEED);
        double[] v = new double[SIZE];
        double sum = 0;
        for (int k = 0; k < SIZE; k++) {
            v[k] = random.nextGaussian();
            sum += v[k];
        }
        // A finite draw has a mean of about 1/sqrt(SIZE) and an rms a little off 1. Remove both
        // so the table adds no DC and exactly the configured rms over its whole length.
        double mean = sum / SIZE;
        double squares = 0;
        for (int k = 0; k < SIZE; k++) {
            v[k] -= mean;
            squares += v[k] * v[k];
        }
        double scale = 1 / Math.sqrt(squares / SIZE);
        for (int k = 0; k < SIZE; k++) {
            v[k] *= scale;
        }
        return v;
    }
}
