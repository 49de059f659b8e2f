package org.minimeter.gateway.metering;

/**
 * The meter's energy register: delivered and received energy per element and in total,
 * as whole micro-watt-hours plus a carried fraction (below 1 µWh) per quantity.
 *
 * <p>Each window's net energy is split by sign: positive goes to delivered, negative to
 * received. The split is made per element for the element registers and on the sum of the
 * elements for the total, as a two-element meter's single register (and its pulse outputs)
 * sees the net of both legs. The integer part can only grow; the carried fraction is what
 * keeps many small windows (0.1 % load is 1.3 mWh per window) from being rounded away.
 */
public final class EnergyRegister {

    /** 1 J = 1/3600 Wh. */
    public static final double MICRO_WH_PER_JOULE = 1e6 / 3600.0;

    private final long[] delivered;
    private final long[] received;
    private final double[] deliveredCarry;
    private final double[] receivedCarry;
    private long committedSamples;

    public EnergyRegister(int elements) {
        this(EnergySnapshot.zero(elements));
    }

    /** Continues from a saved register (the carried fractions restart at zero: < 1 µWh each). */
    public EnergyRegister(EnergySnapshot start) {
        this.delivered = start.deliveredMicroWh();
        this.received = start.receivedMicroWh();
        this.deliveredCarry = new double[delivered.length];
        this.receivedCarry = new double[delivered.length];
        this.committedSamples = start.committedSamples();
        for (int s = 0; s < delivered.length; s++) {
            if (delivered[s] < 0 || received[s] < 0) {
                throw new IllegalArgumentException("a register never holds negative energy: " + start);
            }
        }
    }

    public int elements() {
        return delivered.length - 1;
    }

    /**
     * Adds one window: the net energy of each element in joules, and how many samples it
     * covered. Non-finite energies are a programming error upstream and are refused whole.
     */
    public void add(double[] elementJoules, long samples) {
        double total = 0;
        for (int e = 0; e < elements(); e++) {
            if (!Double.isFinite(elementJoules[e])) {
                throw new IllegalArgumentException("non-finite energy for element " + (e + 1));
            }
            total += elementJoules[e];
        }
        for (int e = 0; e < elements(); e++) {
            addSigned(e + 1, elementJoules[e]);
        }
        addSigned(0, total);
        committedSamples += samples;
    }

    private void addSigned(int slot, double joules) {
        if (joules >= 0) {
            carry(delivered, deliveredCarry, slot, joules * MICRO_WH_PER_JOULE);
        } else {
            carry(received, receivedCarry, slot, -joules * MICRO_WH_PER_JOULE);
        }
    }

    private static void carry(long[] whole, double[] fraction, int slot, double microWh) {
        double sum = fraction[slot] + microWh;
        long units = (long) Math.floor(sum);
        whole[slot] = Math.addExact(whole[slot], units);
        fraction[slot] = sum - units;
    }

    /** Delivered energy of a slot including the carried fraction, in Wh (for tests and display). */
    public double deliveredWh(int slot) {
        return (delivered[slot] + deliveredCarry[slot]) / 1e6;
    }

    /** Received energy of a slot including the carried fraction, in Wh. */
    public double receivedWh(int slot) {
        return (received[slot] + receivedCarry[slot]) / 1e6;
    }

    public long committedSamples() {
        return committedSamples;
    }

    public EnergySnapshot snapshot() {
        return new EnergySnapshot(delivered, received, committedSamples);
    }
}
