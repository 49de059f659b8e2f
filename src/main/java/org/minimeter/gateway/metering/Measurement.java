package org.minimeter.gateway.metering;

import java.util.List;
import java.util.Set;

/**
 * The result of one measurement window: per element readings, totals, line frequency, the
 * meter-level conditions and the register as it stood after this window's energy was added.
 *
 * @param startIndex index of the window's first sample
 * @param seconds the window's duration (whole cycles when {@code synced})
 * @param frequency line frequency in Hz from the zero crossings; NaN when not synced
 * @param synced whether the window is bounded by rising zero crossings of the voltage
 * @param power total active power (sum of the elements)
 * @param reactive total fundamental reactive power
 * @param apparent total apparent power (arithmetic sum of the elements' S)
 * @param powerFactor total P / total S
 */
public record Measurement(
        long startIndex,
        double seconds,
        double frequency,
        boolean synced,
        List<ElementReading> elements,
        double power,
        double reactive,
        double apparent,
        double powerFactor,
        Set<Condition> conditions,
        EnergySnapshot energy) {

    public Measurement {
        elements = List.copyOf(elements);
        conditions = Set.copyOf(conditions);
    }

    /** Element {@code e}, 1-based as on the meter's terminals. */
    public ElementReading element(int e) {
        return elements.get(e - 1);
    }
}
