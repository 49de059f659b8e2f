package org.minimeter.gateway.metering;

/**
 * Over-range and integrity conditions a real meter reports rather than hides. Each is a fact
 * about one measurement window; {@link AlarmMonitor} turns them into raised / cleared alarms.
 */
public enum Condition {
    /** Supply above the band for the configured line frequency (132 V at 60 Hz, 264 V at 50 Hz). */
    OVER_VOLTAGE("over_voltage", true),
    /** Supply below the band (108 V at 60 Hz, 216 V at 50 Hz), including a dead line. */
    UNDER_VOLTAGE("under_voltage", true),
    /** Current above the CT rating + 10 %, where the CT's 110 mA secondary limit is passed. */
    OVER_CURRENT("over_current", true),
    /** The ADC reached full scale on a channel: the energy of that window is understated. */
    CLIPPING("clipping", true),
    /**
     * Sustained negative power on one element. On a consumption-only site this is a CT
     * mounted backwards; on a site that exports it is a fact worth seeing all the same.
     */
    CT_REVERSED("ct_reversed", true),
    /** Line frequency outside the configured tolerance around 50 or 60 Hz. */
    FREQUENCY_OFF_NOMINAL("frequency_off_nominal", false),
    /** No rising zero crossing of the voltage within two windows: frequency unknown. */
    NO_ZERO_CROSSING("no_zero_crossing", false),
    /** Samples missing between two blocks: their energy could not be measured. */
    SAMPLE_GAP("sample_gap", false),
    /** A block was rejected (wrong shape, non-finite samples, out of order). */
    BAD_BLOCK("bad_block", false),

    // Raised outside the metering, by the outputs and the register keeper; they share the
    // alarm vocabulary so subscribers see one stream.

    /** A pulse output has edges waiting for their dwell: energy arrives faster than it can pulse. */
    PULSE_OVERLOAD("pulse_overload", false),
    /** The counter is owed more than the step it is driving. */
    COUNTER_OVERLOAD("counter_overload", false),
    /** Self-check: pulses shown x quantum is more than one quantum away from the register. */
    PULSE_MISMATCH("pulse_mismatch", false),
    /** A digital line did not take the state it was set to. */
    OUTPUT_FAULT("output_fault", false),
    /** The newest register file was damaged; an older generation was loaded. */
    REGISTER_FALLBACK("register_fallback", false),
    /** Saving the register failed; it is retried, and nothing new is published meanwhile. */
    STORAGE_ERROR("storage_error", false),
    /**
     * The meter's source has delivered no samples for longer than it should (a stalled or
     * unplugged front end) or fails when read: the meter is unavailable until it recovers.
     */
    SOURCE_FAILED("source_failed", false),
    /** A finite source (a recording replayed without loop) has delivered its last sample. */
    SOURCE_ENDED("source_ended", false),
    /**
     * The front end counts faults (SPI or CRC errors, data-ready timeouts, a chip reset, a
     * stuck channel): the samples around them are lost (a gap) or suspect.
     */
    FRONT_END_FAULT("front_end_fault", false);

    private final String key;
    private final boolean perElement;

    Condition(String key, boolean perElement) {
        this.key = key;
        this.perElement = perElement;
    }

    /** Stable snake_case name for logs and payloads. */
    public String key() {
        return key;
    }

    /** Whether the condition belongs to one element (true) or to the meter as a whole. */
    public boolean perElement() {
        return perElement;
    }
}
