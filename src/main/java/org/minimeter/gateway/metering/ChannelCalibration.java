package org.minimeter.gateway.metering;

/**
 * How one ADC channel maps to the line quantity it observes.
 *
 * @param gain line volts (or primary amps) represented by one raw ADC unit: for a current
 *     channel this folds in the CT ratio and the 3 ohm burden, e.g. 200 A : 0.1 A through
 *     3 ohm gives 0.3 V at the ADC for 200 A primary
 * @param delayMicros how far this channel's samples run ahead of the true signal at the
 *     instant they are labelled with; the metering delays the channel by this much. A current
 *     converted 20 us after the voltage by a multiplexed ADC has +20; so has a CT whose
 *     secondary leads its primary by 20 us (0.43 degrees at 60 Hz). At PF 0.5 a 20 us error
 *     is 1.3 % of energy, so this is not optional for class 0.5.
 * @param clipLevel raw magnitude at or above which the ADC is saturated (its full scale);
 *     {@code Double.POSITIVE_INFINITY} for a source that cannot clip
 * @param inverted the transducer is wired backwards (a CT clamped the wrong way round, a
 *     transformer's leads swapped): the line quantity is minus what the channel shows. Only the
 *     sign of P and Q depends on it; RMS values do not.
 */
public record ChannelCalibration(double gain, double delayMicros, double clipLevel, boolean inverted) {

    /** A channel wired the right way round. */
    public ChannelCalibration(double gain, double delayMicros, double clipLevel) {
        this(gain, delayMicros, clipLevel, false);
    }

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

    /** This channel with its gain multiplied by {@code factor} and {@code micros} more delay. */
    public ChannelCalibration trimmed(double factor, double micros) {
        return new ChannelCalibration(gain * factor, delayMicros + micros, clipLevel, inverted);
    }

    /** This channel read with the given polarity. */
    public ChannelCalibration withInverted(boolean invert) {
        return new ChannelCalibration(gain, delayMicros, clipLevel, invert);
    }

    /** +1, or -1 for an inverted channel. */
    public int sign() {
        return inverted ? -1 : 1;
    }

    /** A channel with no delay that never clips: ideal samples. */
    public static ChannelCalibration ideal(double gain) {
        return new ChannelCalibration(gain, 0, Double.POSITIVE_INFINITY);
    }
}
