package org.minimeter.gateway.outputs;

import org.minimeter.gateway.hal.DigitalLine;

/**
 * One pulse output (10, 100 or 1000 Wh per pulse) following the live delivered register.
 *
 * <p>Its state is a pure function of the register: on while (E mod Q) < Q/2, i.e. on for
 * even half-quanta h = floor(2E / Q). The line walks h one edge at a time, each edge held at
 * least the dwell time; edges the register asks for faster than that wait in order (the
 * count of half-quanta not yet shown is the queue) and are never dropped.
 */
final class PulseOutput {

    final String name;
    private final long halfQuantumMicroWh;
    private final long dwellNanos;
    private final DigitalLine line;
    private long target;
    private long shown;
    private long lastEdgeNanos;
    private long faults;
    private final long shownAtStart;

    PulseOutput(String name, long wh, long dwellNanos, DigitalLine line, long deliveredMicroWh, long nowNanos) {
        this.name = name;
        this.halfQuantumMicroWh = wh * 500_000L;
        this.dwellNanos = dwellNanos;
        this.line = line;
        this.target = deliveredMicroWh / halfQuantumMicroWh;
        this.shown = target;
        this.shownAtStart = shown;
        this.lastEdgeNanos = nowNanos - dwellNanos;
        line.set(isOn(shown));
        if (line.isOn() != isOn(shown)) {
            faults++;
        }
    }

    static boolean isOn(long halfQuanta) {
        return halfQuanta % 2 == 0;
    }

    /** Drives the edges that are due; returns when it next needs to run (MAX_VALUE: idle). */
    long step(long nowNanos, long deliveredMicroWh) {
        target = Math.max(target, deliveredMicroWh / halfQuantumMicroWh);
        while (shown < target) {
            if (nowNanos - lastEdgeNanos < dwellNanos) {
                return lastEdgeNanos + dwellNanos;
            }
            boolean want = isOn(shown + 1);
            if (!drive(want)) {
                // The line did not take the state: count it and try again after a dwell.
                faults++;
                lastEdgeNanos = nowNanos;
                return nowNanos + Math.max(dwellNanos, 1_000_000L);
            }
            shown++;
            lastEdgeNanos = nowNanos;
        }
        return Long.MAX_VALUE;
    }

    private boolean drive(boolean want) {
        return Lines.drive(line, want);
    }

    /** Edges the register has asked for that the line has not shown yet. */
    long queuedEdges() {
        return target - shown;
    }

    /** Whole pulses (on half then off half, ending at a multiple of Q) shown since start. */
    long pulsesShown() {
        return shown / 2 - shownAtStart / 2;
    }

    long faults() {
        return faults;
    }

    boolean lineOn() {
        return line.isOn();
    }

    void off() {
        line.close();
    }
}
