package org.minimeter.gateway.app.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.minimeter.gateway.hal.simulator.Harmonic;
import org.minimeter.gateway.hal.simulator.LoadProfile;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.MeterSpec;

/**
 * The {@code simulator} source's configuration: the flat {@code simulator.*} keys, overridden
 * per meter by {@code meters.<id>.simulator.*}, checked against the meter it feeds.
 */
public final class SimulatorSource {

    private SimulatorSource() {
    }

    /** {@code meters.<id>.simulator.*}: each unset key takes the flat {@code simulator.*} value. */
    public interface Keys {
        Optional<Double> voltage();

        /** A constant load; unset here and in {@code simulator.current}: a household profile. */
        Optional<Double> current();

        Optional<Double> phaseDeg();

        Optional<Double> speed();

        Optional<Double> lineFrequency();

        Optional<Integer> adcBits();

        Optional<Double> noiseLsb();

        Optional<Double> skewUs();

        Optional<List<String>> harmonics();

        Optional<Long> seed();

        /** While this file exists the source delivers no samples (a stalled ADC, for tests and demos). */
        Optional<String> faultFile();
    }

    /**
     * What the meter around the source has already settled.
     *
     * @param problemsBefore the problem count when this meter's checks began: settings are only
     *     built from a meter with none
     */
    record Meter(int nominal, int elements, int ctRating, int sampleRate, Setting<Integer> sampleRateKey,
            int blockMs, int problemsBefore) {
    }

    /** @param describe the effective {@code simulator.*} values for the start-up log */
    record Checked(SimulatorSettings settings, Optional<Path> faultFile, String describe) {
    }

