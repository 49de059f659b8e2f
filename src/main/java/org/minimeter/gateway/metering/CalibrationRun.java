package org.minimeter.gateway.metering;

import java.util.OptionalDouble;
import java.util.Set;

/**
 * One element's readings over a calibration run, averaged, and the trim that makes them agree
 * with a reference: a known load or a reference meter read at the same time.
 *
 * <p>Gains come from the RMS values: voltage factor Vref/Vmeasured, current factor
 * Iref/Imeasured. The phase comes from the angle between V and I: the meter measures
 * phi = atan2(Q, P); the reference gives its own angle from its P and Q, or from its P alone
 * (PF = P / (V I)). A timing error of d seconds between the channels shows as an angle error
 * of 2 pi f d, which costs (1 - cos) at PF 1 but tan(phi) times it at lower PF: 20 us is
 * 0.01 % of energy at PF 1 and 1.3 % at PF 0.5. So the phase is only solved from a reference
 * with PF 0.9 or lower (or with its Q); near PF 1 the angle carries too little information
 * and the phase is left alone.
 */
public final class CalibrationRun {

    /** Below this reference PF (above 25.8 degrees) the phase can be solved from P alone. */
    public static final double MAX_PF_FOR_PHASE = 0.9;

    /**
     * What the reference says about the element during the run.
     *
     * @param voltage line volts RMS
     * @param current primary amps RMS
     * @param power watts, if the reference gives it (negative while exporting)
     * @param reactive vars (positive for a lagging, inductive load), if the reference gives it
     */
    public record Reference(double voltage, double current, OptionalDouble power, OptionalDouble reactive) {

        public Reference {
            if (!(voltage > 0) || !Double.isFinite(voltage)) {
                throw new IllegalArgumentException("reference voltage must be a positive number of volts, was "
                        + voltage);
            }
            if (!(current > 0) || !Double.isFinite(current)) {
                throw new IllegalArgumentException("reference current must be a positive number of amps, was "
                        + current);
            }
            if (power.isPresent() && (!Double.isFinite(power.getAsDouble())
                    || Math.abs(power.getAsDouble()) > voltage * current * 1.0001)) {
                throw new IllegalArgumentException("reference power " + power.getAsDouble()
                        + " W cannot exceed V x I = " + voltage * current + " VA");
            }
            if (reactive.isPresent() && (power.isEmpty() || !Double.isFinite(reactive.getAsDouble()))) {
                throw new IllegalArgumentException("a reference reactive power needs the reference power as well");
            }
        }

        /** The reference's angle between V and I in radians, when it gives enough to know it. */
        OptionalDouble angle(double measuredAngle) {
            if (power.isEmpty()) {
                return OptionalDouble.empty();
            }
            double p = power.getAsDouble();
            if (reactive.isPresent()) {
                return OptionalDouble.of(Math.atan2(reactive.getAsDouble(), p));
            }
            double pf = Math.max(-1, Math.min(1, p / (voltage * current)));
            if (Math.abs(pf) > MAX_PF_FOR_PHASE) {
                return OptionalDouble.empty();
            }
            // P alone leaves the sign of the angle open: lagging or leading as the meter sees it
            return OptionalDouble.of(Math.copySign(Math.acos(pf), measuredAngle));
        }
    }

    /** The run's mean readings, weighted by each window's duration. */
    public record Averages(int windows, int skipped, double seconds, double voltage, double current, double power,
            double reactive, double frequency) {

        /** The measured angle between V and I in radians. */
        public double angle() {
            return Math.atan2(reactive, power);
        }
    }

    /** Relative errors of the meter against the reference (0.01 = reads 1 % high); NaN where not given. */
    public record Errors(double voltage, double current, double power, double reactive) {

        public static Errors of(Averages a, Reference r) {
            return new Errors(a.voltage() / r.voltage() - 1, a.current() / r.current() - 1,
                    r.power().isPresent() ? relative(a.power(), r.power().getAsDouble()) : Double.NaN,
                    r.reactive().isPresent() ? relative(a.reactive(), r.reactive().getAsDouble()) : Double.NaN);
        }

        private static double relative(double measured, double reference) {
            return reference == 0 ? Double.NaN : measured / reference - 1;
        }
    }

