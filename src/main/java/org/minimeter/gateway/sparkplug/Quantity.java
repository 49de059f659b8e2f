package org.minimeter.gateway.sparkplug;

/**
 * The kinds of analog metric, each with its own deadband ({@code sparkplug.deadband.<key>}).
 * Booleans, strings and counters have none: every change is reported.
 */
public enum Quantity {
    /** kWh, from the durable register. */
    ENERGY("energy"),
    /** W, var and VA. */
    POWER("power"),
    /** V rms. */
    VOLTAGE("voltage"),
    /** A rms. */
    CURRENT("current"),
    /** P / S, dimensionless. */
    POWER_FACTOR("power-factor"),
    /** Hz. */
    FREQUENCY("frequency");

    private final String key;

    Quantity(String key) {
        this.key = key;
    }

    /** The configuration key below {@code sparkplug.deadband.}. */
    public String key() {
        return key;
    }
}
