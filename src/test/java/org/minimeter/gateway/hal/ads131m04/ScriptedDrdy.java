package org.minimeter.gateway.hal.ads131m04;

import java.util.ArrayDeque;
import java.util.Deque;
import org.minimeter.gateway.hal.DigitalInput;
import org.minimeter.gateway.hal.ManualClock;

/**
 * DRDY as a script: each wait falls after one data period (advancing the clock by it) unless
 * a timeout was scripted, which advances the clock by the timeout.
 */
final class ScriptedDrdy implements DigitalInput {

    private final ManualClock clock;
    private final long periodNanos;
    private final Deque<Boolean> script = new ArrayDeque<>();

    ScriptedDrdy(ManualClock clock, long periodNanos) {
        this.clock = clock;
        this.periodNanos = periodNanos;
    }

    ScriptedDrdy timeouts(int n) {
        for (int i = 0; i < n; i++) {
            script.add(false);
        }
        return this;
    }

    @Override
    public String name() {
        return "DRDY (scripted)";
    }

    @Override
    public boolean isHigh() {
        return true;
    }

    @Override
    public boolean awaitLow(long timeoutNanos) {
        Boolean falls = script.poll();
        if (falls != null && !falls) {
            clock.advance(timeoutNanos);
            return false;
        }
        clock.advance(periodNanos);
        return true;
    }

    @Override
    public void close() {
    }
}
