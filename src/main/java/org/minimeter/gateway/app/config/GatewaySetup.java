package org.minimeter.gateway.app.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The whole gateway as the configuration describes it (SPEC.md section 5), checked: every
 * meter, and what meters must not share (ids, GPIO lines, register directories, the outbox).
 * Every problem is one line; start-up stops with all of them at once.
 *
 * @param gatewayId the MQTT client's name ({@code minimeter-<gatewayId>}) and last-will topic level
 * @param meters sorted by id, so logs and discovery come out in the same order on every start
 * @param multi true when the meters come from {@code meters.*}, false for the flat single meter
 * @param outboxDir the one store-and-forward outbox shared by all meters
 */
public record GatewaySetup(String gatewayId, List<MeterSetup> meters, boolean multi, Path outboxDir) {

    /** {@code gateway.id} when it is unset and there are several meters. */
    public static final String DEFAULT_ID = "minimeter-gateway";

    /** Every key a meter may set after {@code meters.<id>.}, read off the mapping itself. */
    // Written out rather than read off the mapping by reflection at run time, which a native
    // image would not have; GatewaySetupTest checks this list against MetersConfig.MeterEntry.
    public static final Set<String> METER_KEYS = Set.of("block-ms", "creep-fraction", "ct-rating",
            "ct-reversed-seconds", "elements", "frequency", "frequency-tolerance-pct", "gpio.counter", "gpio.pulse10",
            "gpio.pulse100", "gpio.pulse1000", "sample-rate", "simulator.adc-bits", "simulator.current",
            "simulator.fault-file", "simulator.harmonics", "simulator.line-frequency", "simulator.noise-lsb",
            "simulator.phase-deg", "simulator.seed", "simulator.skew-us", "simulator.speed", "simulator.voltage",
            "source", "storage.dir", "storage.seed.allow-decrease", "storage.seed.delivered-kwh", "storage.seed.id",
            "storage.seed.received-kwh", "window-cycles", "replay.file", "replay.loop", "replay.speed",
            "replay.rate", "replay.scale.v1", "replay.scale.i1", "replay.scale.v2", "replay.scale.i2",
            "replay.delay.v1", "replay.delay.i1", "replay.delay.v2", "replay.delay.i2", "spi.bus",
            "spi.chip-select", "spi.clock-hz", "frontend.vref", "frontend.ct-ratio", "frontend.burden-ohms",
            "frontend.voltage-ratio", "frontend.channels", "ads131m04.drdy-pin", "atm90e32.ugain",
            "atm90e32.igain", "invert", "modbus.unit-id");

    public GatewaySetup {
        meters = List.copyOf(meters);
    }

    /** At run time: the property names come from the application's configuration. */
    public static GatewaySetup from(MeterConfig m, HalConfig h, SimulatorConfig s, ReplayConfig r, StorageConfig st,
            OutputsConfig o, MetersConfig meters, GatewayConfig g) {
        return from(m, h, s, r, st, o, meters, g, ConfigProvider.getConfig().getPropertyNames());
    }

    /** As the run-time form, for callers that configure no replay. */
    public static GatewaySetup from(MeterConfig m, HalConfig h, SimulatorConfig s, StorageConfig st,
            OutputsConfig o, MetersConfig meters, GatewayConfig g, Iterable<String> propertyNames) {
        return from(m, h, s, ReplayConfig.DEFAULTS, st, o, meters, g, propertyNames);
    }

