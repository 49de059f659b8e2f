package org.minimeter.gateway.hal.simulator;

/** RMS current drawn on an element as a function of simulated time. */
@FunctionalInterface
public interface LoadProfile {

    /** Amps rms on element {@code element} (1-based) at {@code seconds} since the start. */
    double current(double seconds, int element);

    static LoadProfile constant(double amps) {
        if (!(amps >= 0) || !Double.isFinite(amps)) {
            throw new IllegalArgumentException("current must be >= 0 A, was " + amps);
        }
        return (t, e) -> amps;
    }

    /**
     * A house on a 200 A service: a standing base load, a fridge compressor cycling 10 min in
     * 30, a 4.5 kW water heater on element 2 for 20 min every 2 h, and a cooking peak each
     * evening, scaled to the CT rating so a 100 A CT sees half the amps.
     */
    static LoadProfile household(double ctRating) {
        double scale = ctRating / 200.0;
        return (t, e) -> {
            double minuteOfDay = (t / 60.0) % 1440.0;
            double amps = e == 1 ? 1.6 : 0.9;
            if ((t % 1800.0) < 600.0) {
                amps += e == 1 ? 1.4 : 0;
            }
            if (e == 2 && (t % 7200.0) < 1200.0) {
                amps += 18.75;
            }
            if (minuteOfDay >= 17 * 60 && minuteOfDay < 19 * 60) {
                amps += 8.0;
            }
            // a slow wander so the power line on a chart is not perfectly flat
            amps *= 1.0 + 0.05 * Math.sin(2 * Math.PI * t / 97.0 + e);
            return amps * scale;
        };
    }
}
