package org.minimeter.gateway.persistence;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The framing of every record the outbox writes, in its segments and in its ack journal:
 *
 * <pre>
 *   magic   4 bytes  "MMOX"
 *   length  4 bytes  length of the body, big-endian
 *   body    length bytes, the first byte is the record type
 *   crc     4 bytes  CRC-32 of length and body
 * </pre>
 *
 * <p>The magic lets a reader find the next record after damage; the CRC covers the length
 * too, so a damaged length cannot make the reader take garbage for a record. A record cut
 * short by a crash fails the check like any other damage.
 */
final class OutboxRecords {

    static final int MAGIC = 0x4D4D4F58;
    static final int OVERHEAD = 12;

    /** Segment: one message (seq, kind, qos, retain, topic, payload). */
    static final byte MESSAGE = 1;
    /** Ack journal: next seq, all below the low water are gone, and the gone ranges above it. */
    static final byte CHECKPOINT = 3;
    /** Ack journal: these seqs were acknowledged or dropped. */
    static final byte GONE = 4;

    static final int MESSAGE_HEADER = 1 + 8 + 1 + 1 + 1 + 2;

    private OutboxRecords() {
    }

    /** What {@link #scan} reports to its reader. */
    interface Reader {
        /** Whether a record whose framing is intact also makes sense here (types, seq order). */
        boolean accepts(ByteBuffer body);

        /** An accepted record at {@code offset}, {@code length} bytes including the framing. */
        void record(int offset, int length, ByteBuffer body);

        /** Bytes between two records that are no record (damage). */
        void damaged(int offset, int length);
    }

    static byte[] frame(ByteBuffer body) {
        int len = body.remaining();
        ByteBuffer out = ByteBuffer.allocate(OVERHEAD + len);
        out.putInt(MAGIC).putInt(len).put(body);
        CRC32 crc = new CRC32();
        crc.update(out.array(), 4, 4 + len);
        out.putInt((int) crc.getValue());
        return out.array();
    }

    static byte[] message(long seq, byte kind, int qos, boolean retain, byte[] topic, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(MESSAGE_HEADER + topic.length + payload.length);
        b.put(MESSAGE).putLong(seq).put(kind).put((byte) qos).put((byte) (retain ? 1 : 0))
                .putShort((short) topic.length).put(topic).put(payload).flip();
        return frame(b);
    }

    static byte[] gone(List<Long> seqs) {
        ByteBuffer b = ByteBuffer.allocate(1 + 8 * seqs.size()).put(GONE);
        seqs.forEach(b::putLong);
        return frame(b.flip());
    }

    /** @param ranges inclusive (from, to) pairs, ascending */
    static byte[] checkpoint(long nextSeq, long lowWater, long[] ranges, int rangeCount) {
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 4 + 16 * rangeCount).put(CHECKPOINT)
                .putLong(nextSeq).putLong(lowWater).putInt(rangeCount);
        for (int i = 0; i < 2 * rangeCount; i++) {
            b.putLong(ranges[i]);
        }
        return frame(b.flip());
    }

    /** Decoded message body; {@code null} from {@link #decodeMessage} if it is malformed. */
    record Decoded(long seq, byte kind, int qos, boolean retain, String topic, byte[] payload) {
    }

    static Decoded decodeMessage(ByteBuffer body) {
        ByteBuffer b = body.duplicate();
        if (b.remaining() < MESSAGE_HEADER || b.get() != MESSAGE) {
            return null;
        }
        long seq = b.getLong();
        byte kind = b.get();
        int qos = b.get();
        int retain = b.get();
        int topicLength = Short.toUnsignedInt(b.getShort());
        if (seq < 1 || qos < 0 || qos > 2 || (retain & ~1) != 0 || topicLength == 0 || topicLength > b.remaining()) {
            return null;
        }
        byte[] topic = new byte[topicLength];
        b.get(topic);
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new Decoded(seq, kind, qos, retain == 1, new String(topic, StandardCharsets.UTF_8), payload);
    }

    /** Total length of an intact record at {@code pos}, or 0 if there is none there. */
    static int intactAt(byte[] d, int pos, int limit) {
        if (limit - pos < OVERHEAD + 1) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.wrap(d, pos, limit - pos);
        if (b.getInt() != MAGIC) {
            return 0;
        }
        int len = b.getInt();
        if (len < 1 || len > limit - pos - OVERHEAD) {
            return 0;
        }
        CRC32 crc = new CRC32();
        crc.update(d, pos + 4, 4 + len);
        int stated = ByteBuffer.wrap(d, pos + 8 + len, 4).getInt();
        return stated == (int) crc.getValue() ? OVERHEAD + len : 0;
    }

    static ByteBuffer body(byte[] d, int pos, int recordLength) {
        return ByteBuffer.wrap(d, pos + 8, recordLength - OVERHEAD).slice();
    }

    /**
     * Reads {@code d[0, limit)} record by record. After damage it resynchronises on the next
     * intact record, so one bad record costs only itself.
     *
     * @return the offset where unreadable bytes run to the end, or -1 if the data ends on a
     *     record boundary
     */
    static int scan(byte[] d, int limit, Reader reader) {
        int pos = 0;
        int badFrom = -1;
        while (pos < limit) {
            int len = intactAt(d, pos, limit);
            if (len > 0 && reader.accepts(body(d, pos, len))) {
                if (badFrom >= 0) {
                    reader.damaged(badFrom, pos - badFrom);
                    badFrom = -1;
                }
                reader.record(pos, len, body(d, pos, len));
                pos += len;
            } else {
                if (badFrom < 0) {
                    badFrom = pos;
                }
                pos = nextMagic(d, pos + 1, limit);
            }
        }
        return badFrom;
    }

    private static int nextMagic(byte[] d, int from, int limit) {
        for (int i = from; i + 4 <= limit; i++) {
            if (d[i] == 'M' && d[i + 1] == 'M' && d[i + 2] == 'O' && d[i + 3] == 'X') {
                return i;
            }
        }
        return limit;
    }
}
