package org.minimeter.gateway.persistence;

/**
 * When to write the register. Each save is a small file write plus two fsyncs: cheap on an
 * SSD, wear on an SD card. The default (1 Wh and 1 s) bounds what a kill -9 can lose to
 * max(1 Wh, P x 1 s) plus the energy of the window being measured, and at the 48 kW a
 * 2 x 200 A meter can carry that is at most one save per second (86 400 a day); an SD-card
 * install may prefer, say, 10 Wh and 60 s.
 *
 * @param minMicroWh energy (delivered plus received, total) that must have accumulated
 * @param minIntervalNanos time that must have passed since the last save
 */
public record SavePolicy(long minMicroWh, long minIntervalNanos) {

    public SavePolicy {
        if (minMicroWh < 0 || minIntervalNanos < 0) {
            throw new IllegalArgumentException("save thresholds must be >= 0");
        }
    }

    public static SavePolicy defaults() {
        return new SavePolicy(1_000_000, 1_000_000_000L);
    }

    /**
     * Whether to save now.
     *
     * @param counterChanged the counter drive's owed pulses changed since the last save: saved
     *     at once (they are rare, one per 100 Wh) so a restart re-drives at most one pulse
     */
    public boolean due(long nowNanos, long lastSaveNanos, long accumulatedMicroWh, boolean counterChanged) {
        if (counterChanged) {
            return true;
        }
        return accumulatedMicroWh >= minMicroWh && nowNanos - lastSaveNanos >= minIntervalNanos && accumulatedMicroWh > 0;
    }
}
