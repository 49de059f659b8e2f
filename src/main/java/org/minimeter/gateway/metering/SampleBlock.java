package org.minimeter.gateway.metering;

/**
 * A block of simultaneous samples from the front end: voltage and current per element, in raw
 * ADC units (signed; any residual DC offset is removed by the metering).
 *
 * <p>The buffer is reused: a source fills it, the metering reads it, and nobody keeps a
 * reference in between, so the sampling path allocates nothing per block.
 */
public final class SampleBlock {

    private final int elements;
    private final double[][] voltage;
    private final double[][] current;
    private long firstIndex;
    private int length;
    private double sampleRate;

    public SampleBlock(int elements, int capacity) {
        if (elements < 1 || elements > 2) {
            throw new IllegalArgumentException("elements must be 1 or 2, was " + elements);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        this.elements = elements;
        this.voltage = new double[elements][capacity];
        this.current = new double[elements][capacity];
    }

    /** Declares what the arrays now hold: {@code length} samples starting at {@code firstIndex}. */
    public void set(long firstIndex, int length, double sampleRate) {
        this.firstIndex = firstIndex;
        this.length = length;
        this.sampleRate = sampleRate;
    }

    public int elements() {
        return elements;
    }

    public int capacity() {
        return voltage[0].length;
    }

    /** Index of the first sample since the source started; consecutive blocks are contiguous. */
    public long firstIndex() {
        return firstIndex;
    }

    public int length() {
        return length;
    }

    public double sampleRate() {
        return sampleRate;
    }

    /** Voltage samples of element {@code e} (0-based); valid up to {@link #length()}. */
    public double[] voltage(int e) {
        return voltage[e];
    }

    /** Current samples of element {@code e} (0-based); valid up to {@link #length()}. */
    public double[] current(int e) {
        return current[e];
    }
}
