package org.minimeter.gateway.sparkplug;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.tahu.SparkplugInvalidTypeException;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.PropertyDataType;
import org.eclipse.tahu.message.model.PropertySet;
import org.eclipse.tahu.message.model.PropertyValue;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/**
 * Sparkplug B payloads, through Eclipse Tahu's protobuf model (the only class that touches it
 * besides the command decoding below). Births carry names, aliases, datatypes and units; data
 * carries aliases and values only (Sparkplug 3.0 section 6.4.6: names and datatypes are left out
 * of DATA messages once aliases are in use).
 */
final class SparkplugCodec {

    static final String BDSEQ = "bdSeq";
    static final String REBIRTH = "Node Control/Rebirth";
    static final long BDSEQ_ALIAS = 1;
    static final long METERS_ALIAS = 2;
    static final long VERSION_ALIAS = 3;
    /** A device's metric aliases are {@code DEVICE_ALIAS_BLOCK x device number + index}. */
    static final long DEVICE_ALIAS_BLOCK = 1000;

    private final SparkplugBPayloadEncoder encoder = new SparkplugBPayloadEncoder();
    private final Map<String, PropertySet> units = new HashMap<>();

    /** The will: only the bdSeq metric, no seq (section 6.4.25). */
    byte[] ndeath(int bdSeq, long now) {
        return encode(new SparkplugBPayload(new Date(now), List.of(metric(BDSEQ, null, MetricDataType.Int64,
                (long) bdSeq, now, null)), null), false);
    }

    /**
     * seq 0, the bdSeq of the CONNECT's will, {@code Node Control/Rebirth} false without an alias
     * (section 5.17), and what the node itself reports: its meter count and software version.
     */
    byte[] nbirth(long now, int bdSeq, int meters, String version) {
        List<Metric> m = new ArrayList<>();
        m.add(metric(BDSEQ, BDSEQ_ALIAS, MetricDataType.Int64, (long) bdSeq, now, null));
        m.add(metric(REBIRTH, null, MetricDataType.Boolean, false, now, null));
        m.add(metric("Node Info/Meters", METERS_ALIAS, MetricDataType.UInt32, (long) meters, now, null));
        m.add(metric("Node Info/Software Version", VERSION_ALIAS, MetricDataType.String, version, now, null));
        return encode(new SparkplugBPayload(new Date(now), m, 0L), false);
    }

    /** Every metric of the device, with name, alias, datatype, unit and current value. */
    byte[] dbirth(long now, int seq, int deviceNumber, MetricCatalog catalog, Object[] values) {
        List<Metric> m = new ArrayList<>(catalog.size());
        for (MetricCatalog.Def d : catalog.defs()) {
            m.add(metric(d.name(), alias(deviceNumber, d.index()), type(d.kind()), tahuValue(d.kind(),
                    values[d.index()]), now, d.unit().isEmpty() ? null : unit(d.unit())));
        }
        return encode(new SparkplugBPayload(new Date(now), m, (long) seq), false);
    }

    /**
     * The given metrics by alias and value, all stamped {@code sampled} (when they were read),
     * flagged historical when they are sent after an outage.
     */
    byte[] ddata(long now, int seq, int deviceNumber, MetricCatalog catalog, int[] indexes, Object[] values,
            long sampled, boolean historical) {
        List<Metric> m = new ArrayList<>(indexes.length);
        for (int i : indexes) {
            MetricCatalog.Def d = catalog.def(i);
            Metric.MetricBuilder metric = new Metric.MetricBuilder(alias(deviceNumber, i), type(d.kind()), tahuValue(d.kind(),
                    values[i])).timestamp(new Date(sampled)).isHistorical(historical ? Boolean.TRUE : null);
            m.add(build(metric));
        }
        return encode(new SparkplugBPayload(new Date(now), m, (long) seq), true);
    }

    /** A device's death: timestamp and seq, no metrics (section 6.4.26). */
    byte[] ddeath(long now, int seq) {
        return encode(new SparkplugBPayload(new Date(now), new ArrayList<>(), (long) seq), false);
    }

    /** Whether an NCMD asks for a rebirth: a metric {@code Node Control/Rebirth} with value true. */
    static boolean isRebirth(byte[] ncmd) throws Exception {
        SparkplugBPayload p = new SparkplugBPayloadDecoder().buildFromByteArray(ncmd, null);
        for (Metric metric : p.getMetrics()) {
            if (REBIRTH.equals(metric.getName()) && Boolean.TRUE.equals(metric.getValue())) {
                return true;
            }
        }
        return false;
    }

    static long alias(int deviceNumber, int index) {
        return DEVICE_ALIAS_BLOCK * deviceNumber + index;
    }

    private PropertySet unit(String unit) {
        return units.computeIfAbsent(unit, u -> {
            try {
                return new PropertySet.PropertySetBuilder()
                        .addProperty("engUnit", new PropertyValue<>(PropertyDataType.String, u)).createPropertySet();
            } catch (SparkplugInvalidTypeException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static MetricDataType type(MetricCatalog.Kind kind) {
        return switch (kind) {
            case DOUBLE -> MetricDataType.Double;
            case BOOLEAN -> MetricDataType.Boolean;
            case UINT64 -> MetricDataType.UInt64;
            case STRING -> MetricDataType.String;
        };
    }

    private static Object tahuValue(MetricCatalog.Kind kind, Object v) {
        if (v == null) {
            return null;
        }
        return kind == MetricCatalog.Kind.UINT64 ? BigInteger.valueOf((Long) v) : v;
    }

    private static Metric metric(String name, Long alias, MetricDataType type, Object value, long ts,
            PropertySet properties) {
        Metric.MetricBuilder b = new Metric.MetricBuilder(name, type, value).timestamp(new Date(ts));
        if (alias != null) {
            b.alias(alias);
        }
        if (properties != null) {
            b.properties(properties);
        }
        return build(b);
    }

    /** A value that does not fit its datatype is a bug in the catalog, not a condition to handle. */
    private static Metric build(Metric.MetricBuilder b) {
        try {
            return b.createMetric();
        } catch (SparkplugInvalidTypeException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] encode(SparkplugBPayload payload, boolean stripDataTypes) {
        try {
            return encoder.getBytes(payload, stripDataTypes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
