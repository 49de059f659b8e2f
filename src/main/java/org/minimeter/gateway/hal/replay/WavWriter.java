package org.minimeter.gateway.hal.replay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a RIFF/WAVE file frame by frame: 32-bit IEEE float or 16/24/32-bit PCM, samples
 * given as fractions of full scale. The RIFF and data sizes are written on {@link #close()},
 * so a capture cut short by a crash is recognisable (its data size is 0) and is refused on
 * replay rather than read as a short recording.
 */
final class WavWriter implements AutoCloseable {

    private final Path file;
    private final FileChannel out;
    private final int tag;
    private final int bits;
    private final int channels;
    private final long dataSizeAt;
    private final ByteBuffer buffer;
    private long dataBytes;

    /**
     * @param tag {@link WavSampleReader#IEEE_FLOAT} (bits 32) or {@link WavSampleReader#PCM}
     * @param metadata the {@code mmgw} chunk's body, or null for none
     */
    WavWriter(Path file, int tag, int bits, int channels, int rate, byte[] metadata) {
        this.file = file;
        this.tag = tag;
        this.bits = bits;
        this.channels = channels;
        try {
            this.out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            int fmtLen = tag == WavSampleReader.IEEE_FLOAT ? 18 : 16;
            int metaLen = metadata == null ? 0 : 8 + metadata.length + (metadata.length & 1);
            ByteBuffer h = ByteBuffer.allocate(12 + 8 + fmtLen + metaLen + 8).order(ByteOrder.LITTLE_ENDIAN);
            h.put(ascii("RIFF")).putInt(0).put(ascii("WAVE"));
            h.put(ascii("fmt ")).putInt(fmtLen).putShort((short) tag).putShort((short) channels).putInt(rate)
                    .putInt(rate * channels * bits / 8).putShort((short) (channels * bits / 8)).putShort((short) bits);
            if (fmtLen == 18) {
                h.putShort((short) 0);
            }
            if (metadata != null) {
                h.put(ascii(WavMetadata.CHUNK_ID)).putInt(metadata.length).put(metadata);
                if ((metadata.length & 1) != 0) {
                    h.put((byte) 0);
                }
            }
            h.put(ascii("data")).putInt(0);
            this.dataSizeAt = h.position() - 4L;
            h.flip();
            writeFully(h, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        this.buffer = ByteBuffer.allocate(64 * 1024 - 64 * 1024 % (channels * bits / 8)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Appends one frame: one value per channel, in fractions of full scale. */
    void frame(double[] values) {
        if (buffer.remaining() < channels * bits / 8) {
            flush();
        }
        for (int c = 0; c < channels; c++) {
            double x = values[c];
            if (tag == WavSampleReader.IEEE_FLOAT) {
                buffer.putFloat((float) x);
                continue;
            }
            double full = Math.pow(2, bits - 1);
            long code = Math.max((long) -full, Math.min((long) full - 1, Math.round(x * full)));
            if (bits == 16) {
                buffer.putShort((short) code);
            } else if (bits == 24) {
                buffer.put((byte) code).put((byte) (code >> 8)).put((byte) (code >> 16));
            } else {
                buffer.putInt((int) code);
            }
        }
    }

    private void flush() {
        buffer.flip();
        // RIFF sizes are 32-bit: 4 GiB is about 9 hours of 4 float channels at 8 kHz.
        if (dataSizeAt + 4 + dataBytes + buffer.limit() > 0xFFFF_FFFFL) {
            throw new IllegalStateException("WAV file " + file + " would pass the 4 GiB RIFF limit: capture shorter"
                    + " durations into several files");
        }
        try {
            writeFully(buffer, dataSizeAt + 4 + dataBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        dataBytes += buffer.limit();
        buffer.clear();
    }

    private void writeFully(ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            at += out.write(b, at);
        }
    }

    @Override
    public void close() {
        flush();
        try {
            ByteBuffer n = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            n.putInt(0, (int) dataBytes);
            writeFully(n, dataSizeAt);
            n.clear();
            n.putInt(0, (int) (dataSizeAt + 4 + dataBytes - 8));
            writeFully(n, 4);
            out.force(true);
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot finish " + file + ": " + e.getMessage(), e);
        }
    }
}
