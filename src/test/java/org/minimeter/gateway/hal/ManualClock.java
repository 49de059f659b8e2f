package org.minimeter.gateway.hal;

/**
 * Virtual time for tests: it moves only when told to, or when something sleeps (the sleep
 * jumps to its deadline), so pacing and timeouts are tested without waiting.
 */
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

    public static long ms(long millis) {
        return millis * 1_000_000L;
    }
}
