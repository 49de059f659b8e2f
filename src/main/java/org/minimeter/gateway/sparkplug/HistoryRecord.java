package org.minimeter.gateway.sparkplug;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One meter's changes recorded while the edge node was offline, as kept on disk until they are
 * sent as historical DDATA: the time they were read, and each changed metric by its catalog
 * index (not its alias, which depends on the meter's place in this run's configuration) with
 * its value. Our own small format, so what is on disk does not depend on the wire encoding.
 *
 * <pre>version 1 | sampled ms (8) | count (2) | count x (index (2) | tag (1) | value)</pre>
 * with tag 0 null, 1 double (8), 2 boolean (1), 3 long (8), 4 string (UTF).
 */
record HistoryRecord(long sampled, int[] indexes, Object[] values) {

    private static final int VERSION = 1;

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + indexes.length * 11);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(sampled);
            out.writeShort(indexes.length);
            for (int k = 0; k < indexes.length; k++) {
                out.writeShort(indexes[k]);
                Object v = values[k];
                if (v == null) {
                    out.writeByte(0);
                } else if (v instanceof Double d) {
                    out.writeByte(1);
                    out.writeDouble(d);
                } else if (v instanceof Boolean b) {
                    out.writeByte(2);
                    out.writeBoolean(b);
                } else if (v instanceof Long l) {
                    out.writeByte(3);
                    out.writeLong(l);
                } else if (v instanceof String s) {
                    out.writeByte(4);
                    out.writeUTF(s);
                } else {
                    throw new IllegalArgumentException("cannot store a " + v.getClass().getSimpleName());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException if the bytes are not a record of this format */
    static HistoryRecord decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("history record version " + version);
            }
            long sampled = in.readLong();
            int n = in.readUnsignedShort();
            int[] idx = new int[n];
            Object[] values = new Object[n];
            for (int k = 0; k < n; k++) {
                idx[k] = in.readUnsignedShort();
                int tag = in.readUnsignedByte();
                values[k] = switch (tag) {
                    case 0 -> null;
                    case 1 -> in.readDouble();
                    case 2 -> in.readBoolean();
                    case 3 -> in.readLong();
                    case 4 -> in.readUTF();
                    default -> throw new IllegalArgumentException("history value tag " + tag);
                };
            }
            return new HistoryRecord(sampled, idx, values);
        } catch (IOException e) {
            throw new IllegalArgumentException("a truncated history record", e);
        }
    }

    /** The values laid out by catalog index, for the encoder (which reads values[index]). */
    Object[] byIndex(int size) {
        Object[] out = new Object[size];
        for (int k = 0; k < indexes.length; k++) {
            out[indexes[k]] = values[k];
        }
        return out;
    }
}
