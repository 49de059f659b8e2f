package org.minimeter.gateway.sparkplug;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.PropertyDataType;
import org.eclipse.tahu.protobuf.SparkplugBProto.Payload;

/**
 * Sparkplug B payloads, with Eclipse Tahu's protobuf classes for the schema ({@code
 * SparkplugBProto}) and its datatype numbers. Births carry names, aliases, datatypes and units;
 * data carries aliases and values only (Sparkplug 3.0 section 6.4.6: names and datatypes are left
 * out of DATA messages once aliases are in use).
 *
 * <p>Built on the protobuf messages rather than Tahu's {@code SparkplugBPayloadEncoder}: that
 * encoder renders the whole payload as a string on every call (for a log line), which cost 0.3 to
 * 1.3 ms per DDATA, most of a second per scan at 1000 meters; this costs a few microseconds.
 * {@code buildPartial}: the schema (proto2) has no required fields, so there is nothing to check.
 */
final class SparkplugCodec {

    static final String BDSEQ = "bdSeq";
    static final String REBIRTH = "Node Control/Rebirth";
    static final long BDSEQ_ALIAS = 1;
    static final long METERS_ALIAS = 2;
    static final long VERSION_ALIAS = 3;
    /** A device's metric aliases are {@code DEVICE_ALIAS_BLOCK x device number + index}. */
    static final long DEVICE_ALIAS_BLOCK = 1000;

    private static final int INT64 = MetricDataType.Int64.toIntValue();
    private static final int BOOLEAN = MetricDataType.Boolean.toIntValue();
    private static final int STRING = MetricDataType.String.toIntValue();
    private static final Map<MetricCatalog.Kind, Integer> TYPES = new EnumMap<>(MetricCatalog.Kind.class);

    static {
        TYPES.put(MetricCatalog.Kind.DOUBLE, MetricDataType.Double.toIntValue());
        TYPES.put(MetricCatalog.Kind.BOOLEAN, BOOLEAN);
        TYPES.put(MetricCatalog.Kind.UINT64, MetricDataType.UInt64.toIntValue());
        TYPES.put(MetricCatalog.Kind.STRING, STRING);
    }

    private final Map<String, Payload.PropertySet> units = new HashMap<>();

    /** The will: only the bdSeq metric, no seq (section 6.4.25). */
    byte[] ndeath(int bdSeq, long now) {
        return Payload.newBuilder().setTimestamp(now).addMetrics(Payload.Metric.newBuilder().setName(BDSEQ)
                .setTimestamp(now).setDatatype(INT64).setLongValue(bdSeq)).buildPartial().toByteArray();
    }

    /**
     * seq 0, the bdSeq of the CONNECT's will, {@code Node Control/Rebirth} false without an alias
     * (section 5.17), and what the node itself reports: its meter count and software version.
     */
    byte[] nbirth(long now, int bdSeq, int meters, String version) {
        return Payload.newBuilder().setTimestamp(now).setSeq(0)
                .addMetrics(Payload.Metric.newBuilder().setName(BDSEQ).setAlias(BDSEQ_ALIAS).setTimestamp(now)
                        .setDatatype(INT64).setLongValue(bdSeq))
                .addMetrics(Payload.Metric.newBuilder().setName(REBIRTH).setTimestamp(now).setDatatype(BOOLEAN)
                        .setBooleanValue(false))
                .addMetrics(Payload.Metric.newBuilder().setName("Node Info/Meters").setAlias(METERS_ALIAS)
                        .setTimestamp(now).setDatatype(INT64).setLongValue(meters))
                .addMetrics(Payload.Metric.newBuilder().setName("Node Info/Software Version").setAlias(VERSION_ALIAS)
                        .setTimestamp(now).setDatatype(STRING).setStringValue(version))
                .buildPartial().toByteArray();
    }

    /** Every metric of the device, with name, alias, datatype, unit and current value. */
    byte[] dbirth(long now, int seq, int deviceNumber, MetricCatalog catalog, Object[] values) {
        Payload.Builder p = Payload.newBuilder().setTimestamp(now).setSeq(seq);
        for (MetricCatalog.Def d : catalog.defs()) {
            Payload.Metric.Builder m = Payload.Metric.newBuilder().setName(d.name())
                    .setAlias(alias(deviceNumber, d.index())).setTimestamp(now).setDatatype(TYPES.get(d.kind()));
            if (!d.unit().isEmpty()) {
                m.setProperties(unit(d.unit()));
            }
            p.addMetrics(value(m, values[d.index()]));
        }
        return p.buildPartial().toByteArray();
    }

    /**
     * The given metrics by alias and value, all stamped {@code sampled} (when they were read),
     * flagged historical when they are sent after an outage.
     */
    byte[] ddata(long now, int seq, int deviceNumber, MetricCatalog catalog, int[] indexes, Object[] values,
            long sampled, boolean historical) {
        Payload.Builder p = Payload.newBuilder().setTimestamp(now).setSeq(seq);
        for (int i : indexes) {
            Payload.Metric.Builder m = Payload.Metric.newBuilder().setAlias(alias(deviceNumber, i)).setTimestamp(sampled);
            if (historical) {
                m.setIsHistorical(true);
            }
            p.addMetrics(value(m, values[i]));
        }
        return p.buildPartial().toByteArray();
    }

    /** A device's death: timestamp and seq, no metrics (section 6.4.26). */
    byte[] ddeath(long now, int seq) {
        return Payload.newBuilder().setTimestamp(now).setSeq(seq).buildPartial().toByteArray();
    }

    /**
     * Whether an NCMD asks for a rebirth: a metric {@code Node Control/Rebirth} with value true.
     *
     * @throws IllegalArgumentException if the bytes are no Sparkplug B payload
     */
    static boolean isRebirth(byte[] ncmd) {
        Payload p;
        try {
            p = Payload.parseFrom(ncmd);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        for (Payload.Metric m : p.getMetricsList()) {
            if (REBIRTH.equals(m.getName()) && m.hasBooleanValue() && m.getBooleanValue()) {
                return true;
            }
        }
        return false;
    }

    static long alias(int deviceNumber, int index) {
        return DEVICE_ALIAS_BLOCK * deviceNumber + index;
    }

    private Payload.PropertySet unit(String unit) {
        return units.computeIfAbsent(unit, u -> Payload.PropertySet.newBuilder().addKeys("engUnit")
                .addValues(Payload.PropertyValue.newBuilder().setType(PropertyDataType.String.toIntValue())
                        .setStringValue(u)).buildPartial());
    }

    /** The value in its field; an unknown one as is_null without a value (section 5.16). */
    private static Payload.Metric.Builder value(Payload.Metric.Builder m, Object v) {
        if (v == null) {
            return m.setIsNull(true);
        }
        if (v instanceof Double d) {
            return m.setDoubleValue(d);
        }
        if (v instanceof Boolean b) {
            return m.setBooleanValue(b);
        }
        if (v instanceof Long l) {
            return m.setLongValue(l);
        }
        return m.setStringValue((String) v);
    }
}
