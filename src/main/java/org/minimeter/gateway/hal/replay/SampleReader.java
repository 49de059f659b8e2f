package org.minimeter.gateway.hal.replay;

import java.nio.file.Path;

/**
 * A recording opened and validated, read frame by frame in physical units (line volts, CT
 * primary amps) in the canonical channel order v1, i1[, v2, i2]. Streams: only one block is
 * held in memory, whatever the file's size.
 */
interface SampleReader extends AutoCloseable {

    Path file();

    /** e.g. {@code CSV} or {@code WAV PCM 24-bit}, for the start-up log. */
    String format();

    double sampleRate();

    /** 2 (one element) or 4 (two elements). */
    int channels();

    /** Frames (samples per channel) in the file. */
    long frames();

    /** Physical magnitude at which channel {@code c} was saturated; +inf when unknown. */
    double clipLevel(int c);

    /** The capture's declared channel delay in microseconds (see {@code ChannelCalibration}). */
    double delayMicros(int c);

    /**
     * Reads up to {@code max} frames into {@code out[c][offset..]}.
     *
     * @return frames read; 0 only at the end of the file
     * @throws java.io.UncheckedIOException when the file cannot be read
     */
    int read(double[][] out, int offset, int max);

    /** Starts again at frame 0 (loop). */
    void rewind();

    @Override
    void close();
}
