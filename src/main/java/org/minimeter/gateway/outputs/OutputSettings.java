package org.minimeter.gateway.outputs;

/**
 * Timing of the outputs.
 *
 * @param dwellNanos minimum time a pulse output stays in a state, so a receiving pulse
 *     counter (typically 20-50 ms debounce) never misses an edge
 * @param counterWh energy per electromechanical counter step: 100 or 1000 Wh
 * @param counterOnNanos coil energised per step; a 12 V counter needs about 100 ms to pull in
 * @param counterOffNanos rest between steps so the armature returns
 */
public record OutputSettings(long dwellNanos, long counterWh, long counterOnNanos, long counterOffNanos) {

    public OutputSettings {
        if (dwellNanos < 0 || counterOnNanos <= 0 || counterOffNanos <= 0) {
            throw new IllegalArgumentException("output timings must be positive");
        }
        if (counterWh != 100 && counterWh != 1000) {
            throw new IllegalArgumentException("counter quantum must be 100 or 1000 Wh, was " + counterWh);
        }
    }

    public static OutputSettings defaults() {
        return new OutputSettings(50_000_000L, 100, 100_000_000L, 100_000_000L);
    }
}
