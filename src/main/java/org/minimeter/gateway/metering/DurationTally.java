package org.minimeter.gateway.metering;

import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * How long something took, summed: how many times, the total and the longest, in
 * nanoseconds. Recording is a few uncontended adds with no lock and no allocation, so the
 * sampling threads, the register saver and the MQTT client's callback threads can all record
 * while the metrics read it from elsewhere. It lives here, the package every layer may
 * import, so persistence and app count their latencies the same way.
 *
 * <p>The three values are read one at a time, not as one snapshot: a reader may see a
 * count one ahead of its total. That is harmless for a mean over many events.
 */
public final class DurationTally {

    private final LongAdder count = new LongAdder();
    private final LongAdder totalNanos = new LongAdder();
    private final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);

    /** One event that took {@code nanos}. */
    public void record(long nanos) {
        record(1, nanos);
    }

    /**
     * {@code events} events that took {@code nanos} together (a turn that metered several
     * blocks): the longest is taken as their mean, since they were not timed one by one.
     */
    public void record(long events, long nanos) {
        if (events <= 0) {
            return;
        }
        long n = Math.max(0, nanos);
        count.add(events);
        totalNanos.add(n);
        maxNanos.accumulate(n / events);
    }

    public long count() {
        return count.sum();
    }

    public long totalNanos() {
        return totalNanos.sum();
    }

    /** The longest single event since this tally was made (0 before the first). */
    public long maxNanos() {
        return maxNanos.get();
    }
}
