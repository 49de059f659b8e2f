package org.minimeter.gateway.metering;

import java.util.List;

/**
 * Everything the metering needs to know about one meter: its ratings (from the Leviton
 * Mini Meter datasheet), its sampling, its calibration and its detection thresholds.
 *
 * @param nominalFrequency 50 or 60 Hz; fixes the nominal voltage and the supply band
 * @param ctRating CT primary rating in amps (100 or 200)
 * @param sampleRate samples per second per channel
 * @param windowCycles whole line cycles per measurement window (10 at 50 Hz and 12 at 60 Hz
 *     give the 200 ms window of IEC 61000-4-30)
 * @param calibration one entry per element (1 or 2)
 * @param creepFraction no-load threshold: an element whose window power is below this
 *     fraction of nominal volts times rated amps registers nothing (ANSI C12 creep test).
 *     The default 0.0004 sits at 40 % of the starting-current power (0.1 % of rating at PF 1)
 * @param frequencyTolerance allowed relative deviation from nominal before
 *     {@link Condition#FREQUENCY_OFF_NOMINAL} is raised
 * @param reverseSeconds how long an element's power must stay negative before
 *     {@link Condition#CT_REVERSED} is raised; 0 disables the check (export sites)
 */
public record MeterSpec(
        int nominalFrequency,
        double ctRating,
        double sampleRate,
        int windowCycles,
        List<ElementCalibration> calibration,
        double creepFraction,
        double frequencyTolerance,
        double reverseSeconds) {

    public static final double DEFAULT_CREEP_FRACTION = 0.0004;
    public static final double DEFAULT_FREQUENCY_TOLERANCE = 0.025;
    public static final double DEFAULT_REVERSE_SECONDS = 10;

    public MeterSpec {
        if (nominalFrequency != 50 && nominalFrequency != 60) {
            throw new IllegalArgumentException("nominalFrequency must be 50 or 60, was " + nominalFrequency);
        }
        if (!(ctRating > 0)) {
            throw new IllegalArgumentException("ctRating must be positive, was " + ctRating);
        }
        if (!(sampleRate >= 20 * nominalFrequency)) {
            throw new IllegalArgumentException("sampleRate must be at least 20 samples per cycle, was " + sampleRate);
        }
        if (windowCycles < 1) {
            throw new IllegalArgumentException("windowCycles must be at least 1, was " + windowCycles);
        }
        calibration = List.copyOf(calibration);
        if (calibration.size() < 1 || calibration.size() > 2) {
            throw new IllegalArgumentException("1 or 2 elements, was " + calibration.size());
        }
        for (ElementCalibration c : calibration) {
            double d = c.relativeDelaySamples(sampleRate);
            if (Math.abs(d) > 1) {
                throw new IllegalArgumentException(String.format(
                        "V/I delay difference must be within one sample (%.1f us at %.0f Hz), was %.1f us",
                        1e6 / sampleRate, sampleRate, c.voltage().delayMicros() - c.current().delayMicros()));
            }
        }
        if (!(creepFraction >= 0 && creepFraction < 0.01)) {
            throw new IllegalArgumentException("creepFraction must be in [0, 0.01), was " + creepFraction);
        }
        if (!(frequencyTolerance > 0 && frequencyTolerance < 0.5)) {
            throw new IllegalArgumentException("frequencyTolerance must be in (0, 0.5), was " + frequencyTolerance);
        }
        if (!(reverseSeconds >= 0)) {
            throw new IllegalArgumentException("reverseSeconds must be >= 0, was " + reverseSeconds);
        }
    }

    /** The IEC 61000-4-30 200 ms window and default thresholds. */
    public static MeterSpec of(int nominalFrequency, double ctRating, double sampleRate,
            List<ElementCalibration> calibration) {
        return new MeterSpec(nominalFrequency, ctRating, sampleRate, nominalFrequency / 5, calibration,
                DEFAULT_CREEP_FRACTION, DEFAULT_FREQUENCY_TOLERANCE, DEFAULT_REVERSE_SECONDS);
    }

    public int elements() {
        return calibration.size();
    }

    /** 120 V on 60 Hz service, 240 V on 50 Hz service (datasheet supply ranges). */
    public double nominalVoltage() {
        return nominalVoltage(nominalFrequency);
    }

    public static double nominalVoltage(int nominalFrequency) {
        return nominalFrequency == 60 ? 120.0 : 240.0;
    }

    /** Lower end of the supply band: nominal - 10 %. */
    public double minVoltage() {
        return nominalVoltage() * 0.9;
    }

    /** Upper end of the supply band: nominal + 10 %. */
    public double maxVoltage() {
        return nominalVoltage() * 1.1;
    }

    /** The CT secondary may carry 110 mA of its 100 mA rating: rated current + 10 %. */
    public double maxCurrent() {
        return ctRating * 1.1;
    }

    /** Window power per element below which nothing registers. */
    public double creepPowerWatts() {
        return creepFraction * nominalVoltage() * ctRating;
    }

    public MeterSpec withThresholds(double creepFraction, double frequencyTolerance, double reverseSeconds) {
        return new MeterSpec(nominalFrequency, ctRating, sampleRate, windowCycles, calibration,
                creepFraction, frequencyTolerance, reverseSeconds);
    }
}
