package org.minimeter.gateway.persistence;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import org.minimeter.gateway.metering.EnergySnapshot;

/**
 * The register file: plain text a person can read with {@code cat}, one {@code key=value}
 * per line, closed by a CRC-32 of every byte before it. A file that is truncated, has a
 * flipped byte, or is empty fails the check and is never taken for a register.
 */
final class RegisterCodec {

    static final String MAGIC = "minimeter-register 1";

    private RegisterCodec() {
    }

    static byte[] encode(String meterId, RegisterState s) {
        EnergySnapshot e = s.energy();
        StringBuilder b = new StringBuilder();
        b.append(MAGIC).append('\n');
        b.append("meter=").append(meterId).append('\n');
        b.append("generation=").append(s.generation()).append('\n');
        b.append("saved=").append(s.savedAt()).append('\n');
        b.append("elements=").append(e.elements()).append('\n');
        b.append("committed-samples=").append(e.committedSamples()).append('\n');
        b.append("delivered-uwh=").append(join(e.deliveredMicroWh())).append('\n');
        b.append("received-uwh=").append(join(e.receivedMicroWh())).append('\n');
        s.sequences().forEach((k, v) -> b.append("seq.").append(k).append('=').append(v).append('\n'));
        b.append("counter-backlog=").append(s.counterBacklog()).append('\n');
        if (s.counterWh() > 0) {
            b.append("counter-wh=").append(s.counterWh()).append('\n');
        }
        byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
        String trailer = String.format("crc32=%08x%n", crc(body, body.length));
        byte[] out = Arrays.copyOf(body, body.length + trailer.length());
        System.arraycopy(trailer.getBytes(StandardCharsets.US_ASCII), 0, out, body.length, trailer.length());
        return out;
    }

    /** Decodes a register file, or throws {@link StorageException} saying what is wrong with it. */
    static RegisterState decode(String meterId, byte[] bytes) {
        if (bytes.length == 0) {
            throw new StorageException("empty file");
        }
        // Work on bytes: a damaged file need not be valid UTF-8 (erased flash reads 0xFF).
        int crcAt = lastIndexOf(bytes, "\ncrc32=".getBytes(StandardCharsets.US_ASCII)) + 1;
        if (crcAt <= 0 || bytes[bytes.length - 1] != '\n') {
            throw new StorageException("no checksum line (truncated?)");
        }
        String crcLine = new String(bytes, crcAt, bytes.length - crcAt, StandardCharsets.US_ASCII).trim();
        long stated;
        try {
            stated = Long.parseLong(crcLine.substring("crc32=".length()), 16);
        } catch (NumberFormatException ex) {
            throw new StorageException("unreadable checksum line");
        }
        long actual = crc(bytes, crcAt);
        if (actual != stated) {
            throw new StorageException(String.format("checksum mismatch (file says %08x, content is %08x)", stated, actual));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes, 0, crcAt)).toString();
        } catch (java.nio.charset.CharacterCodingException ex) {
            throw new StorageException("not UTF-8 text");
        }
        int textEnd = text.length();
        String[] lines = text.substring(0, textEnd).split("\n");
        if (!MAGIC.equals(lines[0])) {
            throw new StorageException("not a register file (first line '" + lines[0] + "')");
        }
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int eq = lines[i].indexOf('=');
            if (eq <= 0) {
                throw new StorageException("malformed line " + (i + 1) + ": '" + lines[i] + "'");
            }
            kv.put(lines[i].substring(0, eq), lines[i].substring(eq + 1));
        }
        String meter = required(kv, "meter");
        if (!meter.equals(meterId)) {
            throw new StorageException("register of meter '" + meter + "', not '" + meterId + "'");
        }
        try {
            int elements = Integer.parseInt(required(kv, "elements"));
            long[] delivered = longs(required(kv, "delivered-uwh"), elements + 1, "delivered-uwh");
            long[] received = longs(required(kv, "received-uwh"), elements + 1, "received-uwh");
            EnergySnapshot energy = new EnergySnapshot(delivered, received,
                    Long.parseLong(required(kv, "committed-samples")));
            Map<String, Long> seq = new HashMap<>();
            kv.forEach((k, v) -> {
                if (k.startsWith("seq.")) {
                    seq.put(k.substring(4), Long.parseLong(v));
                }
            });
            return new RegisterState(Long.parseLong(required(kv, "generation")),
                    Instant.parse(required(kv, "saved")), energy, seq,
                    Long.parseLong(required(kv, "counter-backlog")),
                    kv.containsKey("counter-wh") ? Long.parseLong(kv.get("counter-wh")) : 0);
        } catch (IllegalArgumentException | java.time.format.DateTimeParseException ex) {
            throw new StorageException("bad value: " + ex.getMessage());
        }
    }

    private static int lastIndexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = haystack.length - needle.length; i >= 0; i--) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String required(Map<String, String> kv, String key) {
        String v = kv.get(key);
        if (v == null) {
            throw new StorageException("missing key '" + key + "'");
        }
        return v;
    }

    private static long[] longs(String csv, int count, String key) {
        String[] parts = csv.split(",");
        if (parts.length != count) {
            throw new StorageException(key + " has " + parts.length + " values, expected " + count);
        }
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = Long.parseLong(parts[i].trim());
            if (out[i] < 0) {
                throw new StorageException(key + " holds a negative value");
            }
        }
        return out;
    }

    private static String join(long[] values) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(values[i]);
        }
        return b.toString();
    }

    private static long crc(byte[] bytes, int length) {
        CRC32 c = new CRC32();
        c.update(bytes, 0, length);
        return c.getValue();
    }
}
