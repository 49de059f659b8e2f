package org.minimeter.gateway.hal.atm90e32;

import java.util.ArrayList;
import java.util.List;

/**
 * What is written into an ATM90E32AS at set-up. Register values are the chip's own 16-bit codes
 * (its calibration procedure produces them; see the datasheet's "Calibration" section and the
 * application note): they are not converted from physical units here, so a calibration carried
 * over from another tool (ESPHome, the CircuitSetup sketch) keeps its exact meaning.
 *
 * @param lineFrequency 50 or 60 Hz: MMode0 bit 12 (Freq60Hz) selects the chip's nominal frequency
 * @param phases the chip phase each meter element is wired to, element 1 first (1 or 2 entries,
 *     distinct; a split-phase meter is {@code [A, C]})
 * @param calibration one entry per element, same order as {@code phases}
 * @param plConstant PL_constant (PLconstH:PLconstL, 32 bits): sets the meter constant
 *     MC = 4.5e11 / PL_constant pulses per kWh, hence the energy-register LSB (see
 *     {@link #microWhPerLsbNumerator()}). Datasheet default 0x0861C468 = 140 625 000, MC = 3200/kWh
 * @param pStartThreshold PStartTh: active startup (no-load) power threshold, chip code
 * @param qStartThreshold QStartTh: reactive startup power threshold, chip code
 * @param sStartThreshold SStartTh: apparent startup power threshold, chip code
 * @param pPhaseThreshold PPhaseTh: per-phase active power accumulation threshold, chip code
 * @param qPhaseThreshold QPhaseTh: per-phase reactive power accumulation threshold, chip code
 */
