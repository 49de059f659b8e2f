package org.minimeter.gateway.hal;

import org.minimeter.gateway.metering.SampleBlock;

/**
 * The hardware boundary for line voltage and CT signals: a stream of contiguous sample
 * blocks. Implementations: the simulator (default, and the fake in tests) and hardware front
 * ends. A source signals lost samples by a jump in {@link SampleBlock#firstIndex()}.
 *
 * <p>A source never blocks its caller: many meters share a few sampling threads, so a source
 * says when its next block is due and hands it over only when it is there. A front end that
 * acquires on its own clock (a DRDY interrupt, a DMA ring) buffers between the two calls.
 */
public interface WaveformSource extends AutoCloseable {

    /** Short name for logs, e.g. {@code simulator}. */
    String name();

    FrontEnd frontEnd();

    /** Samples per block this source delivers (the block capacity it needs). */
    int blockSize();

    /**
     * The monotonic time ({@link MonotonicClock#nanoTime()}) at which the next block is
     * expected to be ready: the sampling scheduler comes back then.
     */
    long nextBlockNanos();

    /**
     * Fills {@code block} with the next samples if they are ready at {@code nowNanos}, without
     * waiting. Called by one sampling thread at a time.
     *
     * @return true if the block was filled, false if nothing is ready yet (or the source is
     *     stalled: a front end that stops delivering is detected by its caller's timeout)
     * @throws RuntimeException when the front end failed (an I/O error): counted and alarmed by
     *     the caller, which retries later
     */
    boolean poll(SampleBlock block, long nowNanos);

    /**
     * Faults the front end has counted so far (SPI errors, CRC errors, data-ready timeouts,
     * chip resets, stuck channels): the meter raises {@code front_end_fault} while it grows.
     */
    default long faults() {
        return 0;
    }

    /** The latest fault's description, or empty. */
    default String lastFault() {
        return "";
    }

    /**
     * True once a finite source (a recording replayed without loop) has delivered its last
     * block: the meter keeps its register and reports that its source has ended.
     */
    default boolean ended() {
        return false;
    }

    @Override
    void close();
}
