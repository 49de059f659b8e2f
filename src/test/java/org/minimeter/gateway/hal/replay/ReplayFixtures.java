package org.minimeter.gateway.hal.replay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helpers: a hand-driven clock and WAV files built byte by byte. */
final class ReplayFixtures {

    private ReplayFixtures() {
    }

    /** A metering listener for tests that look only at the register. */
    static final org.minimeter.gateway.metering.Metrology.Listener QUIET =
            new org.minimeter.gateway.metering.Metrology.Listener() {
                @Override
                public void onMeasurement(org.minimeter.gateway.metering.Measurement measurement) {
                }

                @Override
                public void onAlarm(org.minimeter.gateway.metering.AlarmEvent event) {
                }
            };

    /** A WAV file assembled from chunks: "RIFF" size "WAVE" then the chunks as given. */
    static byte[] riff(byte[]... chunks) {
        int len = 4;
        for (byte[] c : chunks) {
            len += c.length;
        }
        ByteBuffer b = ByteBuffer.allocate(8 + len).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii("RIFF")).putInt(len).put(ascii("WAVE"));
        for (byte[] c : chunks) {
            b.put(c);
        }
        return b.array();
    }

    static byte[] chunk(String id, byte[] body) {
        return chunk(id, body.length, body);
    }

    /** A chunk whose header may declare a different size than its body holds. */
    static byte[] chunk(String id, long declared, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(8 + body.length + (body.length & 1)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii(id)).putInt((int) declared).put(body);
        return b.array();
    }

    static byte[] fmt(int tag, int channels, int rate, int bits) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) tag).putShort((short) channels).putInt(rate).putInt(rate * channels * bits / 8)
                .putShort((short) (channels * bits / 8)).putShort((short) bits);
        return chunk("fmt ", b.array());
    }

    /** WAVE_FORMAT_EXTENSIBLE with subformat {@code sub} (1 PCM, 3 float) and the standard GUID tail. */
    static byte[] fmtExtensible(int sub, int channels, int rate, int bits) {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xFFFE).putShort((short) channels).putInt(rate).putInt(rate * channels * bits / 8)
                .putShort((short) (channels * bits / 8)).putShort((short) bits);
        b.putShort((short) 22).putShort((short) bits).putInt(0);
        b.putShort((short) sub).put(new byte[] {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00,
            (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71});
        return chunk("fmt ", b.array());
    }

    static byte[] pcm16(int... codes) {
        ByteBuffer b = ByteBuffer.allocate(2 * codes.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int c : codes) {
            b.putShort((short) c);
        }
        return b.array();
    }

    static byte[] pcm24(int... codes) {
        ByteBuffer b = ByteBuffer.allocate(3 * codes.length);
        for (int c : codes) {
            b.put((byte) c).put((byte) (c >> 8)).put((byte) (c >> 16));
        }
        return b.array();
    }

    static byte[] pcm32(int... codes) {
        ByteBuffer b = ByteBuffer.allocate(4 * codes.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int c : codes) {
            b.putInt(c);
        }
        return b.array();
    }

    static byte[] float32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path dir, String name, String text) {
        return write(dir, name, text.getBytes(StandardCharsets.UTF_8));
    }
}
