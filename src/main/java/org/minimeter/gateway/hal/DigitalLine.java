package org.minimeter.gateway.hal;

/**
 * One digital output: a pulse output's opto-isolated switch or the electromechanical
 * counter's driver. Setting it must not block (no sleeping, no waiting on the line): timing
 * belongs to the caller's scheduler.
 */
public interface DigitalLine extends AutoCloseable {

    /** What the line is, for logs: e.g. {@code pulse10 (GPIO 17)}. */
    String name();

    /** Drives the line on (switch closed) or off. */
    void set(boolean on);

    /** The state the line reports now (read back from the driver, not remembered). */
    boolean isOn();

    /** Drives the line off, the safe state, and releases it. */
    @Override
    void close();
}
