package org.minimeter.gateway.hal;

/** Opens digital output lines by pin number: Pi4J on a board, or simulated lines. */
public interface DigitalLines extends AutoCloseable {

    /** Which backend is in use, for the start-up log: e.g. {@code Pi4J gpiod provider}. */
    String description();

    /**
     * Opens an output line, initially off.
     *
     * @param name the line's role, e.g. {@code pulse10}
     * @param pin the BCM GPIO number
     * @throws IllegalArgumentException if the pin is out of range or already open
     * @throws IllegalStateException if the backend cannot drive the pin (no such chip, no
     *     permission), with a message that says which and why
     */
    DigitalLine open(String name, int pin);

    /** Drives every open line off and releases the backend. */
    @Override
    void close();
}
