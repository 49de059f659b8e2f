package org.minimeter.gateway.sparkplug;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent reader (and, for commands, writer) of Sparkplug B payloads, straight from the
 * protobuf wire format: varints, fixed64 doubles, fixed32 floats and length-delimited fields,
 * with the field numbers of the Sparkplug B schema (sparkplug_b.proto, Payload / Metric /
 * PropertySet / PropertyValue). Written for the tests from the schema and the protobuf encoding
 * rules; it shares no code with Eclipse Tahu or protobuf-java, which production uses, so a bug
 * there cannot hide itself here.
 */
public final class SparkplugWire {

    /** Sparkplug datatype numbers (section 6.4.16). */
    public static final int INT64 = 4;
    public static final int UINT32 = 7;
    public static final int UINT64 = 8;
    public static final int DOUBLE = 10;
    public static final int BOOLEAN = 11;
    public static final int STRING = 12;

    private SparkplugWire() {
    }

    /** A decoded Payload; {@code seq} and {@code timestamp} are null when absent. */
    public record Payload(Long timestamp, Long seq, List<Metric> metrics) {

        public Metric metric(String name) {
            return metrics.stream().filter(m -> name.equals(m.name())).findFirst()
                    .orElseThrow(() -> new AssertionError("no metric " + name + " in " + metrics));
        }

        public Metric byAlias(long alias) {
            return metrics.stream().filter(m -> m.alias() != null && m.alias() == alias).findFirst()
                    .orElseThrow(() -> new AssertionError("no metric with alias " + alias + " in " + metrics));
        }
    }

    /**
     * A decoded Metric: the value is a Long (int_value, long_value, unsigned), Double, Float,
     * Boolean or String, as found on the wire; null when absent.
     */
    public record Metric(String name, Long alias, Long timestamp, Integer datatype, boolean historical,
            boolean isNull, Object value, Map<String, Object> properties) {

        public double asDouble() {
            return ((Number) value).doubleValue();
        }

        public long asLong() {
            return ((Number) value).longValue();
        }

        public boolean asBoolean() {
            return (Boolean) value;
        }
    }

    public static Payload decode(byte[] bytes) {
        Reader r = new Reader(bytes, 0, bytes.length);
        Long ts = null;
        Long seq = null;
        List<Metric> metrics = new ArrayList<>();
        while (r.more()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            switch (field) {
                case 1 -> ts = r.varint();
                case 2 -> metrics.add(metric(r.sub()));
                case 3 -> seq = r.varint();
                default -> r.skip(wire);
            }
        }
        return new Payload(ts, seq, metrics);
    }

    private static Metric metric(Reader r) {
        String name = null;
        Long alias = null;
        Long ts = null;
        Integer type = null;
        boolean historical = false;
        boolean isNull = false;
        Object value = null;
        Map<String, Object> props = Map.of();
        while (r.more()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            switch (field) {
                case 1 -> name = r.string();
                case 2 -> alias = r.varint();
                case 3 -> ts = r.varint();
                case 4 -> type = (int) r.varint();
                case 5 -> historical = r.varint() != 0;
                case 7 -> isNull = r.varint() != 0;
                case 9 -> props = propertySet(r.sub());
                case 10, 11 -> value = r.varint();
                case 12 -> value = Float.intBitsToFloat(r.fixed32());
                case 13 -> value = Double.longBitsToDouble(r.fixed64());
                case 14 -> value = r.varint() != 0;
                case 15 -> value = r.string();
                default -> r.skip(wire);
            }
        }
        return new Metric(name, alias, ts, type, historical, isNull, value, props);
    }

    private static Map<String, Object> propertySet(Reader r) {
        List<String> keys = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        while (r.more()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1) {
                keys.add(r.string());
            } else if (field == 2) {
                values.add(propertyValue(r.sub()));
            } else {
                r.skip(wire);
            }
        }
        if (keys.size() != values.size()) {
            throw new AssertionError("PropertySet with " + keys.size() + " keys and " + values.size() + " values");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            out.put(keys.get(i), values.get(i));
        }
        return out;
    }

    private static Object propertyValue(Reader r) {
        Object v = null;
        while (r.more()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            switch (field) {
                case 3, 4 -> v = r.varint();
                case 6 -> v = Double.longBitsToDouble(r.fixed64());
                case 7 -> v = r.varint() != 0;
                case 8 -> v = r.string();
                default -> r.skip(wire);
            }
        }
        return v;
    }

    /** An NCMD as a host application sends it: timestamp and {@code Node Control/Rebirth} = value. */
    public static byte[] rebirthCommand(long timestamp, boolean value) {
        ByteArrayOutputStream metric = new ByteArrayOutputStream();
        writeString(metric, 1, "Node Control/Rebirth");
        writeVarintField(metric, 3, timestamp);
        writeVarintField(metric, 4, BOOLEAN);
        writeVarintField(metric, 14, value ? 1 : 0);
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        writeVarintField(payload, 1, timestamp);
        writeBytes(payload, 2, metric.toByteArray());
        return payload.toByteArray();
    }

    private static void writeVarintField(ByteArrayOutputStream out, int field, long v) {
        writeVarint(out, (long) field << 3);
        writeVarint(out, v);
    }

    private static void writeString(ByteArrayOutputStream out, int field, String s) {
        writeBytes(out, field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBytes(ByteArrayOutputStream out, int field, byte[] b) {
        writeVarint(out, ((long) field << 3) | 2);
        writeVarint(out, b.length);
        out.writeBytes(b);
    }

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static final class Reader {
        private final byte[] b;
        private int pos;
        private final int end;

        Reader(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new AssertionError("varint cut short");
                }
                int x = b[pos++] & 0xFF;
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new AssertionError("varint longer than 10 bytes");
        }

        long fixed64() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v |= (long) (b[pos++] & 0xFF) << (8 * i);
            }
            return v;
        }

        int fixed32() {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v |= (b[pos++] & 0xFF) << (8 * i);
            }
            return v;
        }

        Reader sub() {
            int len = (int) varint();
            if (pos + len > end) {
                throw new AssertionError("length-delimited field runs past its message");
            }
            Reader r = new Reader(b, pos, pos + len);
            pos += len;
            return r;
        }

        String string() {
            Reader r = sub();
            return new String(b, r.pos, r.end - r.pos, StandardCharsets.UTF_8);
        }

        void skip(int wire) {
            switch (wire) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> sub();
                case 5 -> pos += 4;
                default -> throw new AssertionError("wire type " + wire);
            }
        }
    }
}
