package org.minimeter.gateway.metering;

import java.util.Set;

/**
 * One element over one whole-cycle window. Units are in the names' documentation: volts,
 * amps, watts, vars, volt-amperes.
 *
 * @param voltage Vrms
 * @param current Irms
 * @param power active power P (negative while exporting)
 * @param reactive fundamental reactive power Q1 (IEEE 1459): positive when the current lags
 *     (inductive load), negative when it leads
 * @param apparent S = Vrms * Irms
 * @param nonActive N = sqrt(S^2 - P^2): everything that is not active power, including the
 *     distortion power that Q1 leaves out
 * @param powerFactor P / S (0 when S is 0), signed like P
 * @param conditions the per-element conditions seen in this window
 */
public record ElementReading(
        double voltage,
        double current,
        double power,
        double reactive,
        double apparent,
        double nonActive,
        double powerFactor,
        Set<Condition> conditions) {

    public ElementReading {
        conditions = Set.copyOf(conditions);
    }
}
