package org.minimeter.gateway.modbus;

import java.nio.charset.StandardCharsets;

/**
 * The SunSpec map in holding registers (read with function 03), laid out as the SunSpec
 * information models define it (models 1, 201 and 202 of the SunSpec model repository):
 *
 * <pre>
 * 40000-40001  "SunS" marker (0-based protocol address 40000 = register 40001 in 1-based numbering)
 * 40002-40069  model 1, Common: ID 1, L 66, Mn, Md, Opt, Vr, SN, DA, Pad
 * 40070-40176  model 201 (1 element) or 202 (2 elements, split phase): ID, L 105, then the points
 * 40177-40178  end model: ID 0xFFFF, L 0
 * </pre>
 *
 * <p>Scale factors are fixed per meter (a client may read them once): each quantity's is the
 * smallest power of ten at which the meter's largest possible value still fits an int16, with
 * voltage up to twice nominal and current up to twice the CT rating per element. A value past
 * that range is clamped to +-32767, never wrapped. Points the meter does not have read as
 * SunSpec's "not implemented" values: int16 and sunssf 0x8000, acc32 0, strings NUL.
 */
final class SunSpecMap {

    static final int BASE = 40000;
    static final int COMMON = BASE + 2;
    static final int COMMON_LENGTH = 66;
    static final int METER = COMMON + 2 + COMMON_LENGTH;
    static final int METER_LENGTH = 105;
    static final int END = METER + 2 + METER_LENGTH;
    static final int SIZE = END + 2 - BASE;

    // Model 1 points (absolute addresses)
    static final int MN = COMMON + 2;
    static final int MD = MN + 16;
    static final int OPT = MD + 16;
    static final int VR = OPT + 8;
    static final int SN = VR + 8;
    static final int DA = SN + 16;
    static final int PAD = DA + 1;

    // Models 201 / 202 points (absolute addresses)
    static final int A = METER + 2;
    static final int APH_A = A + 1;
    static final int APH_B = A + 2;
    static final int APH_C = A + 3;
    static final int A_SF = A + 4;
    static final int PHV = A + 5;
    static final int PHV_A = A + 6;
    static final int PHV_B = A + 7;
    static final int PHV_C = A + 8;
    static final int PPV = A + 9;
    static final int PPV_AB = A + 10;
    static final int PPV_BC = A + 11;
    static final int PPV_CA = A + 12;
    static final int V_SF = A + 13;
    static final int HZ = A + 14;
    static final int HZ_SF = A + 15;
    static final int W = A + 16;
    static final int W_SF = W + 4;
    static final int VA = W + 5;
    static final int VA_SF = VA + 4;
    static final int VAR = VA + 5;
    static final int VAR_SF = VAR + 4;
    static final int PF = VAR + 5;
    static final int PF_SF = PF + 4;
    static final int TOT_WH_EXP = PF + 5;
    static final int TOT_WH_IMP = TOT_WH_EXP + 8;
    static final int TOT_WH_SF = TOT_WH_IMP + 8;
    static final int TOT_VAH_SF = TOT_WH_SF + 17;
    static final int TOT_VARH_SF = TOT_VAH_SF + 33;
    static final int EVT = TOT_VARH_SF + 1;

    static final int NOT_IMPLEMENTED = 0x8000;
    /** PF is a percentage in models 201-204; 0.01 % resolution. */
    static final int PF_SCALE = -2;
    static final int HZ_SCALE = -2;

    private SunSpecMap() {
    }

    /** The fixed scale factors of a meter, from its ratings. */
    record Scales(int amps, int volts, int power, int powerFactor, int hertz, int energy) {

        static Scales of(Nameplate n) {
            double vMax = 2.0 * n.nominalVolts();
            double iMax = 2.0 * n.ctRating();
            return new Scales(fit(n.elements() * iMax), fit(vMax), fit(n.elements() * vMax * iMax), PF_SCALE,
                    HZ_SCALE, n.energyScale());
        }

        /** The smallest power of ten (from -3) at which {@code max} fits an int16. */
        static int fit(double max) {
            int k = -3;
            while (max / Math.pow(10, k) > 32767) {
                k++;
            }
            return k;
        }
    }