    /**
     * @param propertyNames every configured name, to find keys under {@code meters.} that bind
     *     to nothing: the mapping alone drops a typo such as {@code meters.house.frequncy} silently
     */
    public static GatewaySetup from(MeterConfig m, HalConfig h, SimulatorConfig s, ReplayConfig r,
            StorageConfig st, OutputsConfig o, MetersConfig meters, GatewayConfig g, Iterable<String> propertyNames) {
        Problems p = new Problems();
        List<String> names = StreamSupport.stream(propertyNames.spliterator(), false).sorted().toList();
        Map<String, MetersConfig.MeterEntry> entries = new TreeMap<>(meters.meters());
        unknownKeys(names, entries.keySet(), p);
        boolean multi = !entries.isEmpty() || names.stream().anyMatch(GatewaySetup::isMeterKey);

        List<MeterSetup> setups = new ArrayList<>();
        if (!multi) {
            MeterSetup one = MeterSetup.check(Scope.FLAT, m.id(), Optional.empty(), m, h, s, r, st, o, p);
            if (one != null) {
                setups.add(one);
            }
        } else {
            flatKeysMeantForOneMeter(h, st, p);
            entries.forEach((id, entry) -> {
                String key = names.stream().filter(n -> n.startsWith("meters." + id + ".")
                        || n.startsWith("meters.\"" + id + "\".")).findFirst().orElse("meters." + id + ".*");
                boolean idOk = MeterSetup.ID.matcher(id).matches() && !MeterSetup.RESERVED_ID.equals(id);
                p.require(MeterSetup.ID.matcher(id).matches(), key, id, "a meter id of " + MeterSetup.ID_ALLOWED);
                p.require(!MeterSetup.RESERVED_ID.equals(id), key, id,
                        "any meter id but " + MeterSetup.RESERVED_ID + " (the shared MQTT outbox is <storage.dir>/outbox)");
                // a meter with a bad id is still checked, so one start-up reports all its problems
                MeterSetup one = MeterSetup.check(Scope.named(id), id, Optional.of(entry), m, h, s, r, st, o, p);
                if (one != null && idOk) {
                    setups.add(one);
                }
            });
            sharedPins(setups, p);
        }
        Path outbox = Path.of(st.dir().isBlank() ? "." : st.dir()).resolve("outbox");
        sharedDirectories(setups, multi, outbox, p);

        String defaultId = entries.size() == 1 ? entries.keySet().iterator().next()
                : entries.isEmpty() ? m.id() : DEFAULT_ID;
        String gatewayId = g.id().orElse(defaultId);
        String shown = g.id().isPresent() ? "gateway.id" : "gateway.id (default)";
        p.require(MeterSetup.ID.matcher(gatewayId).matches(), shown, gatewayId, MeterSetup.ID_ALLOWED);
        if (multi && entries.size() > 1) {
            p.require(!entries.containsKey(gatewayId), shown, gatewayId, "an id that is no meter's id when there "
                    + "are several meters: its last will <prefix>/" + gatewayId + "/status is meters." + gatewayId
                    + "'s status topic");
        }
        p.throwIfAny();
        return new GatewaySetup(gatewayId, setups, multi, outbox);
    }

    /** The effective configuration for the one-time start-up log; secrets are not part of it. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("gateway.id=" + gatewayId + " meters=" + String.join(",", meters.stream().map(MeterSetup::id)
                .toList()) + " (" + (multi ? "meters.*" : "flat meter.* keys") + ") outbox=" + outboxDir);
        for (MeterSetup meter : meters) {
            String prefix = multi ? "meters." + meter.id() + ": " : "";
            meter.describe().forEach(line -> lines.add(prefix + line));
        }
        return lines;
    }

    private static boolean isMeterKey(String name) {
        return name.startsWith("meters.") || name.startsWith("METERS_");
    }

    /**
     * A name under {@code meters.} that is not {@code meters.<id>.<known key>} (in a file) or its
     * environment form {@code METERS_<ID>_<KEY>} for a meter the mapping found.
     */
    private static void unknownKeys(List<String> names, Set<String> ids, Problems p) {
        Set<String> envForms = new java.util.HashSet<>();
        for (String id : ids) {
            for (String key : METER_KEYS) {
                envForms.add(envForm("meters." + id + "." + key));
            }
        }
        for (String name : names) {
            if (name.startsWith("meters.")) {
                String rest = afterId(name.substring("meters.".length()));
                String key = rest == null ? null : rest.replaceFirst("\\[\\d+]$", "");
                // SmallRye also lists a dotted guess for each environment variable; the
                // variable itself is checked below, under its own name
                boolean guessFromEnv = names.contains(envForm(name));
                if ((key == null || !METER_KEYS.contains(key)) && !guessFromEnv) {
                    p.add(name + " is not a known key: allowed meters.<id>.<key> with <key> one of "
                            + String.join(", ", new java.util.TreeSet<>(METER_KEYS)));
                }
            } else if (name.startsWith("METERS_") && !envForms.contains(name)) {
                p.add("environment variable " + name + " is not a known key: allowed METERS_<ID>_<KEY> for a "
                        + "per-meter key; an id with '-' or '_' must also be named as meters.<id>.* in a file");
            }
        }
    }

    /** What follows {@code <id>.}, the id possibly quoted; null when nothing follows. */
    private static String afterId(String s) {
        int end;
        if (s.startsWith("\"")) {
            int close = s.indexOf('"', 1);
            end = close < 0 ? -1 : close + 1;
        } else {
            end = s.indexOf('.');
        }
        return end < 0 || end >= s.length() - 1 || s.charAt(end) != '.' ? null : s.substring(end + 1);
    }

