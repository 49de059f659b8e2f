package org.minimeter.gateway.hal.simulator;

/**
 * One harmonic added to the simulated waveforms.
 *
 * @param order harmonic number (2..50)
 * @param voltageFraction its amplitude relative to the fundamental voltage
 * @param currentFraction its amplitude relative to the fundamental current
 * @param currentLagDeg how far the harmonic current lags the harmonic voltage, in degrees
 *     of the harmonic
 */
public record Harmonic(int order, double voltageFraction, double currentFraction, double currentLagDeg) {

    public Harmonic {
        if (order < 2 || order > 50) {
            throw new IllegalArgumentException("harmonic order must be 2..50, was " + order);
        }
        if (!(voltageFraction >= 0) || !(currentFraction >= 0)) {
            throw new IllegalArgumentException("harmonic fractions must be >= 0");
        }
    }
}