    static MeterRegisters encode(Nameplate n, MeterValues v) {
        Scales sf = Scales.of(n);
        short[] r = new short[SIZE];
        Writer w = new Writer(r);
        w.ascii(BASE, "SunS", 2);

        w.u16(COMMON, 1);
        w.u16(COMMON + 1, COMMON_LENGTH);
        w.ascii(MN, "Mini Meter", 16);
        w.ascii(MD, n.model(), 16);
        w.ascii(OPT, "", 8);
        w.ascii(VR, n.version(), 8);
        w.ascii(SN, n.meterId(), 16);
        w.u16(DA, n.unitId());
        w.u16(PAD, NOT_IMPLEMENTED);

        boolean split = n.elements() == 2;
        w.u16(METER, split ? 202 : 201);
        w.u16(METER + 1, METER_LENGTH);
        for (int a = A; a < EVT; a++) {
            w.u16(a, NOT_IMPLEMENTED);
        }
        ElementValues e1 = v.element(1);
        ElementValues e2 = split ? v.element(2) : null;

        w.scaled(A, e1.amps() + (split ? e2.amps() : 0), sf.amps());
        w.scaled(APH_A, e1.amps(), sf.amps());
        if (split) {
            w.scaled(APH_B, e2.amps(), sf.amps());
            w.u16(APH_C, 0); // mandatory in model 202: a split-phase service has no phase C current
        }
        w.u16(A_SF, sf.amps());

        w.scaled(PHV, split ? (e1.volts() + e2.volts()) / 2 : e1.volts(), sf.volts());
        w.scaled(PHV_A, e1.volts(), sf.volts());
        if (split) {
            w.scaled(PHV_B, e2.volts(), sf.volts());
            // L1 and L2 of a split-phase service are in opposition: line to line is their sum
            w.scaled(PPV, e1.volts() + e2.volts(), sf.volts());
            w.scaled(PPV_AB, e1.volts() + e2.volts(), sf.volts());
        }
        w.u16(V_SF, sf.volts());

        w.scaled(HZ, v.frequency(), sf.hertz());
        w.u16(HZ_SF, sf.hertz());

        perPhase(w, W, v.watts(), e1.watts(), split ? e2.watts() : Double.NaN, sf.power());
        perPhase(w, VA, v.voltAmperes(), e1.voltAmperes(), split ? e2.voltAmperes() : Double.NaN, sf.power());
        perPhase(w, VAR, v.vars(), e1.vars(), split ? e2.vars() : Double.NaN, sf.power());
        perPhase(w, PF, 100 * v.powerFactor(), 100 * e1.powerFactor(), split ? 100 * e2.powerFactor() : Double.NaN,
                sf.powerFactor());

        energy(w, TOT_WH_EXP, v.receivedMicroWh(), n.elements(), sf.energy());
        energy(w, TOT_WH_IMP, v.deliveredMicroWh(), n.elements(), sf.energy());
        w.u16(TOT_WH_SF, sf.energy());
        // apparent and reactive energy are not accumulated: acc32 0, scale factors not implemented
        for (int a = TOT_WH_SF + 1; a < TOT_VAH_SF; a++) {
            w.u16(a, 0);
        }
        for (int a = TOT_VAH_SF + 1; a < TOT_VARH_SF; a++) {
            w.u16(a, 0);
        }
        int events = 0;
        for (MeterEvent e : v.events()) {
            events |= 1 << e.sunSpecBit();
        }
        w.u32(EVT, events);

        w.u16(END, 0xFFFF);
        w.u16(END + 1, 0);
        return new MeterRegisters(RegisterTable.HOLDING, BASE, r);
    }

    /** Total, phase A, phase B (NaN: none), phase C (none), and the scale factor. */
    private static void perPhase(Writer w, int at, double total, double a, double b, int sf) {
        w.scaled(at, total, sf);
        w.scaled(at + 1, a, sf);
        if (!Double.isNaN(b)) {
            w.scaled(at + 2, b, sf);
        }
        w.u16(at + 4, sf);
    }

    /** Total, then phases A, B, C: acc32 each, in units of 10^sf Wh, counting modulo 2^32. */
    private static void energy(Writer w, int at, long[] microWh, int elements, int sf) {
        w.u32(at, (int) accumulator(microWh[0], sf));
        for (int e = 1; e <= 3; e++) {
            w.u32(at + 2 * e, e <= elements ? (int) accumulator(microWh[e], sf) : 0);
        }
    }

    /** Whole units of 10^sf Wh, modulo 2^32. */
    static long accumulator(long microWh, int sf) {
        long units = microWh / 1_000_000;
        for (int k = 0; k < sf; k++) {
            units /= 10;
        }
        return units & 0xFFFF_FFFFL;
    }

    /** Writes 16-bit values at absolute addresses. */
    private static final class Writer {
        private final short[] r;

        Writer(short[] r) {
            this.r = r;
        }

        void u16(int address, int value) {
            r[address - BASE] = (short) value;
        }

        /** High word first, as SunSpec's 32-bit types. */
        void u32(int address, int value) {
            u16(address, value >>> 16);
            u16(address + 1, value & 0xFFFF);
        }

        /** value / 10^sf rounded, clamped to +-32767; NaN reads "not implemented". */
        void scaled(int address, double value, int sf) {
            if (Double.isNaN(value)) {
                u16(address, NOT_IMPLEMENTED);
                return;
            }
            long raw = Math.round(value / Math.pow(10, sf));
            u16(address, (int) Math.max(-32767, Math.min(32767, raw)));
        }

        /** ASCII, two characters per register (first in the high byte), NUL-padded, cut at the field's size. */
        void ascii(int address, String s, int registers) {
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            for (int k = 0; k < registers; k++) {
                int hi = 2 * k < b.length ? b[2 * k] & 0xFF : 0;
                int lo = 2 * k + 1 < b.length ? b[2 * k + 1] & 0xFF : 0;
                u16(address + k, hi << 8 | lo);
            }
        }
    }
}
