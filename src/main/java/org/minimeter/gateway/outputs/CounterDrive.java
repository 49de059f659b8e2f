package org.minimeter.gateway.outputs;

import java.util.concurrent.atomic.AtomicLong;
import org.minimeter.gateway.hal.DigitalLine;

/**
 * Drive for a 12 V electromechanical counter: one fixed-width pulse (coil on, then a rest)
 * per counter quantum. The counter cannot follow fast edges, so steps it is owed wait in a
 * backlog that is persisted with the register and never dropped; the step being driven
 * stays in the backlog until its coil pulse ends, so a restart mid-pulse drives it again.
 */
final class CounterDrive {

    private final DigitalLine line;
    private final long onNanos;
    private final long offNanos;
    private final AtomicLong backlog;
    private boolean energised;
    private long phaseEndNanos = Long.MIN_VALUE;
    private long driven;
    private long faults;

    CounterDrive(DigitalLine line, long onNanos, long offNanos, long backlog) {
        this.line = line;
        this.onNanos = onNanos;
        this.offNanos = offNanos;
        this.backlog = new AtomicLong(backlog);
        line.set(false);
    }

    /** Adds steps (from the durable register): safe from any thread. */
    void add(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("cannot take steps back from a counter");
        }
        backlog.addAndGet(steps);
    }

    long backlog() {
        return backlog.get();
    }

    long driven() {
        return driven;
    }

    long faults() {
        return faults;
    }

    /** Drives what is due; returns when it next needs to run (MAX_VALUE: idle). */
    long step(long nowNanos) {
        if (energised) {
            if (nowNanos < phaseEndNanos) {
                return phaseEndNanos;
            }
            if (!drive(false)) {
                faults++;
                return nowNanos + offNanos;
            }
            energised = false;
            backlog.decrementAndGet();
            driven++;
            phaseEndNanos = nowNanos + offNanos;
        }
        if (nowNanos < phaseEndNanos) {
            return phaseEndNanos;
        }
        if (backlog.get() > 0) {
            if (!drive(true)) {
                faults++;
                return nowNanos + offNanos;
            }
            energised = true;
            phaseEndNanos = nowNanos + onNanos;
            return phaseEndNanos;
        }
        return Long.MAX_VALUE;
    }

    private boolean drive(boolean want) {
        return Lines.drive(line, want);
    }

    boolean lineOn() {
        return line.isOn();
    }

    void off() {
        line.close();
    }
}