    private static String envForm(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /**
     * Flat keys that only make sense for one meter, changed while {@code meters.*} is in use.
     * Pins are compared with their defaults: the mapping's defaults appear among the property
     * names, so a name alone does not say that someone set it.
     */
    private static void flatKeysMeantForOneMeter(HalConfig h, StorageConfig st, Problems p) {
        Map<String, int[]> pins = new java.util.LinkedHashMap<>();
        pins.put("pulse10", new int[] {h.gpio().pulse10(), 17});
        pins.put("pulse100", new int[] {h.gpio().pulse100(), 27});
        pins.put("pulse1000", new int[] {h.gpio().pulse1000(), 22});
        pins.put("counter", new int[] {h.gpio().counter(), 23});
        pins.forEach((output, pin) -> p.require(pin[0] == pin[1], "hal.gpio." + output, pin[0],
                "only without meters.*: per meter as meters.<id>.gpio." + output + " (two meters cannot drive one line)"));
        st.seed().id().ifPresent(id -> p.require(false, "storage.seed.id", id,
                "per meter as meters.<id>.storage.seed.* (a seed sets one meter's register)"));
        if (st.seed().id().isEmpty() && (st.seed().deliveredKwh().isPresent() || st.seed().receivedKwh().isPresent())) {
            p.add("storage.seed.* is not allowed with meters.*: allowed per meter as meters.<id>.storage.seed.*");
        }
    }

    private static void sharedPins(List<MeterSetup> setups, Problems p) {
        // one chip per SPI device: two meters on one chip select would read each other's chip
        Map<String, String> devices = new HashMap<>();
        for (MeterSetup meter : setups) {
            meter.spi().ifPresent(s -> {
                String key = "meters." + meter.id() + ".spi.chip-select";
                String other = devices.putIfAbsent(s.device(), "meters." + meter.id());
                p.require(other == null, key, s.chipSelect(), "an SPI device not already used by " + other + " ("
                        + s.device() + "; set spi.bus / spi.chip-select per meter)");
            });
        }
        Map<Integer, String> used = new HashMap<>();
        for (MeterSetup meter : setups) {
            for (var pin : meter.pins().entrySet()) {
                String key = "meters." + meter.id() + ".gpio." + pin.getKey();
                String other = used.putIfAbsent(pin.getValue(), key);
                p.require(other == null, key, pin.getValue(), "a GPIO not already used by " + other);
            }
            if (meter.spi().isPresent() && meter.spi().get().drdyPin() >= 0) {
                String key = "meters." + meter.id() + ".ads131m04.drdy-pin";
                String other = used.putIfAbsent(meter.spi().get().drdyPin(), key);
                p.require(other == null, key, meter.spi().get().drdyPin(), "a GPIO not already used by " + other);
            }
        }
    }

    /**
     * No register directory may be, contain or lie inside another one or the outbox. Compared as
     * normalised absolute paths ignoring case: on a case-insensitive file system /Data/a is /data/a.
     */
    private static void sharedDirectories(List<MeterSetup> setups, boolean multi, Path outbox, Problems p) {
        Map<String, Path> owners = new java.util.LinkedHashMap<>();
        owners.put("the shared outbox", outbox);
        for (MeterSetup meter : setups) {
            String who = multi ? "meters." + meter.id() : "meter.id=" + meter.id();
            try {
                Path mine = meter.registerDir();
                for (var other : owners.entrySet()) {
                    if (overlaps(mine, other.getValue())) {
                        String key = multi ? "meters." + meter.id() + ".storage.dir" : "storage.dir";
                        p.require(false, key, meter.storageDir(), "a directory whose register directory " + mine
                                + " (" + who + ") neither is, contains nor lies inside " + other.getValue()
                                + " (" + other.getKey() + ")");
                    }
                }
                owners.put(who, mine);
            } catch (InvalidPathException e) {
                p.add((multi ? "meters." + meter.id() + ".storage.dir" : "storage.dir") + "=" + meter.storageDir()
                        + " is not allowed: allowed a directory path (" + e.getReason() + ")");
            }
        }
    }

    private static boolean overlaps(Path a, Path b) {
        Path x = canonical(a);
        Path y = canonical(b);
        return x.startsWith(y) || y.startsWith(x);
    }

    private static Path canonical(Path path) {
        return Path.of(path.toAbsolutePath().normalize().toString().toLowerCase(Locale.ROOT));
    }
}
