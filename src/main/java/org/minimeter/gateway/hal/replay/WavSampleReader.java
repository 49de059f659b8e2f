package org.minimeter.gateway.hal.replay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * A WAV recording (SPEC.md section 6): RIFF/WAVE, PCM 16/24/32-bit integer or 32-bit IEEE
 * float (format tag 1 or 3, or WAVE_FORMAT_EXTENSIBLE with those subformats), 2 channels
 * (v1, i1) or 4 (v1, i1, v2, i2). Samples are fractions of full scale; the volts or amps at
 * full scale come from {@code replay.scale.*}, else from the {@code mmgw} chunk a capture
 * wrote (see {@link WavMetadata}).
 *
 * <p>Opening walks the chunk headers only (the data is never loaded whole): the data
 * chunk's declared size is checked against the file's length, so a truncated capture is
 * refused before replay rather than ending early. Frames are then read block by block.
 */
final class WavSampleReader implements SampleReader {

    static final int PCM = 1;
    static final int IEEE_FLOAT = 3;
    static final int EXTENSIBLE = 0xFFFE;
    /** The 14 bytes after the format tag in a WAVE_FORMAT_EXTENSIBLE subformat GUID. */
    private static final byte[] GUID_TAIL = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00,
        (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71};

    private final Path file;
    private final FileChannel channel;
    private final int tag;
    private final int bits;
    private final int channels;
    private final int blockAlign;
    private final double rate;
    private final long dataOffset;
    private final long frames;
    private final double[] scale;
    private final double[] clip;
    private final double[] delay;
    private ByteBuffer buffer;
    private long position;

    private WavSampleReader(Path file, FileChannel channel, int tag, int bits, int channels, double rate,
            long dataOffset, long frames, double[] scale, double[] clip, double[] delay) {
        this.file = file;
        this.channel = channel;
        this.tag = tag;
        this.bits = bits;
        this.channels = channels;
        this.blockAlign = channels * bits / 8;
        this.rate = rate;
        this.dataOffset = dataOffset;
        this.frames = frames;
        this.scale = scale;
        this.clip = clip;
        this.delay = delay;
        this.buffer = ByteBuffer.allocate(0);
    }

