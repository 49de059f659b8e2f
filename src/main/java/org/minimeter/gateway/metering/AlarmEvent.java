package org.minimeter.gateway.metering;

/**
 * An alarm raised or cleared.
 *
 * @param element 1-based element for per-element conditions, 0 for meter-level ones
 * @param sampleIndex the sample index at which the window that decided it started
 * @param value the measured value that decided it (volts, amps, hertz, samples, ...), NaN if none
 * @param limit the limit it was compared with, NaN if none
 */
public record AlarmEvent(Condition condition, int element, boolean raised, long sampleIndex,
        double value, double limit) {

    /** How the alarm is named while active: {@code over_voltage:L1}, or {@code sample_gap}. */
    public String key() {
        return element > 0 ? condition.key() + ":L" + element : condition.key();
    }
}
