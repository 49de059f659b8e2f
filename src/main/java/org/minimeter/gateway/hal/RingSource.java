package org.minimeter.gateway.hal;

import java.util.Arrays;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * A front end that acquires on a thread of its own, at the chip's pace, and hands blocks to
 * the sampling scheduler through a {@link BlockRing}: the acquisition never waits for the
 * metering and the scheduler never waits for the chip. The chip's protocol, its faults and
 * its counters stay in the subclass; what is here is the same for every such chip.
 */
public abstract class RingSource implements WaveformSource {

    protected final MonotonicClock clock;
    protected final BlockRing ring;
    /** One block's duration at the sample rate. */
    protected final double blockNanos;
    private final FrontEnd frontEnd;
    private final int blockSize;
    private final int[] lastCode;
    private final int[] sameRun;

    // acquisition-thread state
    private long samples;
    private long dropped;
    private long publishedSeen;

    /** When the producer last published a block: the consumer's schedule follows it. */
    private volatile long lastPublishNanos;

    private volatile boolean running;
    private Thread thread;

    /** Channels are V then I of each element of {@code frontEnd}. */
    protected RingSource(FrontEnd frontEnd, int blockSize, int ringBlocks, MonotonicClock clock) {
        int channels = 2 * frontEnd.elements();
        this.clock = clock;
        this.frontEnd = frontEnd;
        this.blockSize = blockSize;
        this.ring = new BlockRing(channels, blockSize, ringBlocks);
        this.blockNanos = blockSize * 1e9 / frontEnd.sampleRate();
        this.lastCode = new int[channels];
        this.sameRun = new int[channels];
        // No converter returns this code, so the first sample never counts towards a stuck run.
        Arrays.fill(lastCode, Integer.MIN_VALUE);
        this.lastPublishNanos = clock.nanoTime();
    }

    /**
     * Runs {@code n} sample periods (or conversions) on the calling thread: the body of the
     * acquisition thread, and what tests and benchmarks drive. Never throws for a fault of the
     * chip or bus.
     */
    public abstract void acquire(long n) throws InterruptedException;

    /** Records a fault of the acquisition (rate-limited logging is the chip's choice). */
    protected abstract void fault(String what);

    @Override
    public final FrontEnd frontEnd() {
        return frontEnd;
    }

    @Override
    public final int blockSize() {
        return blockSize;
    }

    /**
     * Now if a block is waiting, else one block after the producer last published one; if the
     * producer is overdue (a stalled bus), a quarter block from now, so the scheduler neither
     * spins nor sleeps through the recovery.
     */
    @Override
    public final long nextBlockNanos() {
        long now = clock.nanoTime();
        if (ring.backlog() > 0) {
            return now;
        }
        long next = lastPublishNanos + (long) blockNanos;
        return next - now > 0 ? next : now + (long) (blockNanos / 4);
    }

    @Override
    public final boolean poll(SampleBlock block, long nowNanos) {
        return ring.take(block, frontEnd.sampleRate());
    }

    /**
     * Producer: hands one sample period (all channels) to the ring, counted as a sample, or as
     * dropped when the ring is full because the metering fell a whole ring behind.
     */
    protected final void deliver(long index, double[] sample) {
        if (ring.append(index, sample)) {
            samples++;
        } else {
            dropped++;
        }
        if (ring.published() != publishedSeen) {
            publishedSeen = ring.published();
            lastPublishNanos = clock.nanoTime();
        }
    }

    /** Sample periods delivered to the ring so far. */
    protected final long samples() {
        return samples;
    }

    /** Sample periods dropped because the ring was full. */
    protected final long droppedSamples() {
        return dropped;
    }

    /**
     * Producer: follows channel {@code k}'s code, true once per block-long run of the same code.
     * A real input always carries some noise, so such a run is a dead channel; why the noise
     * must be there is the chip's to say, at the call.
     */
    protected final boolean stuck(int k, int code) {
        if (code != lastCode[k]) {
            lastCode[k] = code;
            sameRun[k] = 0;
            return false;
        }
        if (++sameRun[k] == blockSize) {
            sameRun[k] = 0;
            return true;
        }
        return false;
    }

    /**
     * Starts the acquisition thread: one per chip, at top priority, since sampling is hardware
     * real time and must not queue behind other meters' work.
     */
    protected final void startAcquisition(String threadName) {
        running = true;
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                // One block's worth at a time, so the stats refresh at the block rate.
                acquire(blockSize);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException ex) {
                // A bug or an unexpected transport exception: the loop must outlive it.
                fault("acquisition loop: " + ex);
            }
        }
    }

    /** Stops the acquisition thread, if one was started, before the chip's devices close. */
    protected final void stopAcquisition() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(1000);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
