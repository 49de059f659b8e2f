package org.minimeter.gateway.hal.simulator;

import java.nio.file.Files;
import java.nio.file.Path;
import org.minimeter.gateway.hal.ForwardingSource;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * A source that goes silent while a file exists: a simulated unplugged or stalled ADC, so
 * that a test or a demonstration can make one meter's source fail from outside the process
 * ({@code simulator.fault-file}). The samples produced meanwhile are discarded, as a real
 * front end's would be lost, so the metering sees the gap when the file goes away.
 */
public final class FaultFileSource extends ForwardingSource {

    /** The file is looked at no more often than this: a stat per block per meter adds up. */
    private static final long CHECK_NANOS = 200_000_000L;

    private final Path file;
    private long checkedAt;
    private boolean checked;
    private boolean faulted;

    public FaultFileSource(WaveformSource inner, Path file) {
        super(inner);
        this.file = file;
    }

    @Override
    public boolean poll(SampleBlock block, long nowNanos) {
        if (!checked || nowNanos - checkedAt >= CHECK_NANOS) {
            faulted = Files.exists(file);
            checked = true;
            checkedAt = nowNanos;
        }
        boolean filled = inner.poll(block, nowNanos);
        return filled && !faulted;
    }
}
