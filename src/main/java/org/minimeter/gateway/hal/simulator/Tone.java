package org.minimeter.gateway.hal.simulator;

/**
 * One sinusoid of a channel, {@code amplitude * sin(2 pi order (frac(n c) + lead) + offset)}
 * for sample index n and c line cycles per sample, generated a chunk at a time by a
 * recurrence seeded from the exact phase of the chunk's first sample.
 *
 * <p>Why a recurrence is exact enough: sin((k+2)w) = 2 cos(2w) sin(kw) - sin((k-2)w) is exact
 * in real arithmetic; in doubles each step adds a rounding of about 1e-16 of the amplitude,
 * amplified by at most 1/sin(2w) (about 11 for 60 Hz at 8 kHz) and, for a step near half a
 * turn, growing with the square of the steps. Reseeding every {@link #CHUNK} samples bounds
 * that to about 1e-10 of the amplitude in the worst case, 1e-13 typically: a millionth of a
 * 12-bit LSB, and far below the 1e-5 that the ideal-sample accuracy rows can resolve. The
 * phase of every chunk comes from the sample index, so nothing accumulates across chunks and
 * a simulation that runs for years stays on frequency.
 */
final class Tone {

    /** Most samples generated from one seed. */
    static final int CHUNK = 1024;

    private static final double TWO_PI = 2 * Math.PI;

    private final double amplitude;
    private final int order;
    private final double cyclesPerSample;
    private final double leadCycles;
    private final double offsetRad;
    private final double stepRad;
    private final double twoCosStep;
    private final double twoCosDoubleStep;

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
        this.twoCosDoubleStep = 2 * Math.cos(2 * stepRad);
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
            // Samples 0 and 1 exactly, 2 and 3 by one step of the unit-step recurrence; then
            // even and odd samples run as two independent chains with a double step, so the
            // loop is not limited by the latency of one chain of multiply-subtracts.
            double s0 = peak * Math.sin(angle);
            double s1 = peak * Math.sin(angle + stepRad);
            double s2 = twoCosStep * s1 - s0;
            double s3 = twoCosStep * s2 - s1;
            if (add) {
                addChains(dst, from, to, s0, s2, s1, s3);
            } else {
                setChains(dst, from, to, s0, s2, s1, s3);
            }
        }
    }

    private void setChains(double[] dst, int from, int to, double e0, double e1, double o0, double o1) {
        double c = twoCosDoubleStep;
        int k = from;
        for (; k + 1 < to; k += 2) {
            dst[k] = e0;
            dst[k + 1] = o0;
            double e2 = c * e1 - e0;
            double o2 = c * o1 - o0;
            e0 = e1;
            e1 = e2;
            o0 = o1;
            o1 = o2;
        }
        if (k < to) {
            dst[k] = e0;
        }
    }

    private void addChains(double[] dst, int from, int to, double e0, double e1, double o0, double o1) {
        double c = twoCosDoubleStep;
        int k = from;
        for (; k + 1 < to; k += 2) {
            dst[k] += e0;
            dst[k + 1] += o0;
            double e2 = c * e1 - e0;
            double o2 = c * o1 - o0;
            e0 = e1;
            e1 = e2;
            o0 = o1;
            o1 = o2;
        }
        if (k < to) {
            dst[k] += e0;
        }
    }
}
