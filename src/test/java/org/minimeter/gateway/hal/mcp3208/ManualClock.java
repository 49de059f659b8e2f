package org.minimeter.gateway.hal.mcp3208;

import org.minimeter.gateway.hal.MonotonicClock;

/** Virtual time: sleeping jumps to the deadline, transfers and conversions advance it. */
public final class ManualClock implements MonotonicClock {

    private long now;

    public ManualClock(long start) {
        this.now = start;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public void sleepUntil(long deadline) {
        now = Math.max(now, deadline);
    }

    public void advance(long nanos) {
        now += nanos;
    }

    public void set(long nanos) {
        now = nanos;
    }
}
