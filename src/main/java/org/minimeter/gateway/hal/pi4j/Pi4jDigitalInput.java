package org.minimeter.gateway.hal.pi4j;

import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.io.gpio.digital.DigitalStateChangeEvent;
import com.pi4j.io.gpio.digital.DigitalStateChangeListener;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.minimeter.gateway.hal.DigitalInput;

/**
 * One Pi4J digital input, typically a converter's active-low DRDY. Waiting for it parks the
 * caller until Pi4J reports a falling edge (gpiod delivers the kernel's edge events on Pi4J's
 * listener thread; the mock delivers them on the thread that sets its state) or the timeout
 * passes: no polling, so a driver waiting 125 us per sample at 8 kHz costs no CPU while it waits.
 */
final class Pi4jDigitalInput implements DigitalInput {

    private final String name;
    private final int pin;
    private final com.pi4j.io.gpio.digital.DigitalInput input;
    private final String providerLabel;
    private final Runnable release;
    private final DigitalStateChangeListener listener = this::onChange;

    // Counts falling edges; a waiter notes the count, checks the level, then waits for the
    // count to move. An edge between the note and the wait is therefore never lost, and any
    // number of threads may wait at once.
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wentLow = lock.newCondition();
    private long lowEdges;
    private boolean closed;

    Pi4jDigitalInput(String role, int pin, com.pi4j.io.gpio.digital.DigitalInput input, String providerLabel,
            Runnable release) {
        this.name = role + " (GPIO " + pin + ")";
        this.pin = pin;
        this.input = input;
        this.providerLabel = providerLabel;
        this.release = release;
        input.addListener(listener);
    }

    /** Pi4J's input, for tests that drive the mock provider's side of the line. */
    com.pi4j.io.gpio.digital.DigitalInput pi4jInput() {
        return input;
    }

    int pin() {
        return pin;
    }

    /** True while a thread is parked in {@link #awaitLow}: lets a test set the level only then. */
    boolean hasWaiter() {
        lock.lock();
        try {
            return lock.hasWaiters(wentLow);
        } finally {
            lock.unlock();
        }
    }

    private void onChange(DigitalStateChangeEvent<?> event) {
        if (event.state() != DigitalState.LOW) {
            return;
        }
        lock.lock();
        try {
            lowEdges++;
            wentLow.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean isHigh() {
        return state() == DigitalState.HIGH;
    }

    private DigitalState state() {
        try {
            return input.state();
        } catch (RuntimeException e) {
            throw new IllegalStateException("Pi4J " + providerLabel + " provider could not read " + name + ": "
                    + Pi4jContexts.causes(e), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Returns false at once if the input is closed, or becomes closed while waiting: the
     * driver's loop then ends as on a timeout.
     */
    @Override
    public boolean awaitLow(long timeoutNanos) throws InterruptedException {
        long seen;
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            seen = lowEdges;
        } finally {
            lock.unlock();
        }
        // Read outside the lock: Pi4J's listener thread must never wait on a gpiod read.
        if (state() == DigitalState.LOW) {
            return true;
        }
        lock.lockInterruptibly();
        try {
            long nanos = timeoutNanos;
            while (lowEdges == seen && !closed) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = wentLow.awaitNanos(nanos);
            }
            return lowEdges != seen;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            wentLow.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            input.removeListener(listener);
        } finally {
            release.run();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