public record Atm90e32Config(
        int lineFrequency,
        List<Phase> phases,
        List<PhaseCalibration> calibration,
        long plConstant,
        int pStartThreshold,
        int qStartThreshold,
        int sStartThreshold,
        int pPhaseThreshold,
        int qPhaseThreshold) {

    /** Datasheet reset value of PL_constant: MC = 3200 pulses/kWh, 3.125 mWh per energy LSB. */
    public static final long DEFAULT_PL_CONSTANT = 0x0861C468L;

    /**
     * UgainX when the configuration gives none: ESPHome's and CircuitSetup's default for the
     * split-phase board's 9 V AC transformer (gain_voltage 7305). A starting point only: the
     * guided calibration replaces it.
     */
    public static final int DEFAULT_UGAIN = 7305;

    /** IgainX when the configuration gives none: ESPHome's default for an SCT-013-000 (gain_ct 27961). */
    public static final int DEFAULT_IGAIN = 27961;

    /**
     * Current-channel PGA gain (MMode1, two bits per phase): a CT whose burden voltage is small at
     * rated current gains resolution at x2 or x4, at the cost of clipping at a lower current.
     */
    public enum Pga {
        X1(0), X2(1), X4(2);

        final int code;

        Pga(int code) {
            this.code = code;
        }
    }

    /**
     * Calibration of one phase, as 16-bit register codes.
     *
     * @param ugain UgainX: voltage RMS gain (unsigned)
     * @param igain IgainX: current RMS gain (unsigned)
     * @param uoffset UoffsetX: voltage RMS offset (two's complement, 16 bits)
     * @param ioffset IoffsetX: current RMS offset (two's complement, 16 bits)
     * @param pqGain PQGainX: active/reactive power gain correction (two's complement; 0 = none)
     * @param phi PhiX: V/I phase angle correction (0 = none): corrects the CT's phase shift
     * @param pga current-channel PGA gain
     */
    public record PhaseCalibration(int ugain, int igain, int uoffset, int ioffset, int pqGain, int phi, Pga pga) {

        public PhaseCalibration {
            word("ugain", ugain);
            word("igain", igain);
            word("uoffset", uoffset);
            word("ioffset", ioffset);
            word("pqGain", pqGain);
            word("phi", phi);
            if (pga == null) {
                throw new IllegalArgumentException("pga must be X1, X2 or X4");
            }
        }

        /** Gains only, no offsets or phase correction, PGA x1. */
        public static PhaseCalibration gains(int ugain, int igain) {
            return new PhaseCalibration(ugain, igain, 0, 0, 0, 0, Pga.X1);
        }
    }

    public Atm90e32Config {
        if (lineFrequency != 50 && lineFrequency != 60) {
            throw new IllegalArgumentException("lineFrequency must be 50 or 60, was " + lineFrequency);
        }
        phases = List.copyOf(phases);
        calibration = List.copyOf(calibration);
        if (phases.isEmpty() || phases.size() > 2) {
            throw new IllegalArgumentException("phases: 1 or 2 elements, was " + phases);
        }
        if (phases.stream().distinct().count() != phases.size()) {
            throw new IllegalArgumentException("phases must be distinct, was " + phases);
        }
        if (calibration.size() != phases.size()) {
            throw new IllegalArgumentException("calibration: one entry per element (" + phases.size()
                    + "), was " + calibration.size());
        }
        if (plConstant < 1 || plConstant > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("plConstant must be in 1..0xFFFFFFFF, was " + plConstant);
        }
        word("pStartThreshold", pStartThreshold);
        word("qStartThreshold", qStartThreshold);
        word("sStartThreshold", sStartThreshold);
        word("pPhaseThreshold", pPhaseThreshold);
        word("qPhaseThreshold", qPhaseThreshold);
    }

    /**
     * Split-phase defaults as on the CircuitSetup board: phases A and C, default PL_constant,
     * startup thresholds PStartTh 0x0AFC / QStartTh 0x0AEC (half the starting current) and
     * PPhaseTh 0x00BC (a tenth), PGA x1.
     */
    public static Atm90e32Config splitPhase(int lineFrequency, int ugain, int igainA, int igainC) {
        return new Atm90e32Config(lineFrequency, List.of(Phase.A, Phase.C),
                List.of(PhaseCalibration.gains(ugain, igainA), PhaseCalibration.gains(ugain, igainC)),
                DEFAULT_PL_CONSTANT, 0x0AFC, 0x0AEC, 0x0000, 0x00BC, 0x0000);
    }

    /** One element on phase A with the split-phase defaults otherwise. */
    public static Atm90e32Config singlePhase(int lineFrequency, int ugain, int igain) {
        return new Atm90e32Config(lineFrequency, List.of(Phase.A), List.of(PhaseCalibration.gains(ugain, igain)),
                DEFAULT_PL_CONSTANT, 0x0AFC, 0x0AEC, 0x0000, 0x00BC, 0x0000);
    }

    public int elements() {
        return phases.size();
    }

    /**
     * This configuration with each phase's Ugain and Igain scaled: the chip's RMS values and
     * therefore its power and energy are proportional to them, so an installer's gain
     * correction is a product of codes.
     *
     * @throws IllegalArgumentException when a scaled code leaves the 16-bit register
     */
    public Atm90e32Config withGainFactors(double[] voltage, double[] current) {
        List<PhaseCalibration> l = new java.util.ArrayList<>();
        for (int e = 0; e < calibration.size(); e++) {
            PhaseCalibration c = calibration.get(e);
            long u = Math.round(c.ugain() * voltage[e]);
            long i = Math.round(c.igain() * current[e]);
            if (u < 1 || u > 0xFFFF || i < 1 || i > 0xFFFF) {
                throw new IllegalArgumentException("the calibration takes Ugain/Igain of element " + (e + 1) + " to "
                        + u + "/" + i + ", outside the chip's 1..65535: set atm90e32.ugain/igain nearer the board's values");
            }
            l.add(new PhaseCalibration((int) u, (int) i, c.uoffset(), c.ioffset(), c.pqGain(), c.phi(), c.pga()));
        }
        return new Atm90e32Config(lineFrequency, phases, l, plConstant, pStartThreshold, qStartThreshold,
                sStartThreshold, pPhaseThreshold, qPhaseThreshold);
    }

    /**
     * MMode0 (metering mode): bit 12 Freq60Hz; bit 8 3P3W for a split-phase pair A + C (the
     * chip then takes the A-C line voltages, phase B unwired); bit 7 CF2varh (CF2 pulses
     * reactive energy, unused here but the datasheet default); EnPA/EnPB/EnPC (bits 2/1/0) for
     * the phases that count into the all-phase sum. 60 Hz split-phase gives 0x1185, as ESPHome
     * and CircuitSetup write.
     */
    public int mmode0() {
        int v = 1 << 7;
        if (lineFrequency == 60) {
            v |= 1 << 12;
        }
        if (phases.size() == 2 && phases.contains(Phase.A) && phases.contains(Phase.C)) {
            v |= 1 << 8;
        }
        for (Phase p : phases) {
            v |= p.enableBit();
        }
        return v;
    }

    /** MMode1: two PGA bits per current channel, phase A in bits 1:0 (x2 on all three is 0x0015). */
    public int mmode1() {
        int v = 0;
        for (int e = 0; e < phases.size(); e++) {
            v |= calibration.get(e).pga().code << phases.get(e).pgaShift();
        }
        return v;
    }

    /**
     * Energy per register LSB is {@code PL_constant / 45000} µWh: an energy register counts in
     * 0.01 CF (hundredths of an energy pulse) and one pulse is 1/MC kWh with
     * MC = 4.5e11 / PL_constant, so 1 LSB = 0.01 x PL / 4.5e11 kWh = PL / 45000 µWh
     * (3125 µWh = 3.125 mWh at the default PL_constant, the CircuitSetup "count / 100 / 3200 kWh").
     * Returned as the exact numerator over {@link #MICRO_WH_PER_LSB_DENOMINATOR}.
     */
    public long microWhPerLsbNumerator() {
        return plConstant;
    }

    public static final long MICRO_WH_PER_LSB_DENOMINATOR = 45_000L;

    /** µWh per energy LSB (a convenience: the engine converts with exact integers). */
    public double microWhPerLsb() {
        return (double) plConstant / MICRO_WH_PER_LSB_DENOMINATOR;
    }

    /** A register write of the set-up sequence. */
    public record Write(int address, int value) {
        @Override
        public String toString() {
            return String.format("0x%03X <- 0x%04X", address, value);
        }
    }

    /**
     * The calibration writes, in order, without the unlock / enable / lock framing that
     * {@link Atm90e32#configure} adds: these are also what {@link Atm90e32#holdsConfig} reads back.
     */
    public List<Write> calibrationWrites() {
        List<Write> w = new ArrayList<>();
        w.add(new Write(Registers.PL_CONST_H, (int) (plConstant >>> 16)));
        w.add(new Write(Registers.PL_CONST_L, (int) (plConstant & 0xFFFF)));
        w.add(new Write(Registers.MMODE0, mmode0()));
        w.add(new Write(Registers.MMODE1, mmode1()));
        w.add(new Write(Registers.P_START_TH, pStartThreshold));
        w.add(new Write(Registers.Q_START_TH, qStartThreshold));
        w.add(new Write(Registers.S_START_TH, sStartThreshold));
        w.add(new Write(Registers.P_PHASE_TH, pPhaseThreshold));
        w.add(new Write(Registers.Q_PHASE_TH, qPhaseThreshold));
        for (int e = 0; e < phases.size(); e++) {
            Phase p = phases.get(e);
            PhaseCalibration c = calibration.get(e);
            w.add(new Write(p.interleavedPair(Registers.PQ_GAIN_A), c.pqGain()));
            w.add(new Write(p.interleavedPair(Registers.PHI_A), c.phi()));
            w.add(new Write(p.blockOfFour(Registers.UGAIN_A), c.ugain()));
            w.add(new Write(p.blockOfFour(Registers.IGAIN_A), c.igain()));
            w.add(new Write(p.blockOfFour(Registers.UOFFSET_A), c.uoffset()));
            w.add(new Write(p.blockOfFour(Registers.IOFFSET_A), c.ioffset()));
        }
        return List.copyOf(w);
    }

    private static void word(String name, int value) {
        if (value < 0 || value > 0xFFFF) {
            throw new IllegalArgumentException(name + " must be a 16-bit register code 0x0000..0xFFFF, was " + value);
        }
    }
}
