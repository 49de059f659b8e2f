package org.minimeter.gateway.metering;

import java.util.Arrays;

/**
 * An immutable copy of the energy register. Slot 0 is the meter total, slot {@code e} is
 * element {@code e} (1-based), each in whole micro-watt-hours: integers, so a register that
 * runs for years neither drifts nor loses resolution.
 *
 * @param committedSamples samples whose energy is in the register (the register's "time")
 */
public record EnergySnapshot(long[] deliveredMicroWh, long[] receivedMicroWh, long committedSamples) {

    public EnergySnapshot {
        if (deliveredMicroWh.length != receivedMicroWh.length || deliveredMicroWh.length < 2) {
            throw new IllegalArgumentException("need total and per-element slots");
        }
        deliveredMicroWh = deliveredMicroWh.clone();
        receivedMicroWh = receivedMicroWh.clone();
    }

    public static EnergySnapshot zero(int elements) {
        return new EnergySnapshot(new long[elements + 1], new long[elements + 1], 0);
    }

    public int elements() {
        return deliveredMicroWh.length - 1;
    }

    /** Delivered (imported) energy of slot 0 (total) or element 1..n, in µWh. */
    public long deliveredMicroWh(int slot) {
        return deliveredMicroWh[slot];
    }

    /** Received (exported) energy of slot 0 (total) or element 1..n, in µWh. */
    public long receivedMicroWh(int slot) {
        return receivedMicroWh[slot];
    }

    public double deliveredKwh(int slot) {
        return deliveredMicroWh[slot] / 1e9;
    }

    public double receivedKwh(int slot) {
        return receivedMicroWh[slot] / 1e9;
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
        return o instanceof EnergySnapshot s
                && committedSamples == s.committedSamples
                && Arrays.equals(deliveredMicroWh, s.deliveredMicroWh)
                && Arrays.equals(receivedMicroWh, s.receivedMicroWh);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(deliveredMicroWh) + Arrays.hashCode(receivedMicroWh))
                + Long.hashCode(committedSamples);
    }

    @Override
    public String toString() {
        return "EnergySnapshot[delivered µWh=" + Arrays.toString(deliveredMicroWh)
                + ", received µWh=" + Arrays.toString(receivedMicroWh)
                + ", committedSamples=" + committedSamples + "]";
    }
}
