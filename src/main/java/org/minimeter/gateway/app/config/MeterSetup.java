package org.minimeter.gateway.app.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.replay.ReplaySettings;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.outputs.OutputSettings;
import org.minimeter.gateway.outputs.PulseLedger;
import org.minimeter.gateway.persistence.MeterCalibration;
import org.minimeter.gateway.persistence.RegisterSeed;
import org.minimeter.gateway.persistence.SavePolicy;

/**
 * One meter as the configuration describes it, checked: every value is within what the
 * device and the code support, or start-up stops with one line per bad key naming the key,
 * the value and what is allowed. Built from the flat keys ({@link #from}) or, for
 * {@code meters.<id>.*}, by {@link GatewaySetup}.
 *
 * @param source the source's name ({@link SourceKind#id()})
 * @param simulator the simulated source's settings when {@code source=simulator}
 * @param storageDir the parent of this meter's register directory ({@link #registerDir()})
 * @param pins physical outputs by output name; empty: pulse events only, no lines
 * @param blockMs samples reach the metering in blocks of this many milliseconds
 * @param faultFile while this file exists the simulated source delivers nothing
 * @param sourceDescription the source's effective keys for the start-up log
 * @param spi the device and chip configuration of a hardware front end
 * @param invert channels wired backwards ({@code v1}, {@code i1}, {@code v2}, {@code i2})
 */