    /**
     * Validates the header and chunks.
     *
     * @param rateOverride {@code replay.rate} over the header's rate; 0 to keep the header's
     * @param scales {@code replay.scale.*}, overriding the file's metadata
     * @param delays {@code replay.delay.*}, overriding the file's metadata
     */
    static WavSampleReader open(Path file, double rateOverride, Map<String, Double> scales, Map<String, Double> delays) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open replay file " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(file, ch, rateOverride, scales, delays);
        } catch (RuntimeException | IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the refusal is what matters
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot read replay file " + file + ": " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    private static WavSampleReader parse(Path file, FileChannel ch, double rateOverride, Map<String, Double> scales,
            Map<String, Double> delays) throws IOException {
        long size = ch.size();
        ByteBuffer riff = readAt(ch, 0, 12);
        if (riff.remaining() < 12 || !ascii(riff, 0).equals("RIFF") || !ascii(riff, 8).equals("WAVE")) {
            throw refuse(file, 0, "RIFF", "not a RIFF/WAVE file (header '" + (riff.remaining() >= 4 ? ascii(riff, 0) : "")
                    + "')");
        }
        long at = 12;
        ByteBuffer fmt = null;
        long fmtAt = -1;
        long dataAt = -1;
        long dataSize = -1;
        Map<String, Double> meta = Map.of();
        while (at + 8 <= size) {
            ByteBuffer h = readAt(ch, at, 8);
            String id = ascii(h, 0);
            long len = Integer.toUnsignedLong(h.getInt(4));
            long body = at + 8;
            if (id.equals("data")) {
                dataAt = body;
                dataSize = len;
                if (body + len > size) {
                    throw refuse(file, at, "data", "truncated: the data chunk declares " + len + " bytes but only "
                            + (size - body) + " follow");
                }
            } else if (body + len > size) {
                throw refuse(file, at, id, "truncated: the chunk declares " + len + " bytes but only "
                        + (size - body) + " follow");
            } else if (id.equals("fmt ")) {
                if (len < 16) {
                    throw refuse(file, at, id, "fmt chunk of " + len + " bytes, at least 16 needed");
                }
                fmt = readAt(ch, body, (int) Math.min(len, 40));
                fmtAt = at;
            } else if (id.equals(WavMetadata.CHUNK_ID)) {
                if (len > 4096) {
                    throw refuse(file, at, id, "metadata chunk of " + len + " bytes is implausibly long");
                }
                try {
                    meta = WavMetadata.decode(readAt(ch, body, (int) len).array());
                } catch (IllegalArgumentException e) {
                    throw refuse(file, at, id, "bad metadata: " + e.getMessage());
                }
            }
            // Chunks are padded to an even length.
            at = body + len + (len & 1);
        }
        if (fmt == null) {
            throw refuse(file, 12, "fmt ", "no fmt chunk");
        }
        if (dataAt < 0) {
            throw refuse(file, 12, "data", "no data chunk");
        }
        int tag = fmt.getShort(0) & 0xFFFF;
        int channels = fmt.getShort(2) & 0xFFFF;
        long rate = Integer.toUnsignedLong(fmt.getInt(4));
        int blockAlign = fmt.getShort(12) & 0xFFFF;
        int bits = fmt.getShort(14) & 0xFFFF;
        if (tag == EXTENSIBLE) {
            if (fmt.limit() < 40) {
                throw refuse(file, fmtAt, "fmt ", "WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes");
            }
            int sub = fmt.getShort(24) & 0xFFFF;
            for (int k = 0; k < GUID_TAIL.length; k++) {
                if (fmt.get(26 + k) != GUID_TAIL[k]) {
                    throw refuse(file, fmtAt, "fmt ", "unsupported format: WAVE_FORMAT_EXTENSIBLE with a"
                            + " non-PCM, non-float subformat GUID");
                }
            }
            tag = sub;
        }
        if (tag == PCM) {
            if (bits != 16 && bits != 24 && bits != 32) {
                throw refuse(file, fmtAt, "fmt ", "unsupported format: " + bits + "-bit PCM (16, 24 or 32-bit needed)");
            }
        } else if (tag == IEEE_FLOAT) {
            if (bits != 32) {
                throw refuse(file, fmtAt, "fmt ", "unsupported format: " + bits + "-bit float (32-bit needed)");
            }
        } else {
            throw refuse(file, fmtAt, "fmt ", "unsupported format tag " + tag + " (1 PCM or 3 IEEE float needed)");
        }
        if (channels != 2 && channels != 4) {
            throw refuse(file, fmtAt, "fmt ", "wrong channel count " + channels
                    + ": need 2 (v1, i1) or 4 (v1, i1, v2, i2)");
        }
        if (blockAlign != channels * bits / 8) {
            throw refuse(file, fmtAt, "fmt ", "block align " + blockAlign + " is not " + channels + " channels x "
                    + bits / 8 + " bytes");
        }
        if (rate == 0 && !(rateOverride > 0)) {
            throw refuse(file, fmtAt, "fmt ", "missing rate: the header's sample rate is 0");
        }
        if (dataSize == 0) {
            throw refuse(file, dataAt - 8, "data", "empty data: no samples");
        }
        if (dataSize % blockAlign != 0) {
            throw refuse(file, dataAt - 8, "data", "truncated: " + dataSize + " bytes is not a whole number of "
                    + blockAlign + "-byte frames");
        }
        double[] scale = new double[channels];
        double[] clip = new double[channels];
        double[] delay = new double[channels];
        boolean clips = meta.getOrDefault("clip", 1.0) != 0;
        // An integer code's full scale is 2^(bits-1); the largest positive code, one LSB
        // short of it, is where the converter saturated.
        double clipFraction = tag == PCM ? 1 - Math.pow(2, 1 - bits) : 1;
        for (int c = 0; c < channels; c++) {
            String name = ReplaySettings.CHANNELS.get(c);
            Double s = scales.containsKey(name) ? scales.get(name) : meta.get(name);
            if (s == null) {
                throw new ReplayFileException(file, "chunk 'fmt ' at byte " + fmtAt, "no scale for channel " + name
                        + ": set replay.scale." + name + " (volts or amps at full scale); the file has no capture metadata");
            }
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new ReplayFileException(file, "chunk 'mmgw'", "scale of " + name + " must be positive, was " + s);
            }
            scale[c] = s;
            clip[c] = clips || tag == PCM ? s * clipFraction : Double.POSITIVE_INFINITY;
            delay[c] = delays.containsKey(name) ? delays.get(name) : meta.getOrDefault("delay." + name, 0.0);
        }
        return new WavSampleReader(file, ch, tag, bits, channels, rateOverride > 0 ? rateOverride : rate, dataAt, dataSize / blockAlign, scale, clip,
                delay);
    }

    private static ReplayFileException refuse(Path file, long offset, String chunk, String reason) {
        return new ReplayFileException(file, "byte " + offset + " (chunk '" + chunk + "')", reason);
    }

    private static ByteBuffer readAt(FileChannel ch, long at, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
            // keep reading until full or end of file
        }
        b.flip();
        return b;
    }

    private static String ascii(ByteBuffer b, int at) {
        char[] c = new char[4];
        for (int k = 0; k < 4; k++) {
            c[k] = (char) (b.get(at + k) & 0xFF);
        }
        return new String(c);
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public String format() {
        return "WAV " + (tag == PCM ? bits + "-bit PCM" : "32-bit float");
    }

    @Override
    public double sampleRate() {
        return rate;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public long frames() {
        return frames;
    }

    double scale(int c) {
        return scale[c];
    }

    @Override
    public double clipLevel(int c) {
        return clip[c];
    }

    @Override
    public double delayMicros(int c) {
        return delay[c];
    }

    @Override
    public int read(double[][] out, int offset, int max) {
        int n = (int) Math.min(max, frames - position);
        if (n <= 0) {
            return 0;
        }
        int bytes = n * blockAlign;
        if (buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        buffer.clear().limit(bytes);
        long at = dataOffset + position * blockAlign;
        try {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, at + buffer.position()) < 0) {
                    throw new IOException("file ends at byte " + (at + buffer.position()) + ", shorter than when opened");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("replay file " + file + ": read failed: " + e.getMessage(), e);
        }
        buffer.flip();
        // Integer codes are fractions of 2^(bits-1); float samples are fractions of 1.0.
        for (int k = 0; k < n; k++) {
            for (int c = 0; c < channels; c++) {
                double x;
                if (tag == IEEE_FLOAT) {
                    x = buffer.getFloat();
                } else if (bits == 16) {
                    x = buffer.getShort() / 32768.0;
                } else if (bits == 24) {
                    int lo = buffer.get() & 0xFF;
                    int mid = buffer.get() & 0xFF;
                    int hi = buffer.get();
                    x = ((hi << 16) | (mid << 8) | lo) / 8388608.0;
                } else {
                    x = buffer.getInt() / 2147483648.0;
                }
                out[c][offset + k] = x * scale[c];
            }
        }
        position += n;
        return n;
    }

    @Override
    public void rewind() {
        position = 0;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // read-only: nothing is lost
        }
    }
}
