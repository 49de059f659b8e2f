package org.minimeter.gateway.metering;

import java.util.EnumSet;
import java.util.Set;

/**
 * The per-element range conditions of one measurement, whoever measured it (the sampled
 * engine or an energy-metering IC): supply outside the band, current above the CT's rating,
 * and power sustained below minus the creep threshold (a CT mounted backwards). Holds the
 * reverse-power time of each element between measurements.
 */
public final class ElementConditions {

    private final MeterSpec spec;
    private final double[] reverseSeconds;

    public ElementConditions(MeterSpec spec) {
        this.spec = spec;
        this.reverseSeconds = new double[spec.elements()];
    }

    /**
     * @param countReverse whether this measurement may count towards {@code ct_reversed} (a
     *     window without a zero crossing has no trustworthy sign of power)
     * @param seconds the measurement's length
     */
    public Set<Condition> of(int element, double vrms, double irms, double power, double seconds,
            boolean countReverse) {
        Set<Condition> conditions = EnumSet.noneOf(Condition.class);
        if (vrms > spec.maxVoltage()) {
            conditions.add(Condition.OVER_VOLTAGE);
        } else if (vrms < spec.minVoltage()) {
            conditions.add(Condition.UNDER_VOLTAGE);
        }
        if (irms > spec.maxCurrent()) {
            conditions.add(Condition.OVER_CURRENT);
        }
        if (countReverse && power < -spec.creepPowerWatts()) {
            reverseSeconds[element] += seconds;
        } else {
            reverseSeconds[element] = 0;
        }
        if (spec.reverseSeconds() > 0 && reverseSeconds[element] >= spec.reverseSeconds()) {
            conditions.add(Condition.CT_REVERSED);
        }
        return conditions;
    }
}
