package org.minimeter.gateway.hal.replay;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How to replay a recording (SPEC.md section 6). Each component is named after the
 * configuration key it will be wired from. Build with {@link #builder(Path)}.
 *
 * @param file {@code replay.file}: a CSV or WAV recording (WAV is recognised by its RIFF
 *     header, anything else is read as CSV)
 * @param rate {@code replay.rate}: samples per second, overriding the file's own rate (a CSV's
 *     {@code t} column or {@code # rate=}, a WAV header); 0 to take it from the file
 * @param scales {@code replay.scale.v1}, {@code .i1}, {@code .v2}, {@code .i2}: line volts or
 *     primary amps at a WAV's full scale (a sample of 1.0, or the largest integer code),
 *     overriding the scales a capture wrote into the file; unused for CSV, which holds
 *     physical units
 * @param delayMicros {@code replay.delay.v1} etc.: how far each channel runs ahead of the true
 *     signal (see {@code ChannelCalibration#delayMicros}), overriding the capture's metadata;
 *     a multiplexed ADC's 20 us V-to-I skew is 1.3 % of energy at PF 0.5, so a capture
 *     keeps it for the replay to correct as the live meter did
 * @param speed {@code replay.speed}: recorded seconds per wall-clock second (1 = real time)
 * @param loop {@code replay.loop}: start again at the first sample at the end of the file,
 *     the sample index running on without a gap
 * @param blockSize {@code replay.block-size}: samples per block; 0 for 50 ms worth
 * @param elements metering elements the meter expects (1 or 2); 0 to take the file's
 */
public record ReplaySettings(
        Path file,
        double rate,
        Map<String, Double> scales,
        Map<String, Double> delayMicros,
        double speed,
        boolean loop,
        int blockSize,
        int elements) {

    /** Channel names in canonical order: element 1's voltage and current, then element 2's. */
    public static final List<String> CHANNELS = List.of("v1", "i1", "v2", "i2");

    public ReplaySettings {
        if (file == null) {
            throw new IllegalArgumentException("replay.file must be set");
        }
        scales = Map.copyOf(scales);
        delayMicros = Map.copyOf(delayMicros);
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("replay.rate must be 0 (from the file) or a positive rate in Hz, was " + rate);
        }
        for (var e : scales.entrySet()) {
            if (!CHANNELS.contains(e.getKey())) {
                throw new IllegalArgumentException("replay.scale." + e.getKey() + " is not a channel; allowed: " + CHANNELS);
            }
            if (!(e.getValue() > 0) || Double.isInfinite(e.getValue())) {
                throw new IllegalArgumentException("replay.scale." + e.getKey()
                        + " must be a positive number of volts or amps at full scale, was " + e.getValue());
            }
        }
        for (var e : delayMicros.entrySet()) {
            if (!CHANNELS.contains(e.getKey())) {
                throw new IllegalArgumentException("replay.delay." + e.getKey() + " is not a channel; allowed: " + CHANNELS);
            }
            if (!Double.isFinite(e.getValue())) {
                throw new IllegalArgumentException("replay.delay." + e.getKey() + " must be finite, was " + e.getValue());
            }
        }
        if (!(speed > 0) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("replay.speed must be positive (1 = real time), was " + speed);
        }
        if (blockSize < 0) {
            throw new IllegalArgumentException("replay.block-size must be 0 (50 ms) or positive, was " + blockSize);
        }
        if (elements < 0 || elements > 2) {
            throw new IllegalArgumentException("elements must be 0 (from the file), 1 or 2, was " + elements);
        }
    }

    public static Builder builder(Path file) {
        return new Builder(file);
    }

    public static final class Builder {
        private final Path file;
        private double rate;
        private final Map<String, Double> scales = new LinkedHashMap<>();
        private final Map<String, Double> delayMicros = new LinkedHashMap<>();
        private double speed = 1;
        private boolean loop;
        private int blockSize;
        private int elements;

        private Builder(Path file) {
            this.file = file;
        }

        public Builder rate(double hz) {
            rate = hz;
            return this;
        }

        /** Full-scale value of {@code channel} ({@code v1}, {@code i1}, {@code v2}, {@code i2}). */
        public Builder scale(String channel, double fullScale) {
            scales.put(channel, fullScale);
            return this;
        }

        public Builder delayMicros(String channel, double micros) {
            delayMicros.put(channel, micros);
            return this;
        }

        public Builder speed(double v) {
            speed = v;
            return this;
        }

        public Builder loop(boolean v) {
            loop = v;
            return this;
        }

        public Builder blockSize(int v) {
            blockSize = v;
            return this;
        }

        public Builder elements(int v) {
            elements = v;
            return this;
        }

        public ReplaySettings build() {
            return new ReplaySettings(file, rate, scales, delayMicros, speed, loop, blockSize, elements);
        }
    }
}
