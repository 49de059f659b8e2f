package org.minimeter.gateway.modbus;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A meter as a register read shows it: the latest measurement window and the durable (saved)
 * register. Immutable: a read encodes one of these whole, so it never mixes two moments.
 *
 * <p>Energy comes from the durable register only: after a crash the register restarts from its
 * last save, so a value that was never saved could be read and then go down.
 *
 * @param frequency line frequency in Hz; NaN while the window is not bounded by zero crossings
 * @param elements element 1 first (1 or 2)
 * @param watts total active power (sum of the elements)
 * @param vars total fundamental reactive power
 * @param voltAmperes total apparent power (arithmetic sum of the elements' S)
 * @param powerFactor total P / total S, signed like P
 * @param deliveredMicroWh delivered (imported) energy in µWh: slot 0 the meter total (the net of
 *     the elements per window, as the pulse outputs count it), slot e element e
 * @param receivedMicroWh received (exported) energy in µWh, slots as {@code deliveredMicroWh}
 * @param events conditions seen in the latest window
 */
public record MeterValues(double frequency, List<ElementValues> elements, double watts, double vars,
        double voltAmperes, double powerFactor, long[] deliveredMicroWh, long[] receivedMicroWh,
        Set<MeterEvent> events) {

    public MeterValues {
        elements = List.copyOf(elements);
        if (elements.isEmpty() || elements.size() > 2) {
            throw new IllegalArgumentException("1 or 2 elements, not " + elements.size());
        }
        if (deliveredMicroWh.length != elements.size() + 1 || receivedMicroWh.length != elements.size() + 1) {
            throw new IllegalArgumentException("energy needs a total and one slot per element");
        }
        deliveredMicroWh = deliveredMicroWh.clone();
        receivedMicroWh = receivedMicroWh.clone();
        events = Set.copyOf(events);
    }

    /** Element {@code e}, 1-based as on the meter's terminals. */
    public ElementValues element(int e) {
        return elements.get(e - 1);
    }

    public long deliveredMicroWh(int slot) {
        return deliveredMicroWh[slot];
    }

    public long receivedMicroWh(int slot) {
        return receivedMicroWh[slot];
    }

    @Override
    public long[] deliveredMicroWh() {
        return deliveredMicroWh.clone();
    }

    @Override
    public long[] receivedMicroWh() {
        return receivedMicroWh.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MeterValues v && Double.compare(frequency, v.frequency) == 0
                && elements.equals(v.elements) && Double.compare(watts, v.watts) == 0
                && Double.compare(vars, v.vars) == 0 && Double.compare(voltAmperes, v.voltAmperes) == 0
                && Double.compare(powerFactor, v.powerFactor) == 0
                && Arrays.equals(deliveredMicroWh, v.deliveredMicroWh)
                && Arrays.equals(receivedMicroWh, v.receivedMicroWh) && events.equals(v.events);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * elements.hashCode() + Arrays.hashCode(deliveredMicroWh)) + Arrays.hashCode(receivedMicroWh);
    }

    @Override
    public String toString() {
        return "MeterValues[f=" + frequency + ", elements=" + elements + ", W=" + watts + ", var=" + vars + ", VA="
                + voltAmperes + ", PF=" + powerFactor + ", delivered µWh=" + Arrays.toString(deliveredMicroWh)
                + ", received µWh=" + Arrays.toString(receivedMicroWh) + ", events=" + events + "]";
    }
}
