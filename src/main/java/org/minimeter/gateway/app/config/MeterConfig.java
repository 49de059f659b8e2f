package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.OptionalInt;

/** {@code meter.*}: what the meter is (SPEC.md section 3) and how it measures. */
@ConfigMapping(prefix = "meter")
public interface MeterConfig {

    /** Id in topics and discovery: {@code [a-z0-9_-]+}. */
    @WithDefault("minimeter-1")
    String id();

    /** Line frequency of the service: 50 or 60 Hz. */
    @WithDefault("60")
    int frequency();

    /** 1 (L1 + N) or 2 (split phase L1, L2 + N). */
    @WithDefault("2")
    int elements();

    /** CT primary rating in amps: 100 or 200. */
    @WithDefault("200")
    int ctRating();

    /** Samples per second per channel. */
    @WithDefault("8000")
    int sampleRate();

    /** Whole cycles per measurement window; default 10 at 50 Hz and 12 at 60 Hz (200 ms). */
    OptionalInt windowCycles();

    /** No-load threshold as a fraction of nominal V x rated A per element. */
    @WithDefault("0.0004")
    double creepFraction();

    /** Frequency alarm threshold, percent off nominal. */
    @WithDefault("2.5")
    double frequencyTolerancePct();

    /** Seconds of negative power before the CT-reversed alarm; 0 disables it. */
    @WithDefault("10")
    double ctReversedSeconds();

    /**
     * Channels wired backwards, read with the opposite sign: {@code i1}, {@code i2} (a CT
     * clamped the wrong way round), {@code v1}, {@code v2}. A change is written to the meter's
     * audit.log at the next start.
     */
    java.util.Optional<java.util.List<String>> invert();

    /** How often the one-line reading is logged. */
    @WithDefault("10s")
    Duration logInterval();
}
