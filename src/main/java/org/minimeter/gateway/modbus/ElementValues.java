package org.minimeter.gateway.modbus;

/**
 * One element (one phase of the service) over the latest measurement window, in physical units.
 *
 * @param volts Vrms, line to neutral
 * @param amps Irms
 * @param watts active power P, negative while exporting
 * @param vars fundamental reactive power Q1, positive when the current lags
 * @param voltAmperes apparent power S = Vrms x Irms
 * @param powerFactor P / S, signed like P
 */
public record ElementValues(double volts, double amps, double watts, double vars, double voltAmperes,
        double powerFactor) {
}
