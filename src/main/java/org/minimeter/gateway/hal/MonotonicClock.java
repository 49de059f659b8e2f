package org.minimeter.gateway.hal;

import java.util.concurrent.locks.LockSupport;

/** Time for pacing and scheduling; injectable so that tests need not wait in real time. */
public interface MonotonicClock {

    long nanoTime();

    /** Waits until {@link #nanoTime()} reaches {@code deadline}. */
    void sleepUntil(long deadline) throws InterruptedException;

    MonotonicClock SYSTEM = new MonotonicClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleepUntil(long deadline) throws InterruptedException {
            long wait;
            while ((wait = deadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }
    };
}
