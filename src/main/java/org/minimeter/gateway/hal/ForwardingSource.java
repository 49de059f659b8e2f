package org.minimeter.gateway.hal;

import org.minimeter.gateway.metering.SampleBlock;

/** A source that passes everything to another one: the base of sources that add a behaviour. */
public abstract class ForwardingSource implements WaveformSource {

    protected final WaveformSource inner;

    protected ForwardingSource(WaveformSource inner) {
        this.inner = inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public FrontEnd frontEnd() {
        return inner.frontEnd();
    }

    @Override
    public int blockSize() {
        return inner.blockSize();
    }

    @Override
    public long nextBlockNanos() {
        return inner.nextBlockNanos();
    }

    @Override
    public boolean poll(SampleBlock block, long nowNanos) {
        return inner.poll(block, nowNanos);
    }

    @Override
    public long faults() {
        return inner.faults();
    }

    @Override
    public String lastFault() {
        return inner.lastFault();
    }

    @Override
    public void close() {
        inner.close();
    }
}
