package org.minimeter.gateway.hal.replay;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.ChannelCalibration;
import org.minimeter.gateway.metering.ElementCalibration;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * Replays a CSV or WAV recording (SPEC.md section 6) as a waveform source, paced at
 * {@code replay.speed} recorded seconds per wall-clock second, looping or ending.
 *
 * <p>Raw units are physical units: line volts and CT primary amps, so every channel's gain is
 * 1. The clip level is the file's full scale where the file knows one (an integer WAV's
 * largest code, a capture of a converter that saturates), otherwise none; the channel delays
 * are those the capture recorded (WAV metadata, CSV {@code # delay.i1=} comments) or
 * {@code replay.delay.*}.
 *
 * <p>A malformed file is refused by {@link #open} with a {@link ReplayFileException}; nothing
 * is read into memory beyond one block. {@link #poll} reads the next block from the file
 * (that read is the block's data, as an SPI transfer is a front end's) but never waits.
 */
public final class ReplaySource implements WaveformSource {

    private static final Logger LOG = Logger.getLogger(ReplaySource.class);

    private final ReplaySettings settings;
    private final MonotonicClock clock;
    private final SampleReader reader;
    private final FrontEnd frontEnd;
    private final int elements;
    private final int blockSize;
    private final double blockNanos;
    private final double[][] scratch;
    private long nextIndex;
    private long startNanos = -1;
    private long positionInFile;
    private boolean ended;

    private ReplaySource(ReplaySettings settings, MonotonicClock clock, SampleReader reader) {
        this.settings = settings;
        this.clock = clock;
        this.reader = reader;
        this.elements = reader.channels() / 2;
        double rate = reader.sampleRate();
        this.blockSize = settings.blockSize() > 0 ? settings.blockSize() : (int) Math.max(1, Math.round(rate / 20));
        List<ElementCalibration> cal = new ArrayList<>();
        for (int e = 0; e < elements; e++) {
            cal.add(new ElementCalibration(channel(2 * e), channel(2 * e + 1)));
        }
        this.frontEnd = new FrontEnd(rate, cal);
        this.blockNanos = blockSize / rate * 1e9 / settings.speed();
        this.scratch = new double[reader.channels()][];
    }

    private ChannelCalibration channel(int c) {
        return new ChannelCalibration(1, reader.delayMicros(c), reader.clipLevel(c));
    }

    /**
     * Opens and validates the recording.
     *
     * @throws ReplayFileException when the file is malformed or does not fit the settings
     * @throws UncheckedIOException when the file cannot be read at all
     */
    public static ReplaySource open(ReplaySettings settings, MonotonicClock clock) {
        Path file = settings.file();
        SampleReader reader = isWav(file)
                ? WavSampleReader.open(file, settings.rate(), settings.scales(), settings.delayMicros())
                : CsvSampleReader.open(file, settings.rate(), settings.delayMicros());
        try {
            if (settings.elements() != 0 && settings.elements() != reader.channels() / 2) {
                throw new ReplayFileException(file, "", "wrong channel count: the file has " + reader.channels()
                        + " channels (" + reader.channels() / 2 + " element(s)) but the meter has " + settings.elements()
                        + " element(s)");
            }
            ReplaySource source = new ReplaySource(settings, clock, reader);
            LOG.infof("replay %s: %s, %s Hz, %d channels, %d samples (%.1f s), speed %s, loop %s, clip %s, delays us %s",
                    file, reader.format(), fmt(reader.sampleRate()), reader.channels(), reader.frames(),
                    reader.frames() / reader.sampleRate(), fmt(settings.speed()), settings.loop(), levels(reader, true),
                    levels(reader, false));
            return source;
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static String levels(SampleReader r, boolean clip) {
        double[] v = new double[r.channels()];
        for (int c = 0; c < v.length; c++) {
            v[c] = clip ? r.clipLevel(c) : r.delayMicros(c);
        }
        return Arrays.toString(v);
    }

    /** A WAV file by its RIFF magic; anything else is read as CSV. */
    static boolean isWav(Path file) {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(magic, 0, 4);
            if (n == 4 && magic[0] == 'R' && magic[1] == 'I' && magic[2] == 'F' && magic[3] == 'F') {
                return true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open replay file " + file + ": " + e.getMessage(), e);
        }
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".wav");
    }

    public ReplaySettings settings() {
        return settings;
    }

    /** Samples in one pass of the file. */
    public long fileSamples() {
        return reader.frames();
    }

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public FrontEnd frontEnd() {
        return frontEnd;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    /** Blocks are due at {@code replay.speed} recorded seconds per wall-clock second. */
    @Override
    public long nextBlockNanos() {
        if (startNanos < 0) {
            startNanos = clock.nanoTime();
        }
        long blocksSoFar = (nextIndex + blockSize - 1) / blockSize;
        return startNanos + (long) ((blocksSoFar + 1) * blockNanos);
    }

    @Override
    public boolean poll(SampleBlock block, long nowNanos) {
        if (ended || nowNanos - nextBlockNanos() < 0) {
            return false;
        }
        return fill(block);
    }

    /**
     * Reads the next block at once, without pacing (tests, capture, conversion).
     *
     * @return false once the file has ended (without loop)
     */
    public boolean fill(SampleBlock block) {
        if (ended) {
            return false;
        }
        if (block.elements() != elements) {
            throw new IllegalArgumentException("block has " + block.elements() + " elements, the recording " + elements);
        }
        for (int e = 0; e < elements; e++) {
            scratch[2 * e] = block.voltage(e);
            scratch[2 * e + 1] = block.current(e);
        }
        int want = Math.min(block.capacity(), blockSize);
        int n = 0;
        while (n < want) {
            int got = reader.read(scratch, n, want - n);
            positionInFile += got;
            n += got;
            if (positionInFile >= reader.frames()) {
                if (!settings.loop()) {
                    ended = true;
                    break;
                }
                // The recording goes on from its first sample with the index still counting:
                // the metering sees one contiguous signal (a step at the seam, not a gap).
                reader.rewind();
                positionInFile = 0;
            } else if (got == 0) {
                throw new UncheckedIOException("replay file " + reader.file() + " ended at sample " + positionInFile
                        + " of " + reader.frames(), new IOException("file shortened since it was opened"));
            }
        }
        if (n == 0) {
            return false;
        }
        block.set(nextIndex, n, frontEnd.sampleRate());
        nextIndex += n;
        if (ended) {
            LOG.infof("replay %s ended after %d samples", reader.file(), nextIndex);
        }
        return true;
    }

    @Override
    public boolean ended() {
        return ended;
    }

    @Override
    public void close() {
        reader.close();
    }
}
