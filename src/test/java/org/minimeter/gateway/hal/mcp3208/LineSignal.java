package org.minimeter.gateway.hal.mcp3208;

/**
 * The line side of an accuracy point, as continuous functions of time: what a chip model
 * samples at whatever instant its conversion really happens. Element 2 is the other leg of a
 * split-phase service (180 degrees). Currents are CT primary amps.
 *
 * @param phaseDeg current lag behind voltage (negative: leading)
 */
public record LineSignal(double frequency, double voltageRms, double currentRms, double phaseDeg) {

    public double voltage(int element, double t) {
        return Math.sqrt(2) * voltageRms * Math.sin(2 * Math.PI * frequency * t + (element == 0 ? 0 : Math.PI));
    }

    public double current(int element, double t) {
        return Math.sqrt(2) * currentRms * Math.sin(2 * Math.PI * frequency * t + (element == 0 ? 0 : Math.PI)
                - Math.toRadians(phaseDeg));
    }

    /** V I cos(phi): the analytic active power of one element. */
    public double powerPerElement() {
        return voltageRms * currentRms * Math.cos(Math.toRadians(phaseDeg));
    }
}
