package org.minimeter.gateway.app.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Locale;
import java.util.regex.Pattern;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.simulator.Harmonic;
import org.minimeter.gateway.hal.simulator.LoadProfile;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.outputs.OutputSettings;
import org.minimeter.gateway.outputs.PulseLedger;
import org.minimeter.gateway.persistence.RegisterSeed;
import org.minimeter.gateway.persistence.SavePolicy;

/**
 * One meter as the configuration describes it, checked: every value is within what the
 * device and the code support, or start-up stops with one line per bad key naming the key,
 * the value and what is allowed.
 *
 * @param simulator the simulated source's settings when {@code hal.source=simulator}
 */
public record MeterSetup(String id, int frequency, int elements, int ctRating, int sampleRate,
        int windowCycles, double creepFraction, double frequencyTolerance, double reverseSeconds,
        Duration logInterval, String source, SimulatorSettings simulator,
        Path storageDir, SavePolicy savePolicy, int keep, Optional<RegisterSeed> seed,
        OutputSettings outputs, String gpioProvider, Map<String, Integer> pins) {

    private static final Pattern ID = Pattern.compile("[a-z0-9_-]+");
    /** Sources this build can run. {@code replay} and hardware front ends come with later issues. */
    public static final List<String> SOURCES = List.of("simulator");
    public static final List<String> GPIO_PROVIDERS = List.of("auto", "gpiod", "linuxfs", "mock", "simulated");

    /** Checks and combines the three config groups; throws with every problem found. */
    public static MeterSetup from(MeterConfig m, HalConfig h, SimulatorConfig s, StorageConfig st, OutputsConfig o) {
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
        p.require(!st.dir().isBlank(), "storage.dir", st.dir(), "a directory path");
        p.require(st.saveWh() >= 0 && st.saveWh() <= 1000, "storage.save-wh", st.saveWh(), "0 to 1000 Wh");
        p.require(!st.saveInterval().isNegative() && st.saveInterval().compareTo(Duration.ofHours(1)) <= 0,
                "storage.save-interval", st.saveInterval(), "0s to 1h");
        p.require(st.keep() >= 2 && st.keep() <= 100, "storage.keep", st.keep(), "2 to 100 generations");
        Optional<RegisterSeed> seed = seed(st.seed(), p);
        p.require(inRange(o.dwell(), 1, 1000), "outputs.dwell", o.dwell(), "1ms to 1s");
        p.require(o.counter().wh() == 100 || o.counter().wh() == 1000, "outputs.counter.wh", o.counter().wh(),
                "100 or 1000");
        p.require(inRange(o.counter().on(), 20, 2000), "outputs.counter.on", o.counter().on(), "20ms to 2s");
        p.require(inRange(o.counter().off(), 20, 2000), "outputs.counter.off", o.counter().off(), "20ms to 2s");
        p.require(GPIO_PROVIDERS.contains(h.gpio().provider()), "hal.gpio.provider", h.gpio().provider(),
                String.join(", ", GPIO_PROVIDERS));
        Map<String, Integer> pins = new LinkedHashMap<>();
        pins.put(PulseLedger.PULSE10, h.gpio().pulse10());
        pins.put(PulseLedger.PULSE100, h.gpio().pulse100());
        pins.put(PulseLedger.PULSE1000, h.gpio().pulse1000());
        pins.put(PulseLedger.COUNTER, h.gpio().counter());
        Map<Integer, String> used = new java.util.HashMap<>();
        pins.forEach((name, pin) -> {
            p.require(pin >= 0 && pin <= 27, "hal.gpio." + name, pin, "BCM GPIO 0 to 27");
            String other = used.putIfAbsent(pin, name);
            p.require(other == null, "hal.gpio." + name, pin, "a GPIO not already used by hal.gpio." + other);
        });
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
                h.source(), sim.build(), Path.of(st.dir()),
                new SavePolicy(Math.round(st.saveWh() * 1e6), st.saveInterval().toNanos()), st.keep(), seed,
                new OutputSettings(o.dwell().toNanos(), o.counter().wh(), o.counter().on().toNanos(),
                        o.counter().off().toNanos()),
                h.gpio().provider(), Map.copyOf(pins));
    }

    private static boolean inRange(Duration d, long minMs, long maxMs) {
        return !d.isNegative() && d.toMillis() >= minMs && d.toMillis() <= maxMs;
    }

    private static Optional<RegisterSeed> seed(StorageConfig.Seed s, Problems p) {
        boolean values = s.deliveredKwh().isPresent() || s.receivedKwh().isPresent();
        if (s.id().isEmpty()) {
            p.require(!values, "storage.seed.id", "(unset)",
                    "a seed name (e.g. utility-2026-11-23) whenever storage.seed.delivered-kwh or received-kwh is set");
            return Optional.empty();
        }
        String id = s.id().get();
        p.require(id.matches("[A-Za-z0-9._:-]{1,64}"), "storage.seed.id", id, "1 to 64 of A-Z a-z 0-9 . _ : -");
        p.require(values, "storage.seed.id", id, "only together with storage.seed.delivered-kwh and/or received-kwh");
        OptionalLong delivered = kwhToMicroWh(s.deliveredKwh(), "storage.seed.delivered-kwh", p);
        OptionalLong received = kwhToMicroWh(s.receivedKwh(), "storage.seed.received-kwh", p);
        if (!id.matches("[A-Za-z0-9._:-]{1,64}") || !values) {
            return Optional.empty();
        }
        return Optional.of(new RegisterSeed(id, delivered, received, s.allowDecrease()));
    }

    private static OptionalLong kwhToMicroWh(OptionalDouble kwh, String key, Problems p) {
        if (kwh.isEmpty()) {
            return OptionalLong.empty();
        }
        double v = kwh.getAsDouble();
        boolean ok = v >= 0 && v <= 1e9;
        p.require(ok, key, v, "0 to 1000000000 kWh");
        return ok ? OptionalLong.of(Math.round(v * 1e9)) : OptionalLong.empty();
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
        lines.add("hal.source=" + source + " hal.block-ms=" + Math.round(simulator.blockSize() * 1000.0 / sampleRate)
                + " hal.gpio.provider=" + gpioProvider + " hal.gpio.pulse10=" + pins.get(PulseLedger.PULSE10)
                + " hal.gpio.pulse100=" + pins.get(PulseLedger.PULSE100) + " hal.gpio.pulse1000="
                + pins.get(PulseLedger.PULSE1000) + " hal.gpio.counter=" + pins.get(PulseLedger.COUNTER));
        lines.add("storage.dir=" + storageDir + " storage.save-wh=" + fmt(savePolicy.minMicroWh() / 1e6)
                + " storage.save-interval=" + fmt(Duration.ofNanos(savePolicy.minIntervalNanos()))
                + " storage.keep=" + keep + seed.map(sd -> " storage.seed.id=" + sd.id()
                        + sd.deliveredMicroWh().stream().mapToObj(v -> " storage.seed.delivered-kwh=" + fmt(v / 1e9))
                                .findFirst().orElse("")
                        + sd.receivedMicroWh().stream().mapToObj(v -> " storage.seed.received-kwh=" + fmt(v / 1e9))
                                .findFirst().orElse("")
                        + " storage.seed.allow-decrease=" + sd.allowDecrease()).orElse(""));
        lines.add("outputs.dwell=" + fmt(Duration.ofNanos(outputs.dwellNanos())) + " outputs.counter.wh="
                + outputs.counterWh() + " outputs.counter.on=" + fmt(Duration.ofNanos(outputs.counterOnNanos()))
                + " outputs.counter.off=" + fmt(Duration.ofNanos(outputs.counterOffNanos())));
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
