package org.minimeter.gateway.metering;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns per-window conditions into alarm events. An alarm is raised on the first window that
 * shows its condition and cleared only after {@link #CLEAR_AFTER_WINDOWS} windows in a row
 * without it, so a voltage hovering at a band edge does not flood subscribers.
 */
public final class AlarmMonitor {

    /** Five 200 ms windows: an alarm clears after one quiet second. */
    public static final int CLEAR_AFTER_WINDOWS = 5;

    private record Key(Condition condition, int element) {
    }

    private final MeterSpec spec;
    /** Active alarms and how many consecutive windows each has been absent. */
    private final Map<Key, Integer> active = new HashMap<>();

    public AlarmMonitor(MeterSpec spec) {
        this.spec = spec;
    }

    public List<AlarmEvent> update(Measurement m) {
        List<AlarmEvent> events = new ArrayList<>(0);
        Map<Key, Boolean> seen = new HashMap<>();
        for (Condition c : m.conditions()) {
            seen.put(new Key(c, 0), true);
        }
        for (int e = 1; e <= m.elements().size(); e++) {
            for (Condition c : m.element(e).conditions()) {
                seen.put(new Key(c, e), true);
            }
        }
        for (Key k : seen.keySet()) {
            if (active.put(k, 0) == null) {
                events.add(event(k, true, m));
            }
        }
        for (var it = active.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (seen.containsKey(entry.getKey())) {
                continue;
            }
            int quiet = entry.getValue() + 1;
            if (quiet >= CLEAR_AFTER_WINDOWS) {
                it.remove();
                events.add(event(entry.getKey(), false, m));
            } else {
                entry.setValue(quiet);
            }
        }
        return events;
    }

    private AlarmEvent event(Key k, boolean raised, Measurement m) {
        ElementReading r = k.element() > 0 ? m.element(k.element()) : null;
        double value;
        double limit;
        switch (k.condition()) {
            case OVER_VOLTAGE -> {
                value = r.voltage();
                limit = spec.maxVoltage();
            }
            case UNDER_VOLTAGE -> {
                value = r.voltage();
                limit = spec.minVoltage();
            }
            case OVER_CURRENT -> {
                value = r.current();
                limit = spec.maxCurrent();
            }
            case CT_REVERSED -> {
                value = r.power();
                limit = -spec.creepPowerWatts();
            }
            case FREQUENCY_OFF_NOMINAL -> {
                value = m.frequency();
                limit = spec.nominalFrequency() * (1 + Math.signum(m.frequency() - spec.nominalFrequency())
                        * spec.frequencyTolerance());
            }
            default -> {
                value = Double.NaN;
                limit = Double.NaN;
            }
        }
        return new AlarmEvent(k.condition(), k.element(), raised, m.startIndex(), value, limit);
    }
}