public record MeterSetup(String id, int frequency, int elements, int ctRating, int sampleRate,
        int windowCycles, double creepFraction, double frequencyTolerance, double reverseSeconds,
        Duration logInterval, String source, SimulatorSettings simulator,
        Path storageDir, SavePolicy savePolicy, int keep, Optional<RegisterSeed> seed,
        OutputSettings outputs, String gpioProvider, Map<String, Integer> pins,
        int blockMs, Optional<Path> faultFile, String sourceDescription, Optional<ReplaySettings> replay,
        Optional<SpiSource.Settings> spi, java.util.Set<String> invert) {

    static final Pattern ID = Pattern.compile("[a-z0-9_-]+");
    static final String ID_ALLOWED = "lower-case letters, digits, '_' and '-' ([a-z0-9_-]+)";
    /** The gateway's shared outbox is {@code <storage.dir>/outbox}: no meter may take that name. */
    public static final String RESERVED_ID = "outbox";
    /** Sources this build can run. */
    public static final List<String> SOURCES = java.util.Arrays.stream(SourceKind.values()).map(SourceKind::id)
            .toList();
    public static final List<String> GPIO_PROVIDERS = List.of("auto", "gpiod", "linuxfs", "mock", "simulated");
    /** Output names in the order of their keys. */
    static final List<String> OUTPUTS = List.of(PulseLedger.PULSE10, PulseLedger.PULSE100, PulseLedger.PULSE1000,
            PulseLedger.COUNTER);

    /** The flat keys as one meter (no {@code meters.*}); throws with every problem found. */
    public static MeterSetup from(MeterConfig m, HalConfig h, SimulatorConfig s, StorageConfig st, OutputsConfig o) {
        return from(m, h, s, ReplayConfig.DEFAULTS, st, o);
    }

    /** The flat keys as one meter (no {@code meters.*}); throws with every problem found. */
    public static MeterSetup from(MeterConfig m, HalConfig h, SimulatorConfig s, ReplayConfig r, StorageConfig st,
            OutputsConfig o) {
        Problems p = new Problems();
        MeterSetup setup = check(Scope.FLAT, m.id(), Optional.empty(), m, h, s, r, st, o, p);
        p.throwIfAny();
        return setup;
    }

    /** This meter without a register seed (a seed of the configuration is applied once, at start). */
    public MeterSetup withoutSeed() {
        return withSeed(Optional.empty());
    }

    /** This meter with {@code seed} to apply when it is opened (an operator's seeding through the API). */
    public MeterSetup withSeed(Optional<RegisterSeed> s) {
        return new MeterSetup(id, frequency, elements, ctRating, sampleRate, windowCycles, creepFraction,
                frequencyTolerance, reverseSeconds, logInterval, source, simulator, storageDir, savePolicy, keep, s,
                outputs, gpioProvider, pins, blockMs, faultFile, sourceDescription, replay, spi, invert);
    }

    /** This meter's register: {@code <storage dir>/<id>}. */
    public Path registerDir() {
        return storageDir.resolve(id);
    }

    /** True when the meter drives pulse and counter lines (otherwise it only publishes pulse events). */
    public boolean hasOutputLines() {
        return !pins.isEmpty();
    }

    /**
     * One meter's keys over the flat ones; null when a problem was added. Keys shared by the
     * whole gateway (log interval, save policy, output timing, GPIO provider) are always flat.
     */
    static MeterSetup check(Scope sc, String id, Optional<MetersConfig.MeterEntry> entry, MeterConfig m,
            HalConfig h, SimulatorConfig s, ReplayConfig r, StorageConfig st, OutputsConfig o, Problems p) {
        int before = p.count();
        Optional<MetersConfig.MeterEntry> e = sc.named() ? entry : Optional.empty();
        if (!sc.named()) {
            p.require(ID.matcher(id).matches(), "meter.id", id, ID_ALLOWED);
            p.require(!RESERVED_ID.equals(id), "meter.id", id,
                    "any id but " + RESERVED_ID + " (the shared MQTT outbox is <storage.dir>/outbox)");
        }
        Setting<Integer> frequency = sc.pick(e.flatMap(MetersConfig.MeterEntry::frequency), "frequency",
                m.frequency(), "meter.frequency");
        p.require(frequency.value() == 50 || frequency.value() == 60, frequency, "50 or 60");
        Setting<Integer> elements = sc.pick(e.flatMap(MetersConfig.MeterEntry::elements), "elements", m.elements(),
                "meter.elements");
        p.require(elements.value() == 1 || elements.value() == 2, elements, "1 or 2");
        Setting<Integer> ct = sc.pick(e.flatMap(MetersConfig.MeterEntry::ctRating), "ct-rating", m.ctRating(),
                "meter.ct-rating");
        p.require(ct.value() == 100 || ct.value() == 200, ct, "100 or 200");
        Setting<Integer> rate = sc.pick(e.flatMap(MetersConfig.MeterEntry::sampleRate), "sample-rate",
                m.sampleRate(), "meter.sample-rate");
        p.require(rate.value() >= 2000 && rate.value() <= 32000, rate, "2000 to 32000 samples per second");
        int nominal = frequency.value() == 50 ? 50 : 60;
        Setting<Optional<Integer>> windowCycles = sc.pickOptional(e.flatMap(MetersConfig.MeterEntry::windowCycles),
                "window-cycles", Scope.boxed(m.windowCycles()), "meter.window-cycles");
        // 200 ms windows by default: 10 cycles at 50 Hz, 12 at 60 Hz
        int cycles = windowCycles.value().orElse(nominal / 5);
        p.require(cycles >= 1 && cycles <= 600, windowCycles, cycles, "1 to 600 cycles");
        Setting<Double> creep = sc.pick(e.flatMap(MetersConfig.MeterEntry::creepFraction), "creep-fraction",
                m.creepFraction(), "meter.creep-fraction");
        p.require(creep.value() >= 0 && creep.value() < 0.01, creep, "0 to 0.01 (fraction of nominal V x rated A)");
        Setting<Double> tolerance = sc.pick(e.flatMap(MetersConfig.MeterEntry::frequencyTolerancePct),
                "frequency-tolerance-pct", m.frequencyTolerancePct(), "meter.frequency-tolerance-pct");
        p.require(tolerance.value() > 0 && tolerance.value() <= 20, tolerance, "more than 0 and at most 20 (percent)");
        Setting<Double> reversed = sc.pick(e.flatMap(MetersConfig.MeterEntry::ctReversedSeconds),
                "ct-reversed-seconds", m.ctReversedSeconds(), "meter.ct-reversed-seconds");
        p.require(reversed.value() >= 0 && reversed.value() <= 86400, reversed, "0 (off) to 86400 seconds");
        p.require(!m.logInterval().isNegative() && m.logInterval().toMillis() >= 100, "meter.log-interval",
                m.logInterval(), "at least 100ms");
        Setting<String> sourceName = sc.pick(e.flatMap(MetersConfig.MeterEntry::source), "source", h.source(),
                "hal.source");
        Optional<SourceKind> kind = SourceKind.byId(sourceName.value());
        p.require(kind.isPresent(), sourceName, SourceKind.allowed());
        Setting<Integer> blockMs = sc.pick(e.flatMap(MetersConfig.MeterEntry::blockMs), "block-ms", h.blockMs(),
                "hal.block-ms");
        p.require(blockMs.value() >= 5 && blockMs.value() <= 1000, blockMs, "5 to 1000 ms");

        SimulatorSettings simulator = null;
        Optional<ReplaySettings> replay = Optional.empty();
        Optional<SpiSource.Settings> spi = Optional.empty();
        Optional<Path> faultFile = Optional.empty();
        String sourceDescription = "";
        if (kind.isPresent()) {
            switch (kind.get()) {
                case SIMULATOR -> {
                    SimulatorSource.Checked c = SimulatorSource.check(sc, s, e.map(MetersConfig.MeterEntry::simulator),
                            new SimulatorSource.Meter(nominal, elements.value(), ct.value(), rate.value(), rate,
                                    blockMs.value(), before), p);
                    if (c != null) {
                        simulator = c.settings();
                        faultFile = c.faultFile();
                        sourceDescription = c.describe();
                    }
                }
                case REPLAY -> {
                    ReplaySource.Checked c = ReplaySource.check(sc, r, e.map(MetersConfig.MeterEntry::replay),
                            elements.value(), p);
                    if (c != null) {
                        replay = Optional.of(c.settings());
                        sourceDescription = c.describe();
                    }
                }
                case MCP3208, MCP3008, ADS131M04, ATM90E32 -> {
                    SpiSource.Checked c = SpiSource.check(sc, kind.get(), h, e, new SpiSource.Meter(nominal,
                            elements.value(), ct.value(), rate.value(), rate, blockMs.value()), p);
                    if (c != null) {
                        spi = Optional.of(c.settings());
                        sourceDescription = c.describe();
                    }
                }
            }
        }

        Setting<String> dir = sc.pick(e.flatMap(x -> x.storage().dir()), "storage.dir", st.dir(), "storage.dir");
        p.require(!dir.value().isBlank(), dir, "a directory path");
        p.require(st.saveWh() >= 0 && st.saveWh() <= 1000, "storage.save-wh", st.saveWh(), "0 to 1000 Wh");
        p.require(!st.saveInterval().isNegative() && st.saveInterval().compareTo(Duration.ofHours(1)) <= 0,
                "storage.save-interval", st.saveInterval(), "0s to 1h");
        p.require(st.keep() >= 2 && st.keep() <= 100, "storage.keep", st.keep(), "2 to 100 generations");
        // A seed sets a revenue register: never copied from the flat keys onto every meter.
        Optional<RegisterSeed> seed = e.isPresent()
                ? seed(sc.own("storage.seed."), e.get().storage().seed().id(), e.get().storage().seed().deliveredKwh(),
                        e.get().storage().seed().receivedKwh(), e.get().storage().seed().allowDecrease().orElse(false), p)
                : sc.named() ? Optional.empty()
                : seed("storage.seed.", st.seed().id(), Scope.boxed(st.seed().deliveredKwh()),
                        Scope.boxed(st.seed().receivedKwh()), st.seed().allowDecrease(), p);
        p.require(inRange(o.dwell(), 1, 1000), "outputs.dwell", o.dwell(), "1ms to 1s");
        p.require(o.counter().wh() == 100 || o.counter().wh() == 1000, "outputs.counter.wh", o.counter().wh(),
                "100 or 1000");
        p.require(inRange(o.counter().on(), 20, 2000), "outputs.counter.on", o.counter().on(), "20ms to 2s");
        p.require(inRange(o.counter().off(), 20, 2000), "outputs.counter.off", o.counter().off(), "20ms to 2s");
        p.require(GPIO_PROVIDERS.contains(h.gpio().provider()), "hal.gpio.provider", h.gpio().provider(),
                String.join(", ", GPIO_PROVIDERS));
        Map<String, Integer> pins = sc.named() ? ownPins(sc, e.map(MetersConfig.MeterEntry::gpio), p) : flatPins(h);
        String keyPrefix = sc.named() ? sc.own("gpio.") : "hal.gpio.";
        Map<Integer, String> used = new HashMap<>();
        pins.forEach((name, pin) -> {
            p.require(pin >= 0 && pin <= 27, keyPrefix + name, pin, "BCM GPIO 0 to 27");
            String other = used.putIfAbsent(pin, name);
            p.require(other == null, keyPrefix + name, pin, "a GPIO not already used by " + keyPrefix + other);
        });
        spi.filter(x -> x.drdyPin() >= 0).ifPresent(x -> {
            String other = used.get(x.drdyPin());
            p.require(other == null, (sc.named() ? sc.own("") : "hal.") + "ads131m04.drdy-pin", x.drdyPin(),
                    "a GPIO not already used by " + keyPrefix + other);
        });
        Setting<Optional<List<String>>> invert = sc.pickOptional(e.flatMap(MetersConfig.MeterEntry::invert),
                "invert", m.invert(), "meter.invert");
        List<String> channels = MeterCalibration.CHANNELS.subList(0, 2 * Math.max(1, Math.min(2, elements.value())));
        List<String> inverted = invert.value().orElse(List.of()).stream().map(String::trim).filter(x -> !x.isEmpty())
                .toList();
        p.require(channels.containsAll(inverted), invert, String.join(",", inverted),
                "a list of channels from " + String.join(", ", channels) + " (empty: none)");
        if (p.count() > before) {
            return null;
        }
        return new MeterSetup(id, nominal, elements.value(), ct.value(), rate.value(), cycles, creep.value(),
                tolerance.value() / 100, reversed.value(), m.logInterval(), sourceName.value(), simulator,
                Path.of(dir.value()), new SavePolicy(Math.round(st.saveWh() * 1e6), st.saveInterval().toNanos()),
                st.keep(), seed,
                new OutputSettings(o.dwell().toNanos(), o.counter().wh(), o.counter().on().toNanos(),
                        o.counter().off().toNanos()),
                h.gpio().provider(), pins, blockMs.value(), faultFile, sourceDescription, replay, spi,
                java.util.Set.copyOf(inverted));
    }

    private static Map<String, Integer> flatPins(HalConfig h) {
        Map<String, Integer> pins = new LinkedHashMap<>();
        pins.put(PulseLedger.PULSE10, h.gpio().pulse10());
        pins.put(PulseLedger.PULSE100, h.gpio().pulse100());
        pins.put(PulseLedger.PULSE1000, h.gpio().pulse1000());
        pins.put(PulseLedger.COUNTER, h.gpio().counter());
        return java.util.Collections.unmodifiableMap(pins);
    }

    /**
     * All four or none: a meter either drives the whole set of lines of the original device or
     * publishes pulse events only; half a set is more likely a forgotten key than a wish.
     */
    private static Map<String, Integer> ownPins(Scope sc, Optional<MetersConfig.Gpio> gpio, Problems p) {
        Map<String, Optional<Integer>> given = new LinkedHashMap<>();
        given.put(PulseLedger.PULSE10, gpio.flatMap(MetersConfig.Gpio::pulse10));
        given.put(PulseLedger.PULSE100, gpio.flatMap(MetersConfig.Gpio::pulse100));
        given.put(PulseLedger.PULSE1000, gpio.flatMap(MetersConfig.Gpio::pulse1000));
        given.put(PulseLedger.COUNTER, gpio.flatMap(MetersConfig.Gpio::counter));
        List<String> set = given.entrySet().stream().filter(x -> x.getValue().isPresent()).map(Map.Entry::getKey)
                .toList();
        if (set.isEmpty()) {
            return Map.of();
        }
        if (set.size() < OUTPUTS.size()) {
            given.forEach((name, pin) -> p.require(pin.isPresent(), sc.own("gpio." + name), "(unset)",
                    "all four of " + sc.own("gpio.") + "{pulse10,pulse100,pulse1000,counter} or none (set: "
                            + String.join(", ", set) + ")"));
            return Map.of();
        }
        Map<String, Integer> pins = new LinkedHashMap<>();
        given.forEach((name, pin) -> pins.put(name, pin.orElseThrow()));
        return java.util.Collections.unmodifiableMap(pins);
    }

    private static boolean inRange(Duration d, long minMs, long maxMs) {
        return !d.isNegative() && d.toMillis() >= minMs && d.toMillis() <= maxMs;
    }

    private static Optional<RegisterSeed> seed(String prefix, Optional<String> idKey, Optional<Double> deliveredKwh,
            Optional<Double> receivedKwh, boolean allowDecrease, Problems p) {
        boolean values = deliveredKwh.isPresent() || receivedKwh.isPresent();
        if (idKey.isEmpty()) {
            p.require(!values, prefix + "id", "(unset)", "a seed name (e.g. utility-2026-11-23) whenever "
                    + prefix + "delivered-kwh or received-kwh is set");
            return Optional.empty();
        }
        String id = idKey.get();
        boolean idOk = id.matches("[A-Za-z0-9._:-]{1,64}");
        p.require(idOk, prefix + "id", id, "1 to 64 of A-Z a-z 0-9 . _ : -");
        p.require(values, prefix + "id", id, "only together with " + prefix + "delivered-kwh and/or received-kwh");
        OptionalLong delivered = kwhToMicroWh(deliveredKwh, prefix + "delivered-kwh", p);
        OptionalLong received = kwhToMicroWh(receivedKwh, prefix + "received-kwh", p);
        if (!idOk || !values) {
            return Optional.empty();
        }
        return Optional.of(new RegisterSeed(id, delivered, received, allowDecrease));
    }

    private static OptionalLong kwhToMicroWh(Optional<Double> kwh, String key, Problems p) {
        if (kwh.isEmpty()) {
            return OptionalLong.empty();
        }
        double v = kwh.get();
        boolean ok = v >= 0 && v <= 1e9;
        p.require(ok, key, v, "0 to 1000000000 kWh");
        return ok ? OptionalLong.of(Math.round(v * 1e9)) : OptionalLong.empty();
    }

    /** As {@link #spec}, at the rate the source delivers (a recording's own rate). */
    public MeterSpec specAtSourceRate(FrontEnd frontEnd) {
        if (frontEnd.elements() != elements) {
            throw new IllegalStateException("meter " + id + ": the source delivers " + frontEnd.elements()
                    + " element(s), the meter has " + elements);
        }
        return new MeterSpec(frequency, ctRating, frontEnd.sampleRate(), windowCycles, frontEnd.calibration(),
                creepFraction, frequencyTolerance, reverseSeconds);
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

    /** Kept for the current runtime; the source's keys are now carried in {@link #sourceDescription()}. */
    public List<String> describe(SimulatorConfig ignored) {
        return describe();
    }

    /** The effective configuration, one line per group, for the start-up log (no secrets here). */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT,
                "meter.id=%s meter.frequency=%d meter.elements=%d meter.ct-rating=%d meter.sample-rate=%d "
                        + "meter.window-cycles=%d meter.creep-fraction=%s meter.frequency-tolerance-pct=%s "
                        + "meter.ct-reversed-seconds=%s meter.log-interval=%s meter.invert=%s",
                id, frequency, elements, ctRating, sampleRate, windowCycles, fmt(creepFraction),
                fmt(frequencyTolerance * 100), fmt(reverseSeconds), fmt(logInterval),
                invert.isEmpty() ? "(none)" : String.join(",", new java.util.TreeSet<>(invert))));
        lines.add("hal.source=" + source + " hal.block-ms=" + blockMs + " hal.gpio.provider=" + gpioProvider
                + (pins.isEmpty() ? " gpio=(none: pulse events only)"
                        : " hal.gpio.pulse10=" + pins.get(PulseLedger.PULSE10) + " hal.gpio.pulse100="
                                + pins.get(PulseLedger.PULSE100) + " hal.gpio.pulse1000="
                                + pins.get(PulseLedger.PULSE1000) + " hal.gpio.counter="
                                + pins.get(PulseLedger.COUNTER)));
        lines.add("storage.dir=" + storageDir + " register=" + registerDir() + " storage.save-wh="
                + fmt(savePolicy.minMicroWh() / 1e6)
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
        if (!sourceDescription.isEmpty()) {
            lines.add(sourceDescription);
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
}
