package org.minimeter.gateway.hal.replay;

import java.nio.file.Path;
import java.util.Arrays;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.ChannelCalibration;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * Records a waveform source's blocks to a 32-bit float WAV file that {@link ReplaySource}
 * replays to the same samples without any {@code replay.scale.*}.
 *
 * <p>Each raw sample is converted to line volts or primary amps with its channel's gain, then
 * stored as a fraction of the channel's full scale. For a converter that saturates the full
 * scale is its clip level times its gain, so a sample at the clip level is 1.0 and the replay
 * sees it clipped, as the live meter did; for an ideal source (no clip level) the scale is 1
 * and the floats are the physical values. The scales, whether full scale clips, and each
 * channel's delay go into the {@code mmgw} chunk (see {@link WavMetadata}). A float32 keeps
 * 24 significant bits: 6e-8 of the value, far below a 12- to 24-bit converter's step.
 */
public final class WavCapture implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WavCapture.class);

    /** What a capture wrote. */
    public record Summary(Path file, long samples, double sampleRate, int channels, double[] scales, long gaps,
            boolean sourceEnded) {

        public double seconds() {
            return samples / sampleRate;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%s: %d samples (%.3f s) at %s Hz, %d channels, scales %s%s%s",
                    file, samples, seconds(), sampleRate, channels, Arrays.toString(scales),
                    gaps > 0 ? ", " + gaps + " gap(s) joined" : "", sourceEnded ? ", source ended" : "");
        }
    }

    private final Path file;
    private final FrontEnd frontEnd;
    private final int channels;
    private final double[] gain;
    private final double[] scale;
    private final double[] frame;
    private final WavWriter writer;
    private long samples;
    private long expectedIndex = -1;
    private long gaps;

    private WavCapture(Path file, FrontEnd frontEnd) {
        this.file = file;
        this.frontEnd = frontEnd;
        this.channels = 2 * frontEnd.elements();
        this.gain = new double[channels];
        this.scale = new double[channels];
        double[] delay = new double[channels];
        boolean clips = true;
        for (int c = 0; c < channels; c++) {
            var el = frontEnd.calibration().get(c / 2);
            ChannelCalibration ch = c % 2 == 0 ? el.voltage() : el.current();
            gain[c] = ch.gain();
            delay[c] = ch.delayMicros();
            clips &= Double.isFinite(ch.clipLevel());
        }
        for (int c = 0; c < channels; c++) {
            var el = frontEnd.calibration().get(c / 2);
            ChannelCalibration ch = c % 2 == 0 ? el.voltage() : el.current();
            scale[c] = clips ? ch.clipLevel() * ch.gain() : 1;
        }
        this.frame = new double[channels];
        if (frontEnd.sampleRate() != Math.rint(frontEnd.sampleRate())) {
            throw new IllegalArgumentException("a WAV header holds a whole number of samples per second, the source has "
                    + frontEnd.sampleRate());
        }
        this.writer = new WavWriter(file, WavSampleReader.IEEE_FLOAT, 32, channels, (int) frontEnd.sampleRate(),
                WavMetadata.encode(scale, clips, delay));
    }

    /** Starts a capture of blocks from a source with this front end. */
    public static WavCapture create(Path file, FrontEnd frontEnd) {
        return new WavCapture(file, frontEnd);
    }

    /** Appends the block's samples. A jump in the sample index is counted: WAV has no gaps. */
    public void write(SampleBlock block) {
        write(block, block.length());
    }

    /** Appends the first {@code length} samples of the block. */
    public void write(SampleBlock block, int length) {
        if (expectedIndex >= 0 && block.firstIndex() != expectedIndex) {
            gaps++;
            LOG.warnf("capture %s: samples %d to %d lost by the source; the file joins across the gap", file,
                    expectedIndex, block.firstIndex() - 1);
        }
        expectedIndex = block.firstIndex() + block.length();
        for (int k = 0; k < length; k++) {
            for (int e = 0; e < channels / 2; e++) {
                frame[2 * e] = block.voltage(e)[k] * gain[2 * e] / scale[2 * e];
                frame[2 * e + 1] = block.current(e)[k] * gain[2 * e + 1] / scale[2 * e + 1];
            }
            writer.frame(frame);
        }
        samples += length;
    }

    public long samples() {
        return samples;
    }

    /** Volts or amps at full scale per channel, as written to the metadata. */
    public double[] scales() {
        return scale.clone();
    }

    public Summary summary(boolean sourceEnded) {
        return new Summary(file, samples, frontEnd.sampleRate(), channels, scales(), gaps, sourceEnded);
    }

    @Override
    public void close() {
        writer.close();
    }

    /**
     * Records {@code seconds} of {@code source} to {@code file}, or until the source ends.
     *
     * @param paced true to take blocks as the source makes them ready on {@code clock} (a live
     *     front end); false to take each block as soon as the source will give it (a simulator or
     *     a recording: as fast as the disk allows)
     * @throws InterruptedException if interrupted while waiting for a paced source
     */
    public static Summary record(WaveformSource source, Path file, double seconds, boolean paced, MonotonicClock clock)
            throws InterruptedException {
        FrontEnd fe = source.frontEnd();
        long target = Math.round(seconds * fe.sampleRate());
        SampleBlock block = new SampleBlock(fe.elements(), source.blockSize());
        boolean ended = false;
        try (WavCapture capture = create(file, fe)) {
            while (capture.samples() < target) {
                // Unpaced: ask at the block's own due time, so it is always ready if it exists.
                long now = paced ? clock.nanoTime() : source.nextBlockNanos();
                if (source.poll(block, now)) {
                    capture.write(block, (int) Math.min(block.length(), target - capture.samples()));
                } else if (source.ended()) {
                    ended = true;
                    break;
                } else {
                    // A front end not ready yet: wait for its due time, at least 1 ms so that a
                    // stalled source with a due time in the past is not spun on.
                    clock.sleepUntil(Math.max(source.nextBlockNanos(), clock.nanoTime() + 1_000_000));
                }
            }
            Summary s = capture.summary(ended || source.ended());
            LOG.infof("captured %s from %s", s, source.name());
            return s;
        }
    }
}
