package org.minimeter.gateway.hal;

import java.util.concurrent.atomic.AtomicLong;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * Single-producer single-consumer ring of sample blocks between a chip's acquisition thread
 * (which must never wait for the metering) and the sampling scheduler's non-blocking poll.
 *
 * <p>When the ring is full the newest samples are dropped, never a block the consumer may be
 * reading: the consumer then sees a jump in {@link SampleBlock#firstIndex()}, which the
 * metering counts as dropped samples. A gap in the producer's indices (a failed conversion,
 * a late wake-up) closes the block in progress, since a block holds contiguous samples.
 *
 * <p>Channels are V then I of each element, as in {@link SampleBlock}. Raw units are signed
 * codes around the converter's mid-scale.
 */
public final class BlockRing {

    private final int channels;
    private final int blockSize;
    private final int slots;
    private final double[][][] data;
    private final long[] first;
    private final int[] length;
    /** Blocks published by the producer; volatile write after the slot is complete. */
    private final AtomicLong published = new AtomicLong();
    /** Blocks taken by the consumer; the producer reuses a slot only after this passes it. */
    private final AtomicLong consumed = new AtomicLong();

    // producer state
    private int open = -1;
    private long openFirst;
    private int fill;

    public BlockRing(int channels, int blockSize, int slots) {
        this.channels = channels;
        this.blockSize = blockSize;
        this.slots = slots;
        this.data = new double[slots][channels][blockSize];
        this.first = new long[slots];
        this.length = new int[slots];
    }

    public int blockSize() {
        return blockSize;
    }

    /**
     * Producer: appends the sample with index {@code index} (all channels).
     *
     * @return false if the ring was full and the sample was dropped
     */
    public boolean append(long index, double[] sample) {
        if (open >= 0 && openFirst + fill != index) {
            close();
        }
        if (open < 0) {
            long p = published.get();
            if (p - consumed.get() >= slots) {
                return false;
            }
            open = (int) (p % slots);
            openFirst = index;
            fill = 0;
        }
        double[][] slot = data[open];
        for (int c = 0; c < channels; c++) {
            slot[c][fill] = sample[c];
        }
        if (++fill == blockSize) {
            close();
        }
        return true;
    }

    /** Producer: publishes the block in progress, however short (before a known gap). */
    public void close() {
        if (open < 0) {
            return;
        }
        first[open] = openFirst;
        length[open] = fill;
        open = -1;
        published.incrementAndGet();
    }

    /** Consumer: copies the oldest complete block into {@code block}; false if none is ready. */
    public boolean take(SampleBlock block, double sampleRate) {
        long c = consumed.get();
        if (c >= published.get()) {
            return false;
        }
        int s = (int) (c % slots);
        int n = length[s];
        double[][] slot = data[s];
        for (int e = 0; e < block.elements(); e++) {
            System.arraycopy(slot[2 * e], 0, block.voltage(e), 0, n);
            System.arraycopy(slot[2 * e + 1], 0, block.current(e), 0, n);
        }
        block.set(first[s], n, sampleRate);
        consumed.set(c + 1);
        return true;
    }

    /** Blocks published so far. */
    public long published() {
        return published.get();
    }

    /** Blocks waiting for the consumer. */
    public int backlog() {
        return (int) (published.get() - consumed.get());
    }
}
