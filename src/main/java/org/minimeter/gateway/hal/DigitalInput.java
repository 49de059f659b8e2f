package org.minimeter.gateway.hal;

/**
 * One digital input: a converter's data-ready (DRDY) line, or a power-fail signal. Reading it
 * never blocks; waiting for an edge is bounded.
 */
public interface DigitalInput extends AutoCloseable {

    /** What it is, for logs: e.g. {@code DRDY (GPIO 25)}. */
    String name();

    /** True while the line is high. */
    boolean isHigh();

    /**
     * Waits at most {@code timeoutNanos} for the line to go low (DRDY is active low).
     *
     * @return true if it is low, false on timeout
     */
    boolean awaitLow(long timeoutNanos) throws InterruptedException;

    @Override
    void close();
}
