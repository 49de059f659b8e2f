package org.minimeter.gateway.sparkplug;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;

/** A meter as the edge node sees it, with values a test sets: V, I, PF per element and energy in µWh. */
final class FakeMeter implements DeviceView {

    final int elements;
    volatile boolean available = true;
    volatile double volts = 120;
    volatile double amps = 10;
    volatile double pf = 1;
    volatile double frequency = 60;
    volatile long deliveredMicroWh;
    volatile boolean measured = true;
    final Map<String, Long> pulses = new TreeMap<>();
    final List<String> alarms = new ArrayList<>();

    FakeMeter(int elements) {
        this.elements = elements;
    }

    @Override
    public boolean available() {
        return available;
    }

    @Override
    public int elements() {
        return elements;
    }

    @Override
    public Measurement latest() {
        if (!measured) {
            return null;
        }
        List<ElementReading> el = new ArrayList<>();
        double s = volts * amps;
        for (int e = 0; e < elements; e++) {
            el.add(new ElementReading(volts, amps, s * pf, s * Math.sqrt(1 - pf * pf), s, 0, pf, Set.of()));
        }
        return new Measurement(0, 0.2, frequency, true, el, elements * s * pf, elements * s * Math.sqrt(1 - pf * pf),
                elements * s, pf, Set.of(), energy());
    }

    @Override
    public EnergySnapshot energy() {
        long[] d = new long[elements + 1];
        long[] r = new long[elements + 1];
        d[0] = deliveredMicroWh;
        for (int e = 1; e <= elements; e++) {
            d[e] = deliveredMicroWh / elements;
        }
        return new EnergySnapshot(d, r, 0);
    }

    @Override
    public Map<String, Long> pulses() {
        return Map.copyOf(pulses);
    }

    @Override
    public Collection<String> activeAlarms() {
        return List.copyOf(alarms);
    }

    @Override
    public String sourceState() {
        return available ? "running" : "failed";
    }
}