    /**
     * @param trim the element's new trim (the old one with this run's corrections composed in)
     * @param before the errors with the old trim
     * @param phaseSolved false when the reference gave too little to solve the phase (the old
     *     phase is kept); {@link #phaseNote} says why
     */
    public record Result(CalibrationTrim.ElementTrim trim, Errors before, boolean phaseSolved, String phaseNote) {
    }

    private static final Set<Condition> UNUSABLE = Set.of(Condition.CLIPPING, Condition.SAMPLE_GAP,
            Condition.BAD_BLOCK, Condition.NO_ZERO_CROSSING, Condition.SOURCE_FAILED, Condition.FRONT_END_FAULT);

    private final int element;
    private int windows;
    private int skipped;
    private double seconds;
    private double sumV;
    private double sumI;
    private double sumP;
    private double sumQ;
    private double sumF;

    /** A run over element {@code element} (1-based). */
    public CalibrationRun(int element) {
        if (element < 1 || element > 2) {
            throw new IllegalArgumentException("element must be 1 or 2, was " + element);
        }
        this.element = element;
    }

    public int element() {
        return element;
    }

    /**
     * Adds one window. Windows that cannot be trusted for calibration (clipped, with a sample
     * gap or bad block, without zero crossings) are counted and left out.
     */
    public void add(Measurement m) {
        ElementReading r = m.element(element);
        if (!m.synced() || hasAny(m.conditions()) || hasAny(r.conditions())) {
            skipped++;
            return;
        }
        double w = m.seconds();
        windows++;
        seconds += w;
        sumV += r.voltage() * w;
        sumI += r.current() * w;
        sumP += r.power() * w;
        sumQ += r.reactive() * w;
        sumF += m.frequency() * w;
    }

    private static boolean hasAny(Set<Condition> c) {
        for (Condition x : UNUSABLE) {
            if (c.contains(x)) {
                return true;
            }
        }
        return false;
    }

    public Averages averages() {
        if (seconds == 0) {
            return new Averages(windows, skipped, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        return new Averages(windows, skipped, seconds, sumV / seconds, sumI / seconds, sumP / seconds,
                sumQ / seconds, sumF / seconds);
    }

    /**
     * The trim that would have made this run read like the reference.
     *
     * @param old the element's trim during the run
     * @throws IllegalArgumentException when the run saw no usable window, no voltage or current,
     *     or the correction would be too large to be calibration
     */
    public Result solve(Reference ref, CalibrationTrim.ElementTrim old) {
        Averages a = averages();
        if (a.windows() == 0) {
            throw new IllegalArgumentException("no usable measurement window on element " + element + " (" + a.skipped()
                    + " skipped for clipping, gaps or no zero crossings)");
        }
        if (!(a.voltage() > 0) || !(a.current() > 0)) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "element %d measured %.3f V and %.4f A: calibration needs voltage and a load on this element",
                    element, a.voltage(), a.current()));
        }
        Errors before = Errors.of(a, ref);
        double vf = old.voltageFactor() * ref.voltage() / a.voltage();
        double cf = old.currentFactor() * ref.current() / a.current();
        double phase = old.phaseMicros();
        double measured = a.angle();
        OptionalDouble reference = ref.angle(measured);
        String note;
        boolean solved = reference.isPresent();
        if (solved) {
            double error = reference.getAsDouble() - measured;
            // wrap into (-pi, pi]: a reference at -179 degrees and a reading at +179 are 2 degrees apart
            error = Math.atan2(Math.sin(error), Math.cos(error));
            // The metering delays the current by its delay; a current seen lagging too little
            // (its samples still run ahead) needs more delay: d = error / (2 pi f).
            phase += error / (2 * Math.PI * a.frequency()) * 1e6;
            note = String.format(java.util.Locale.ROOT, "phase corrected by %.2f us (%.3f degrees)",
                    phase - old.phaseMicros(), Math.toDegrees(error));
        } else if (ref.power().isEmpty()) {
            note = "phase not adjusted: give the reference power (and reactive power, or use a PF 0.5 load)";
        } else {
            note = String.format(java.util.Locale.ROOT, "phase not adjusted: the reference PF %.3f is above %.1f;"
                    + " use a PF 0.5 load or give the reference's reactive power",
                    ref.power().getAsDouble() / (ref.voltage() * ref.current()), MAX_PF_FOR_PHASE);
        }
        return new Result(new CalibrationTrim.ElementTrim(vf, cf, phase), before, solved, note);
    }
}
