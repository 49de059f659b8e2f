package org.minimeter.gateway.sparkplug;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;

/**
 * Every metric of a meter as a Sparkplug device, in a fixed order: a metric's index is its place
 * here (stable for a given number of elements) and its alias is {@code 1000 x device number +
 * index}. Names use Sparkplug's {@code /} folders; units go in each metric's {@code engUnit}
 * property.
 */
final class MetricCatalog {

    /** The value types used, each one Sparkplug datatype. */
    enum Kind {
        DOUBLE, BOOLEAN, UINT64, STRING
    }

    /** The output names of the pulse counters, as in the register. */
    static final List<String> PULSE_OUTPUTS = List.of("pulse10", "pulse100", "pulse1000", "counter");

    /** What a scan reads once per meter, for every metric to pick from. */
    record Reading(Measurement latest, EnergySnapshot energy, Map<String, Long> pulses, Set<String> alarms,
            String source) {
    }

    interface Extractor {
        Object value(Reading r);
    }

    /**
     * @param quantity the deadband this metric is compared with, null for booleans, strings and
     *     counters (every change is reported)
     * @param unit the {@code engUnit} property, empty for none
     */
    record Def(int index, String name, Kind kind, String unit, Quantity quantity, Extractor extractor) {
    }

    private static final MetricCatalog[] BY_ELEMENTS = {null, build(1), build(2)};

    private final int elements;
    private final List<Def> defs;

    private MetricCatalog(int elements, List<Def> defs) {
        this.elements = elements;
        this.defs = List.copyOf(defs);
    }

    static MetricCatalog forElements(int elements) {
        if (elements < 1 || elements >= BY_ELEMENTS.length) {
            throw new IllegalArgumentException("1 or 2 elements, was " + elements);
        }
        return BY_ELEMENTS[elements];
    }

    int elements() {
        return elements;
    }

    List<Def> defs() {
        return defs;
    }

    int size() {
        return defs.size();
    }

    /** The current value of every metric (null where unknown: before the first window, NaN). */
    Object[] read(DeviceView view) {
        Collection<String> active = view.activeAlarms();
        Reading r = new Reading(view.latest(), view.energy(), view.pulses(), new HashSet<>(active),
                view.sourceState());
        Object[] out = new Object[defs.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = defs.get(i).extractor().value(r);
        }
        return out;
    }

    /**
     * The indexes of the metrics whose value moved past its deadband since {@code last}
     * (everything when {@code last} is null), in catalog order.
     */
    int[] changes(Object[] last, Object[] now, EdgeNodeSettings settings) {
        int[] out = new int[now.length];
        int n = 0;
        for (int i = 0; i < now.length; i++) {
            if (last == null || changed(defs.get(i), last[i], now[i], settings)) {
                out[n++] = i;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static boolean changed(Def d, Object was, Object is, EdgeNodeSettings settings) {
        if (was == null || is == null) {
            return was != is;
        }
        if (d.quantity() != null && is instanceof Double v && was instanceof Double w) {
            return settings.deadband(d.quantity()).exceeded(w, v);
        }
        return !was.equals(is);
    }

    // --- the catalog

    private static MetricCatalog build(int elements) {
        List<Def> d = new ArrayList<>();
        analog(d, "Energy/Delivered", "kWh", Quantity.ENERGY, r -> kwh(r.energy().deliveredMicroWh(0)));
        analog(d, "Energy/Received", "kWh", Quantity.ENERGY, r -> kwh(r.energy().receivedMicroWh(0)));
        analog(d, "Power/Active", "W", Quantity.POWER, r -> r.latest() == null ? null : finite(r.latest().power()));
        analog(d, "Power/Reactive", "var", Quantity.POWER,
                r -> r.latest() == null ? null : finite(r.latest().reactive()));
        analog(d, "Power/Apparent", "VA", Quantity.POWER,
                r -> r.latest() == null ? null : finite(r.latest().apparent()));
        analog(d, "Power Factor", "", Quantity.POWER_FACTOR,
                r -> r.latest() == null ? null : finite(r.latest().powerFactor()));
        analog(d, "Frequency", "Hz", Quantity.FREQUENCY,
                r -> r.latest() == null ? null : finite(r.latest().frequency()));
        for (int e = 1; e <= elements; e++) {
            int el = e;
            String p = "L" + e + "/";
            analog(d, p + "Energy/Delivered", "kWh", Quantity.ENERGY, r -> kwh(r.energy().deliveredMicroWh(el)));
            analog(d, p + "Energy/Received", "kWh", Quantity.ENERGY, r -> kwh(r.energy().receivedMicroWh(el)));
            analog(d, p + "Voltage", "V", Quantity.VOLTAGE, r -> element(r, el, ElementReading::voltage));
            analog(d, p + "Current", "A", Quantity.CURRENT, r -> element(r, el, ElementReading::current));
            analog(d, p + "Power/Active", "W", Quantity.POWER, r -> element(r, el, ElementReading::power));
            analog(d, p + "Power/Reactive", "var", Quantity.POWER, r -> element(r, el, ElementReading::reactive));
            analog(d, p + "Power/Apparent", "VA", Quantity.POWER, r -> element(r, el, ElementReading::apparent));
            analog(d, p + "Power Factor", "", Quantity.POWER_FACTOR, r -> element(r, el, ElementReading::powerFactor));
        }
        for (Condition c : Condition.values()) {
            if (!c.perElement()) {
                String key = c.key();
                d.add(new Def(d.size(), "Alarms/" + key, Kind.BOOLEAN, "", null, r -> r.alarms().contains(key)));
            }
        }
        for (int e = 1; e <= elements; e++) {
            for (Condition c : Condition.values()) {
                if (c.perElement()) {
                    String key = c.key() + ":L" + e;
                    d.add(new Def(d.size(), "L" + e + "/Alarms/" + c.key(), Kind.BOOLEAN, "", null,
                            r -> r.alarms().contains(key)));
                }
            }
        }
        for (String output : PULSE_OUTPUTS) {
            d.add(new Def(d.size(), "Pulses/" + output, Kind.UINT64, "pulses", null,
                    r -> r.pulses().getOrDefault(output, 0L)));
        }
        d.add(new Def(d.size(), "Source/State", Kind.STRING, "", null, Reading::source));
        return new MetricCatalog(elements, d);
    }

    private static void analog(List<Def> d, String name, String unit, Quantity q, Extractor x) {
        d.add(new Def(d.size(), name, Kind.DOUBLE, unit, q, x));
    }

    private interface ElementValue {
        double of(ElementReading e);
    }

    private static Double element(Reading r, int element, ElementValue v) {
        Measurement m = r.latest();
        if (m == null || m.elements().size() < element) {
            return null;
        }
        return finite(v.of(m.element(element)));
    }

    /** Energy in kWh from whole µWh: exact to 1e-9 kWh, and never lower than a smaller register. */
    static Double kwh(long microWh) {
        return microWh / 1e9;
    }

    /** Sparkplug has no NaN worth sending: an unknown value is reported as null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
