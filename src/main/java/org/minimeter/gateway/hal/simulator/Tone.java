package org.minimeter.gateway.hal.simulator;

/**
 * One sinusoid of a channel, {@code amplitude * sin(2 pi order (frac(n c) + lead) + offset)}
 * for sample index n and c line cycles per sample, generated a chunk at a time by a
 * recurrence seeded from the exact phase of the chunk's first sample.
 *
 * <p>Why a recurrence is exact enough: sin((k+4)w) = 2 cos(4w) sin(kw) - sin((k-4)w) is exact
 * in real arithmetic; in doubles each step adds a rounding of about 1e-16 of the amplitude,
 * amplified by at most 1/sin(4w) (about 5 for 60 Hz at 8 kHz) and, for a step near a whole
 * or half turn, growing with the square of the steps. Reseeding every {@link #CHUNK} samples bounds
 * that to about 1e-10 of the amplitude in the worst case, 1e-13 typically: a millionth of a
 * 12-bit LSB, and far below the 1e-5 that the ideal-sample accuracy rows can resolve. The
 * phase of every chunk comes from the sample index, so nothing accumulates across chunks and
 * a simulation that runs for years stays on frequency.
 */
final class Tone {

    /** Most samples generated from one seed. */
    static final int CHUNK = 1024;

    /** Interleaved recurrences per tone (the loop below is written out for 4). */
    private static final int CHAINS = 4;

    private static final double TWO_PI = 2 * Math.PI;

    private final double amplitude;
    private final int order;
    private final double cyclesPerSample;
    private final double leadCycles;
    private final double offsetRad;
    private final double stepRad;
    private final double twoCosStep;
    private final double twoCosChainStep;
    /** The first samples of a chunk; a field so that generating a block allocates nothing. */
    private final double[] seed = new double[2 * CHAINS];

    /**
     * @param amplitude peak, in the units written
     * @param order harmonic number, 1 for the fundamental
     * @param cyclesPerSample line cycles per sample
     * @param leadCycles how far the channel's time is ahead of the sample's, in line cycles
     *     (a current converted later than its voltage sees a later point of the wave)
     * @param offsetRad phase added after the harmonic multiplication
     */
    Tone(double amplitude, int order, double cyclesPerSample, double leadCycles, double offsetRad) {
        this.amplitude = amplitude;
        this.order = order;
        this.cyclesPerSample = cyclesPerSample;
        this.leadCycles = leadCycles;
        this.offsetRad = offsetRad;
        this.stepRad = TWO_PI * order * fraction(cyclesPerSample);
        this.twoCosStep = 2 * Math.cos(stepRad);
        this.twoCosChainStep = 2 * Math.cos(CHAINS * stepRad);
    }

    /**
     * The line phase of sample {@code n} in cycles, 0 to 1. The product n c is split into its
     * rounded value and its exact rounding error, so the phase stays accurate to about 1e-16
     * of a cycle for any index: no drift however long the simulation runs.
     */
    static double cyclesAt(long n, double cyclesPerSample, double leadCycles) {
        double nd = n;
        double hi = nd * cyclesPerSample;
        double lo = Math.fma(nd, cyclesPerSample, -hi);
        return fraction(fraction(hi) + lo + leadCycles);
    }

    static double fraction(double cycles) {
        return cycles - Math.floor(cycles);
    }

    /** The value at sample {@code n}, computed directly (seeds and tests). */
    double valueAt(long n) {
        return amplitude * Math.sin(angleAt(n));
    }

    private double angleAt(long n) {
        return TWO_PI * order * cyclesAt(n, cyclesPerSample, leadCycles) + offsetRad;
    }

    /**
     * Writes ({@code add} false) or adds ({@code add} true) {@code scale} times this tone for
     * samples {@code first .. first + length - 1} into {@code dst[0 .. length)}.
     */
    void render(double[] dst, int length, long first, double scale, boolean add) {
        double peak = scale * amplitude;
        for (int from = 0; from < length; from += CHUNK) {
            int to = Math.min(length, from + CHUNK);
            double angle = angleAt(first + from);
            // Samples 0 and 1 exactly, the next few by the unit-step recurrence; then every
            // CHAINS-th sample forms its own chain with a CHAINS-fold step, so the loop runs
            // CHAINS independent multiply-subtracts at once instead of waiting on one.
            seed[0] = peak * Math.sin(angle);
            seed[1] = peak * Math.sin(angle + stepRad);
            for (int j = 2; j < seed.length; j++) {
                seed[j] = twoCosStep * seed[j - 1] - seed[j - 2];
            }
            if (add) {
                addChains(dst, from, to, seed);
            } else {
                setChains(dst, from, to, seed);
            }
        }
    }

    private void setChains(double[] dst, int from, int to, double[] seed) {
        double c = twoCosChainStep;
        double p0 = seed[0], p1 = seed[1], p2 = seed[2], p3 = seed[3];
        double q0 = seed[4], q1 = seed[5], q2 = seed[6], q3 = seed[7];
        int k = from;
        for (; k + CHAINS <= to; k += CHAINS) {
            dst[k] = p0;
            dst[k + 1] = p1;
            dst[k + 2] = p2;
            dst[k + 3] = p3;
            double r0 = c * q0 - p0;
            double r1 = c * q1 - p1;
            double r2 = c * q2 - p2;
            double r3 = c * q3 - p3;
            p0 = q0;
            p1 = q1;
            p2 = q2;
            p3 = q3;
            q0 = r0;
            q1 = r1;
            q2 = r2;
            q3 = r3;
        }
        if (k < to) {
            dst[k] = p0;
        }
        if (k + 1 < to) {
            dst[k + 1] = p1;
        }
        if (k + 2 < to) {
            dst[k + 2] = p2;
        }
    }

    private void addChains(double[] dst, int from, int to, double[] seed) {
        double c = twoCosChainStep;
        double p0 = seed[0], p1 = seed[1], p2 = seed[2], p3 = seed[3];
        double q0 = seed[4], q1 = seed[5], q2 = seed[6], q3 = seed[7];
        int k = from;
        for (; k + CHAINS <= to; k += CHAINS) {
            dst[k] += p0;
            dst[k + 1] += p1;
            dst[k + 2] += p2;
            dst[k + 3] += p3;
            double r0 = c * q0 - p0;
            double r1 = c * q1 - p1;
            double r2 = c * q2 - p2;
            double r3 = c * q3 - p3;
            p0 = q0;
            p1 = q1;
            p2 = q2;
            p3 = q3;
            q0 = r0;
            q1 = r1;
            q2 = r2;
            q3 = r3;
        }
        if (k < to) {
            dst[k] += p0;
        }
        if (k + 1 < to) {
            dst[k + 1] += p1;
        }
        if (k + 2 < to) {
            dst[k + 2] += p2;
        }
    }
}
