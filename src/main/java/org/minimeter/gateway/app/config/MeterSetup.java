package org.minimeter.gateway.app.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.simulator.Harmonic;
import org.minimeter.gateway.hal.simulator.LoadProfile;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.MeterSpec;

/**
 * One meter as the configuration describes it, checked: every value is within what the
 * device and the code support, or start-up stops with one line per bad key naming the key,
 * the value and what is allowed.
 *
 * @param simulator the simulated source's settings when {@code hal.source=simulator}
 */
public record MeterSetup(String id, int frequency, int elements, int ctRating, int sampleRate,
        int windowCycles, double creepFraction, double frequencyTolerance, double reverseSeconds,
        Duration logInterval, String source, SimulatorSettings simulator) {

    private static final Pattern ID = Pattern.compile("[a-z0-9_-]+");
    /** Sources this build can run. {@code replay} and hardware front ends come with later issues. */
    public static final List<String> SOURCES = List.of("simulator");

    /** Checks and combines the three config groups; throws with every problem found. */
    public static MeterSetup from(MeterConfig m, HalConfig h, SimulatorConfig s) {
        Problems p = new Problems();
        p.require(ID.matcher(m.id()).matches(), "meter.id", m.id(),
                "lower-case letters, digits, '_' and '-' ([a-z0-9_-]+)");
        p.require(m.frequency() == 50 || m.frequency() == 60, "meter.frequency", m.frequency(), "50 or 60");
        p.require(m.elements() == 1 || m.elements() == 2, "meter.elements", m.elements(), "1 or 2");
        p.require(m.ctRating() == 100 || m.ctRating() == 200, "meter.ct-rating", m.ctRating(), "100 or 200");
        p.require(m.sampleRate() >= 2000 && m.sampleRate() <= 32000, "meter.sample-rate", m.sampleRate(),
                "2000 to 32000 samples per second");
        int nominal = m.frequency() == 50 ? 50 : 60;
        int cycles = m.windowCycles().orElse(nominal / 5);
        p.require(cycles >= 1 && cycles <= 600, "meter.window-cycles", cycles, "1 to 600 cycles");
        p.require(m.creepFraction() >= 0 && m.creepFraction() < 0.01, "meter.creep-fraction", m.creepFraction(),
                "0 to 0.01 (fraction of nominal V x rated A)");
        p.require(m.frequencyTolerancePct() > 0 && m.frequencyTolerancePct() <= 20, "meter.frequency-tolerance-pct",
                m.frequencyTolerancePct(), "more than 0 and at most 20 (percent)");
        p.require(m.ctReversedSeconds() >= 0 && m.ctReversedSeconds() <= 86400, "meter.ct-reversed-seconds",
                m.ctReversedSeconds(), "0 (off) to 86400 seconds");
        p.require(!m.logInterval().isNegative() && m.logInterval().toMillis() >= 100, "meter.log-interval",
                m.logInterval(), "at least 100ms");
        p.require(SOURCES.contains(h.source()), "hal.source", h.source(), String.join(", ", SOURCES));
        p.require(h.blockMs() >= 5 && h.blockMs() <= 1000, "hal.block-ms", h.blockMs(), "5 to 1000 ms");

        double vNominal = MeterSpec.nominalVoltage(nominal);
        double voltage = s.voltage().orElse(vNominal);
        p.require(voltage >= 0 && voltage <= 2 * vNominal, "simulator.voltage", voltage,
                "0 to " + fmt(2 * vNominal) + " V rms (twice nominal)");
        s.current().ifPresent(i -> p.require(i >= 0 && i <= 2.0 * m.ctRating(), "simulator.current", i,
                "0 to " + 2 * m.ctRating() + " A rms (twice the CT rating)"));
        p.require(s.phaseDeg() >= -180 && s.phaseDeg() <= 360, "simulator.phase-deg", s.phaseDeg(),
                "-180 to 360 degrees");
        p.require(s.speed() > 0 && s.speed() <= 10000, "simulator.speed", s.speed(),
                "more than 0 and at most 10000 (simulated seconds per second)");
        double lineFrequency = s.lineFrequency().orElse(nominal);
        p.require(lineFrequency >= 40 && lineFrequency <= 70, "simulator.line-frequency", lineFrequency,
                "40 to 70 Hz");
        p.require(s.adcBits() == 0 || (s.adcBits() >= 8 && s.adcBits() <= 24), "simulator.adc-bits", s.adcBits(),
                "0 (ideal) or 8 to 24");
        p.require(s.noiseLsb() >= 0 && s.noiseLsb() <= 100, "simulator.noise-lsb", s.noiseLsb(), "0 to 100 LSB");
        double maxSkew = 1e6 / Math.max(1, m.sampleRate());
        p.require(s.skewUs() >= 0 && s.skewUs() <= maxSkew, "simulator.skew-us", s.skewUs(),
                "0 to " + fmt(maxSkew) + " us (one sample period at meter.sample-rate)");
        List<Harmonic> harmonics = new ArrayList<>();
        for (String text : s.harmonics().orElse(List.of())) {
            Harmonic parsed = parseHarmonic(text);
            p.require(parsed != null, "simulator.harmonics", text,
                    "order:voltage%:current% with order 2..50 and percentages 0..100, e.g. 5:10:40");
            if (parsed != null) {
                harmonics.add(parsed);
            }
        }
        p.throwIfAny();

        SimulatorSettings.Builder sim = SimulatorSettings.builder(nominal, m.elements(), m.ctRating())
                .sampleRate(m.sampleRate())
                .voltage(voltage)
                .phaseDeg(s.phaseDeg())
                .speed(s.speed())
                .lineFrequency(lineFrequency)
                .adcBits(s.adcBits())
                .noiseLsb(s.adcBits() == 0 ? 0 : s.noiseLsb())
                .skewMicros(s.skewUs())
                .blockSize(Math.max(1, m.sampleRate() * h.blockMs() / 1000))
                .harmonics(harmonics)
                .seed(s.seed().orElse(1L));
        sim.load(s.current().isPresent() ? LoadProfile.constant(s.current().getAsDouble())
                : LoadProfile.household(m.ctRating()));
        return new MeterSetup(m.id(), nominal, m.elements(), m.ctRating(), m.sampleRate(), cycles,
                m.creepFraction(), m.frequencyTolerancePct() / 100, m.ctReversedSeconds(), m.logInterval(),
                h.source(), sim.build());
    }

    private static Harmonic parseHarmonic(String text) {
        String[] parts = text.trim().split(":");
        if (parts.length != 3) {
            return null;
        }
        try {
            int order = Integer.parseInt(parts[0].trim());
            double v = Double.parseDouble(parts[1].trim());
            double i = Double.parseDouble(parts[2].trim());
            if (order < 2 || order > 50 || !(v >= 0 && v <= 100) || !(i >= 0 && i <= 100)) {
                return null;
            }
            return new Harmonic(order, v / 100, i / 100, 0);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The metering's view of this meter, with the calibration its source declares. */
    public MeterSpec spec(FrontEnd frontEnd) {
        if (frontEnd.elements() != elements || frontEnd.sampleRate() != sampleRate) {
            throw new IllegalStateException("source delivers " + frontEnd.elements() + " elements at "
                    + frontEnd.sampleRate() + " Hz, meter " + id + " expects " + elements + " at " + sampleRate);
        }
        return new MeterSpec(frequency, ctRating, sampleRate, windowCycles, frontEnd.calibration(),
                creepFraction, frequencyTolerance, reverseSeconds);
    }

    /** The effective configuration, one line per group, for the start-up log. */
    public List<String> describe(SimulatorConfig s) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT,
                "meter.id=%s meter.frequency=%d meter.elements=%d meter.ct-rating=%d meter.sample-rate=%d "
                        + "meter.window-cycles=%d meter.creep-fraction=%s meter.frequency-tolerance-pct=%s "
                        + "meter.ct-reversed-seconds=%s meter.log-interval=%s",
                id, frequency, elements, ctRating, sampleRate, windowCycles, fmt(creepFraction),
                fmt(frequencyTolerance * 100), fmt(reverseSeconds), fmt(logInterval)));
        lines.add("hal.source=" + source + " hal.block-ms=" + Math.round(simulator.blockSize() * 1000.0 / sampleRate));
        if ("simulator".equals(source)) {
            lines.add(String.format(Locale.ROOT,
                    "simulator.voltage=%s simulator.current=%s simulator.phase-deg=%s simulator.speed=%s "
                            + "simulator.line-frequency=%s simulator.adc-bits=%d simulator.noise-lsb=%s "
                            + "simulator.skew-us=%s simulator.harmonics=%s simulator.seed=%d",
                    fmt(simulator.voltage()),
                    s.current().isPresent() ? fmt(s.current().getAsDouble()) : "household-profile",
                    fmt(simulator.phaseDeg()), fmt(simulator.speed()), fmt(simulator.lineFrequency()),
                    simulator.adcBits(), fmt(simulator.noiseLsb()), fmt(simulator.skewMicros()),
                    simulator.harmonics().isEmpty() ? "none" : String.join(",", simulator.harmonics().stream()
                            .map(h -> h.order() + ":" + fmt(h.voltageFraction() * 100) + ":"
                                    + fmt(h.currentFraction() * 100)).toList()),
                    simulator.seed()));
        }
        return lines;
    }

    /** A number as a person writes it: 60, not 60.0. */
    public static String fmt(double d) {
        if (!Double.isFinite(d)) {
            return Double.toString(d);
        }
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    /** A duration as it is written in the configuration: 10s, 500ms. */
    public static String fmt(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static final class Problems {
        private final List<String> lines = new ArrayList<>();

        void require(boolean ok, String key, Object value, String allowed) {
            if (!ok) {
                String shown = value instanceof Double d ? fmt(d)
                        : value instanceof Duration t ? fmt(t) : String.valueOf(value);
                lines.add(key + "=" + shown + " is not allowed: allowed " + allowed);
            }
        }

        void throwIfAny() {
            if (!lines.isEmpty()) {
                throw new InvalidConfigException(lines);
            }
        }
    }
}