    /** Null when this meter has a problem. */
    static Checked check(Scope sc, SimulatorConfig flat, Optional<Keys> perMeter, Meter m, Problems p) {
        Optional<Keys> own = sc.named() ? perMeter : Optional.empty();
        double vNominal = MeterSpec.nominalVoltage(m.nominal());
        Setting<Optional<Double>> voltage = sc.pickOptional(own.flatMap(Keys::voltage), "simulator.voltage",
                Scope.boxed(flat.voltage()), "simulator.voltage");
        double volts = voltage.value().orElse(vNominal);
        p.require(volts >= 0 && volts <= 2 * vNominal, voltage, volts,
                "0 to " + MeterSetup.fmt(2 * vNominal) + " V rms (twice nominal)");
        Setting<Optional<Double>> current = sc.pickOptional(own.flatMap(Keys::current), "simulator.current",
                Scope.boxed(flat.current()), "simulator.current");
        current.value().ifPresent(i -> p.require(i >= 0 && i <= 2.0 * m.ctRating(), current, i,
                "0 to " + 2 * m.ctRating() + " A rms (twice the CT rating)"));
        Setting<Double> phase = sc.pick(own.flatMap(Keys::phaseDeg), "simulator.phase-deg", flat.phaseDeg(),
                "simulator.phase-deg");
        p.require(phase.value() >= -180 && phase.value() <= 360, phase, "-180 to 360 degrees");
        Setting<Double> speed = sc.pick(own.flatMap(Keys::speed), "simulator.speed", flat.speed(), "simulator.speed");
        p.require(speed.value() > 0 && speed.value() <= 10000, speed,
                "more than 0 and at most 10000 (simulated seconds per second)");
        Setting<Optional<Double>> line = sc.pickOptional(own.flatMap(Keys::lineFrequency),
                "simulator.line-frequency", Scope.boxed(flat.lineFrequency()), "simulator.line-frequency");
        double lineFrequency = line.value().orElse((double) m.nominal());
        p.require(lineFrequency >= 40 && lineFrequency <= 70, line, lineFrequency, "40 to 70 Hz");
        Setting<Integer> bits = sc.pick(own.flatMap(Keys::adcBits), "simulator.adc-bits", flat.adcBits(),
                "simulator.adc-bits");
        p.require(bits.value() == 0 || (bits.value() >= 8 && bits.value() <= 24), bits, "0 (ideal) or 8 to 24");
        Setting<Double> noise = sc.pick(own.flatMap(Keys::noiseLsb), "simulator.noise-lsb", flat.noiseLsb(),
                "simulator.noise-lsb");
        p.require(noise.value() >= 0 && noise.value() <= 100, noise, "0 to 100 LSB");
        // the current channel is converted within the same sample period as the voltage
        double maxSkew = 1e6 / Math.max(1, m.sampleRate());
        Setting<Double> skew = sc.pick(own.flatMap(Keys::skewUs), "simulator.skew-us", flat.skewUs(),
                "simulator.skew-us");
        p.require(skew.value() >= 0 && skew.value() <= maxSkew, skew, "0 to " + MeterSetup.fmt(maxSkew)
                + " us (one sample period at " + m.sampleRateKey().key() + ")");
        Setting<Optional<List<String>>> harmonicKeys = sc.pickOptional(own.flatMap(Keys::harmonics),
                "simulator.harmonics", flat.harmonics(), "simulator.harmonics");
        List<Harmonic> harmonics = new ArrayList<>();
        for (String text : harmonicKeys.value().orElse(List.of())) {
            Harmonic parsed = parseHarmonic(text);
            p.require(parsed != null, harmonicKeys, text,
                    "order:voltage%:current% with order 2..50 and percentages 0..100, e.g. 5:10:40");
            if (parsed != null) {
                harmonics.add(parsed);
            }
        }
        Setting<Optional<Long>> seed = sc.pickOptional(own.flatMap(Keys::seed), "simulator.seed",
                Scope.boxed(flat.seed()), "simulator.seed");
        Setting<Optional<String>> fault = sc.pickOptional(own.flatMap(Keys::faultFile), "simulator.fault-file",
                flat.faultFile(), "simulator.fault-file");
        Optional<Path> faultFile = fault.value().map(f -> path(f, fault, p));
        if (p.count() > m.problemsBefore()) {
            return null;
        }

        SimulatorSettings.Builder sim = SimulatorSettings.builder(m.nominal(), m.elements(), m.ctRating())
                .sampleRate(m.sampleRate())
                .voltage(volts)
                .phaseDeg(phase.value())
                .speed(speed.value())
                .lineFrequency(lineFrequency)
                .adcBits(bits.value())
                .noiseLsb(bits.value() == 0 ? 0 : noise.value())
                .skewMicros(skew.value())
                .blockSize(Math.max(1, m.sampleRate() * m.blockMs() / 1000))
                .harmonics(harmonics)
                .seed(seed.value().orElse(1L));
        sim.load(current.value().isPresent() ? LoadProfile.constant(current.value().get())
                : LoadProfile.household(m.ctRating()));
        SimulatorSettings s = sim.build();
        String describe = String.format(Locale.ROOT,
                "simulator.voltage=%s simulator.current=%s simulator.phase-deg=%s simulator.speed=%s "
                        + "simulator.line-frequency=%s simulator.adc-bits=%d simulator.noise-lsb=%s "
                        + "simulator.skew-us=%s simulator.harmonics=%s simulator.seed=%d simulator.fault-file=%s",
                MeterSetup.fmt(s.voltage()), current.value().map(MeterSetup::fmt).orElse("household-profile"),
                MeterSetup.fmt(s.phaseDeg()), MeterSetup.fmt(s.speed()), MeterSetup.fmt(s.lineFrequency()),
                s.adcBits(), MeterSetup.fmt(s.noiseLsb()), MeterSetup.fmt(s.skewMicros()),
                s.harmonics().isEmpty() ? "none" : String.join(",", s.harmonics().stream()
                        .map(h -> h.order() + ":" + MeterSetup.fmt(h.voltageFraction() * 100) + ":"
                                + MeterSetup.fmt(h.currentFraction() * 100)).toList()),
                s.seed(), faultFile.map(Path::toString).orElse("(none)"));
        return new Checked(s, faultFile, describe);
    }

    private static Path path(String text, Setting<?> key, Problems p) {
        try {
            p.require(!text.isBlank(), key, text, "a file path");
            return Path.of(text);
        } catch (InvalidPathException e) {
            p.require(false, key, text, "a file path (" + e.getReason() + ")");
            return null;
        }
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
}
