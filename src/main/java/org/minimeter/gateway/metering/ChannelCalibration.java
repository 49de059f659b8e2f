package org.minimeter.gateway.metering;

/**
 * How one ADC channel maps to the line quantity it observes.
 *
 * @param gain line volts (or primary amps) represented by one raw ADC unit: for a current
 *     channel this folds in the CT ratio and the 3 ohm burden, e.g. 200 A : 0.1 A through
 *     3 ohm gives 0.3 V at the ADC for 200 A primary
 * @param delayMicros how much later in time this channel's samples must be taken to line up
 *     with the others. It corrects CT phase error (a CT's secondary leads its primary by a
 *     fraction of a degree) and ADC sequencing skew (a multiplexed ADC converts V, then I
 *     some microseconds later). At 60 Hz one microsecond is 0.0216 degrees, and at PF 0.5 a
 *     20 us uncorrected skew is a 1.3 % energy error, so this is not optional for class 0.5.
 * @param clipLevel raw magnitude at or above which the ADC is saturated (its full scale);
 *     {@code Double.POSITIVE_INFINITY} for a source that cannot clip
 */
public record ChannelCalibration(double gain, double delayMicros, double clipLevel) {

    public ChannelCalibration {
        if (!(gain > 0) || !Double.isFinite(gain)) {
            throw new IllegalArgumentException("gain must be a positive number, was " + gain);
        }
        if (!Double.isFinite(delayMicros)) {
            throw new IllegalArgumentException("delayMicros must be finite, was " + delayMicros);
        }
        if (!(clipLevel > 0)) {
            throw new IllegalArgumentException("clipLevel must be positive, was " + clipLevel);
        }
    }

    /** A channel with no delay that never clips: ideal samples. */
    public static ChannelCalibration ideal(double gain) {
        return new ChannelCalibration(gain, 0, Double.POSITIVE_INFINITY);
    }
}
