package org.minimeter.gateway.hal.pi4j;

import com.pi4j.io.gpio.digital.DigitalOutput;
import com.pi4j.io.gpio.digital.DigitalState;
import org.minimeter.gateway.hal.DigitalLine;

/**
 * One Pi4J digital output. High closes the output's switch. Setting it writes the new level
 * once and returns: no sleeping, and never Pi4J's {@code pulse()}, which sleeps the caller for
 * the pulse width; pulse timing belongs to the outputs' scheduler.
 */
final class Pi4jDigitalLine implements DigitalLine {

    private final String role;
    private final String name;
    private final int pin;
    private final DigitalOutput output;
    private final Pi4jDigitalLines owner;
    private boolean closed;

    Pi4jDigitalLine(String role, int pin, DigitalOutput output, Pi4jDigitalLines owner) {
        this.role = role;
        this.name = role + " (GPIO " + pin + ")";
        this.pin = pin;
        this.output = output;
        this.owner = owner;
    }

    /** Pi4J's registry id for a pin: one output per pin in a context. */
    static String ioId(int pin) {
        return "gpio" + pin;
    }

    String ioId() {
        return ioId(pin);
    }

    String role() {
        return role;
    }

    int pin() {
        return pin;
    }

    DigitalOutput output() {
        return output;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized void set(boolean on) {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        drive(on);
    }

    private void drive(boolean on) {
        try {
            output.state(on ? DigitalState.HIGH : DigitalState.LOW);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Pi4J " + owner.providerLabel() + " provider could not drive " + name
                    + (on ? " on" : " off") + ": " + Pi4jContexts.causes(e), e);
        }
    }

    @Override
    public synchronized boolean isOn() {
        try {
            return output.state() == DigitalState.HIGH;
        } catch (RuntimeException e) {
            throw new IllegalStateException("Pi4J " + owner.providerLabel() + " provider could not read " + name + ": "
                    + Pi4jContexts.causes(e), e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            drive(false);
        } finally {
            owner.release(this);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
