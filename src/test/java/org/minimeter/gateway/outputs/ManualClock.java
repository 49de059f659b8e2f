package org.minimeter.gateway.outputs;

import org.minimeter.gateway.hal.MonotonicClock;

/** A clock that moves only when told to. */
final class ManualClock implements MonotonicClock {
    long now = 1_000_000_000L;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public void sleepUntil(long deadline) {
        now = Math.max(now, deadline);
    }

    static long ms(long millis) {
        return millis * 1_000_000L;
    }
}
