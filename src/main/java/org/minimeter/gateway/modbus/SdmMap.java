package org.minimeter.gateway.modbus;

/**
 * An Eastron SDM-style map in input registers (read with function 04): IEEE 754 single
 * precision floats, two registers each, high word first, at the addresses of the SDM630
 * (three-phase) meter. A 2-element meter fills L1 and L2 and reads 0 on L3; a 1-element meter
 * fills L1 only, which is the SDM120's layout (its registers are the SDM630's L1 and totals).
 * Every address from 0x0000 to 0x016B can be read; those this map does not fill read 0, so
 * block reads across them work as on the meter.
 */
final class SdmMap {

    static final int SIZE = 0x016C;

    static final int VOLTS_L1 = 0x0000;
    static final int AMPS_L1 = 0x0006;
    static final int WATTS_L1 = 0x000C;
    static final int VA_L1 = 0x0012;
    static final int VAR_L1 = 0x0018;
    static final int PF_L1 = 0x001E;
    static final int ANGLE_L1 = 0x0024;
    static final int AVERAGE_VOLTS = 0x002A;
    static final int AVERAGE_AMPS = 0x002E;
    static final int SUM_AMPS = 0x0030;
    static final int TOTAL_WATTS = 0x0034;
    static final int TOTAL_VA = 0x0038;
    static final int TOTAL_VAR = 0x003C;
    static final int TOTAL_PF = 0x003E;
    static final int TOTAL_ANGLE = 0x0042;
    static final int FREQUENCY = 0x0046;
    static final int IMPORT_KWH = 0x0048;
    static final int EXPORT_KWH = 0x004A;
    static final int TOTAL_KWH = 0x0156;
    static final int IMPORT_KWH_L1 = 0x015A;
    static final int EXPORT_KWH_L1 = 0x0160;
    static final int TOTAL_KWH_L1 = 0x0166;

    private SdmMap() {
    }

    static MeterRegisters encode(Nameplate n, MeterValues v) {
        short[] r = new short[SIZE];
        int elements = v.elements().size();
        double volts = 0;
        double amps = 0;
        for (int e = 1; e <= elements; e++) {
            ElementValues x = v.element(e);
            int phase = 2 * (e - 1);
            put(r, VOLTS_L1 + phase, x.volts());
            put(r, AMPS_L1 + phase, x.amps());
            put(r, WATTS_L1 + phase, x.watts());
            put(r, VA_L1 + phase, x.voltAmperes());
            put(r, VAR_L1 + phase, x.vars());
            put(r, PF_L1 + phase, x.powerFactor());
            put(r, ANGLE_L1 + phase, angle(x.watts(), x.vars()));
            put(r, IMPORT_KWH_L1 + phase, kwh(v.deliveredMicroWh(e)));
            put(r, EXPORT_KWH_L1 + phase, kwh(v.receivedMicroWh(e)));
            put(r, TOTAL_KWH_L1 + phase, kwh(v.deliveredMicroWh(e) + v.receivedMicroWh(e)));
            volts += x.volts();
            amps += x.amps();
        }
        put(r, AVERAGE_VOLTS, volts / elements);
        put(r, AVERAGE_AMPS, amps / elements);
        put(r, SUM_AMPS, amps);
        put(r, TOTAL_WATTS, v.watts());
        put(r, TOTAL_VA, v.voltAmperes());
        put(r, TOTAL_VAR, v.vars());
        put(r, TOTAL_PF, v.powerFactor());
        put(r, TOTAL_ANGLE, angle(v.watts(), v.vars()));
        put(r, FREQUENCY, v.frequency());
        put(r, IMPORT_KWH, kwh(v.deliveredMicroWh(0)));
        put(r, EXPORT_KWH, kwh(v.receivedMicroWh(0)));
        put(r, TOTAL_KWH, kwh(v.deliveredMicroWh(0) + v.receivedMicroWh(0)));
        return new MeterRegisters(RegisterTable.INPUT, 0, r);
    }

    /** Rounding to float is monotonic: a register that grows never reads smaller. */
    private static double kwh(long microWh) {
        return microWh / 1e9;
    }

    /** The angle of the current behind the voltage, degrees, from P and Q (0 when both are 0). */
    private static double angle(double watts, double vars) {
        return watts == 0 && vars == 0 ? 0 : Math.toDegrees(Math.atan2(vars, watts));
    }

    private static void put(short[] r, int address, double value) {
        int bits = Float.floatToIntBits((float) value);
        r[address] = (short) (bits >>> 16);
        r[address + 1] = (short) bits;
    }
}
