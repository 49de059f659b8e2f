package org.minimeter.gateway.metering;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What an installer's calibration found, per element, on top of what the front end declares
 * from its components (CT ratio, burden, divider, ADC reference): those carry tolerances of
 * a percent or so, and a CT's phase shift is not on any label, while class 0.5 leaves 0.5 %.
 *
 * @param elements one trim per element, in element order
 */
public record CalibrationTrim(List<ElementTrim> elements) {

    /** The largest gain correction accepted: beyond it the wiring or the configuration is wrong. */
    public static final double MAX_FACTOR_ERROR = 0.25;
    /** The largest phase correction accepted: 1 ms is 21.6 degrees at 60 Hz, far beyond any CT. */
    public static final double MAX_PHASE_MICROS = 1000;

    public CalibrationTrim {
        elements = List.copyOf(elements);
        if (elements.isEmpty() || elements.size() > 2) {
            throw new IllegalArgumentException("1 or 2 elements, was " + elements.size());
        }
    }

    /**
     * One element's corrections.
     *
     * @param voltageFactor multiplies the voltage channel's gain
     * @param currentFactor multiplies the current channel's gain
     * @param phaseMicros added to the current channel's delay: positive when the current was
     *     measured leading the voltage by more than it really does
     */
    public record ElementTrim(double voltageFactor, double currentFactor, double phaseMicros) {

        public static final ElementTrim NONE = new ElementTrim(1, 1, 0);

        public ElementTrim {
            checkFactor("voltage factor", voltageFactor);
            checkFactor("current factor", currentFactor);
            if (!(Math.abs(phaseMicros) <= MAX_PHASE_MICROS)) {
                throw new IllegalArgumentException("phase correction " + phaseMicros + " us is outside +-"
                        + MAX_PHASE_MICROS + " us: check that V and I are from the same circuit");
            }
        }

        private static void checkFactor(String name, double f) {
            if (!(Math.abs(f - 1) <= MAX_FACTOR_ERROR)) {
                throw new IllegalArgumentException(name + " " + f + " is outside 1 +- " + MAX_FACTOR_ERROR
                        + ": a correction this large means wrong wiring, CT ratio or reference values, not calibration");
            }
        }

        /** The front end's calibration of this element with the trim applied. */
        public ElementCalibration applyTo(ElementCalibration c) {
            return new ElementCalibration(c.voltage().trimmed(voltageFactor, 0),
                    c.current().trimmed(currentFactor, phaseMicros));
        }
    }

    /** No correction on any element. */
    public static CalibrationTrim none(int elements) {
        return new CalibrationTrim(Collections.nCopies(elements, ElementTrim.NONE));
    }

    public int size() {
        return elements.size();
    }

    /** Element {@code e}'s trim, 1-based. */
    public ElementTrim element(int e) {
        return elements.get(e - 1);
    }

    /** This trim with element {@code e} (1-based) replaced. */
    public CalibrationTrim with(int e, ElementTrim trim) {
        List<ElementTrim> l = new ArrayList<>(elements);
        l.set(e - 1, trim);
        return new CalibrationTrim(l);
    }

    /** The front end's calibration with every element's trim applied. */
    public List<ElementCalibration> applyTo(List<ElementCalibration> frontEnd) {
        if (frontEnd.size() != elements.size()) {
            throw new IllegalArgumentException("the calibration is for " + elements.size()
                    + " element(s), the front end has " + frontEnd.size());
        }
        List<ElementCalibration> out = new ArrayList<>(frontEnd.size());
        for (int e = 0; e < frontEnd.size(); e++) {
            out.add(elements.get(e).applyTo(frontEnd.get(e)));
        }
        return out;
    }
}
