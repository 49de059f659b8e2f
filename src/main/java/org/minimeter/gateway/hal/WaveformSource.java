package org.minimeter.gateway.hal;

import org.minimeter.gateway.metering.SampleBlock;

/**
 * The hardware boundary for line voltage and CT signals: a stream of contiguous sample
 * blocks. Implementations: the simulator (default, and the fake in tests) and hardware front
 * ends. A source signals lost samples by a jump in {@link SampleBlock#firstIndex()}.
 */
public interface WaveformSource extends AutoCloseable {

    /** Short name for logs, e.g. {@code simulator}. */
    String name();

    FrontEnd frontEnd();

    /** Samples per block this source delivers (the block capacity it needs). */
    int blockSize();

    /**
     * Fills {@code block} with the next samples, waiting until they exist. Called from the
     * sampling thread only.
     */
    void read(SampleBlock block) throws InterruptedException;

    @Override
    void close();
}
