package org.minimeter.gateway.mqtt;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Home Assistant MQTT discovery, device-based (HA 2024.11+): one retained config per meter on
 * {@code <discovery prefix>/device/<meter id>/config} whose {@code cmps} map holds every sensor.
 *
 * <p>What each sensor keeps from the per-sensor form it replaces: its {@code unique_id}
 * {@code <meter id>_<object>}, so the entity registry entry (entity id, history, Energy dashboard
 * statistics, user renames) carries over; and its entity id, now asked for with
 * {@code default_entity_id: sensor.<meter id>_<object>} because {@code object_id} is deprecated
 * (HA 2025.10) and ignored from 2026.4. The {@code cmps} key is the unique id: HA's discovery id
 * becomes {@code <meter id> <unique id>}, distinct from the old {@code <meter id> <object>}, so a
 * {@code migrate_discovery} that reaches an old topic again can never unload the device-based
 * entity. Energy sensors keep what the Energy dashboard needs (device_class energy, state_class
 * total_increasing, kWh).
 *
 * <p>Availability: a meter's entities are available only while both the gateway's status
 * (its last will) and the meter's own status say {@code online} ({@code availability_mode: all}):
 * the will alone cannot say that one meter's source has failed, and a meter's retained
 * {@code online} stays behind when the whole gateway dies.
 *
 * <p>Enabled by default: energy and power totals, voltage and current per element, energy and
 * power per element when there are two or more elements (with one they repeat the totals), and
 * the health and active-alarm diagnostics (rarely changing, and what tells a user a meter is in
 * trouble). Disabled by default, one click away: reactive power and power factor (total and per
 * element), frequency, and the per-element energy and power of a one-element meter.
 *
 * <p>Migration from the per-sensor topics, as documented by Home Assistant ("Migration from
 * single component to device-based discovery",
 * https://www.home-assistant.io/integrations/mqtt/#migration-from-single-component-to-device-based-discovery,
 * source {@code home-assistant.io/source/_integrations/mqtt.markdown}): (1) publish
 * {@code {"migrate_discovery": true}} to every existing single-component discovery topic, which
 * unloads the item but keeps its settings; (2) publish the device-based config with all
 * components, same unique ids and device identifiers; (3) clean up the single-component topics
 * with an empty payload. Clearing is part of the documented procedure (its last step); the doc
 * asks to do it once HA's log shows the migration succeeded, which a gateway cannot read, so
 * {@link #migration} marks where the clearing starts ({@link Step.Kind#CLEAR}) for a caller that
 * wants to wait there. The reverse path (migrate_discovery on the device topic) is a rollback and
 * is never sent here.
 */
public final class Discovery {

    /** One discovery message, always sent retained with QoS 1. */
    public record Config(String topic, byte[] payload) {
    }

    /** One message of the migration, in the order it must be published. */
    public record Step(Kind kind, String topic, byte[] payload, boolean retain) {

        public enum Kind {
            /** {@code {"migrate_discovery": true}} on an old per-sensor topic. */
            MIGRATE,
            /** The new device-based config. */
            DEVICE_CONFIG,
            /** An empty payload clearing an old per-sensor topic. */
            CLEAR
        }
    }

    /**
     * How often each state topic is published; they set {@code expire_after}, so a sensor whose
     * meter stops publishing goes unavailable even while the gateway and the meter say online.
     */
    public record Intervals(Duration energy, Duration power, Duration health) {
        public Intervals {
            for (Duration d : new Duration[] {energy, power, health}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("publishing intervals must be positive: " + energy + ", "
                            + power + ", " + health);
                }
            }
        }
    }

    private static final String MANUFACTURER = "Mini Meter Gateway";
    /** Publications a sensor may miss before it expires: one late or lost message is not an outage. */
    private static final int MISSED_PUBLICATIONS = 3;
    /** Floor for expire_after, so sub-second intervals do not flap on broker or network jitter. */
    private static final long MIN_EXPIRE_SECONDS = 10;
    private static final byte[] MIGRATE = Payloads.bytes(Payloads.object().put("migrate_discovery", true));
    private static final byte[] EMPTY = new byte[0];

    private Discovery() {
    }

    /**
     * The device-based discovery config of one meter.
     *
     * @param meter the meter's topics
     * @param gatewayStatusTopic where the gateway's birth and last will go; equal to
     *     {@code meter.status()} when the gateway id is the meter id (one meter)
     * @param model e.g. {@code Mini Meter, 2 elements, CT 200 A, 60 Hz}
     */
    public static Config device(Topics meter, String gatewayStatusTopic, int elements, String model,
            String swVersion, Intervals intervals) {
        if (elements < 1) {
            throw new IllegalArgumentException("a meter has at least one element: " + elements);
        }
        Objects.requireNonNull(intervals, "intervals");
        String id = meter.meterId();
        ObjectNode root = Payloads.object();
        ObjectNode dev = root.putObject("dev");
        dev.putArray("identifiers").add("minimeter_" + id);
        dev.put("name", "Mini Meter " + id);
        dev.put("manufacturer", MANUFACTURER);
        dev.put("model", model);
        dev.put("sw_version", swVersion);
        ObjectNode origin = root.putObject("o");
        origin.put("name", MANUFACTURER);
        origin.put("sw_version", swVersion);
        ArrayNode availability = root.putArray("availability");
        for (String topic : gatewayStatusTopic.equals(meter.status()) ? List.of(meter.status())
                : List.of(gatewayStatusTopic, meter.status())) {
            ObjectNode a = availability.addObject();
            a.put("topic", topic);
            a.put("payload_available", "online");
            a.put("payload_not_available", "offline");
        }
        root.put("availability_mode", "all");
        ObjectNode cmps = root.putObject("cmps");
        for (Sensor s : sensors(elements)) {
            String uniqueId = id + "_" + s.object();
            ObjectNode c = cmps.putObject(uniqueId);
            c.put("platform", "sensor");
            c.put("name", s.name());
            c.put("unique_id", uniqueId);
            c.put("default_entity_id", "sensor." + slug(uniqueId));
            String stateTopic = s.source().topic(meter);
            c.put("state_topic", stateTopic);
            c.put("value_template", s.template());
            if (s.deviceClass() != null) {
                c.put("device_class", s.deviceClass());
            }
            if (s.stateClass() != null) {
                c.put("state_class", s.stateClass());
            }
            if (s.unit() != null) {
                c.put("unit_of_measurement", s.unit());
            }
            if (s.precision() != null) {
                c.put("suggested_display_precision", s.precision());
            }
            c.put("expire_after", expireAfterSeconds(s.source().interval(intervals)));
            if (!s.enabled()) {
                c.put("enabled_by_default", false);
            }
            if (s.diagnostic()) {
                c.put("entity_category", "diagnostic");
                c.put("json_attributes_topic", stateTopic);
            }
        }
        return new Config(meter.deviceDiscovery(), Payloads.bytes(root));
    }

    /**
     * The messages that move one meter from the per-sensor topics of earlier versions to
     * {@code device}, in order: a {@code migrate_discovery} on every old topic, the device
     * config, then an empty retained payload on every old topic. Every message is retained, so
     * a Home Assistant that is offline meanwhile finds only the device config afterwards.
     *
     * <p>Meant to be sent once, when the old topics still hold configs (e.g. a retained message
     * seen on {@code <discovery prefix>/sensor/<meter id>/+/config}); afterwards the device
     * config alone is what to publish on connect and on Home Assistant's birth.
     */
    public static List<Step> migration(Topics meter, int elements, Config device) {
        if (!device.topic().equals(meter.deviceDiscovery())) {
            throw new IllegalArgumentException("device config " + device.topic() + " is not meter "
                    + meter.meterId() + "'s " + meter.deviceDiscovery());
        }
        List<String> old = legacyTopics(meter, elements);
        List<Step> steps = new ArrayList<>(2 * old.size() + 1);
        old.forEach(t -> steps.add(new Step(Step.Kind.MIGRATE, t, MIGRATE.clone(), true)));
        steps.add(new Step(Step.Kind.DEVICE_CONFIG, device.topic(), device.payload().clone(), true));
        old.forEach(t -> steps.add(new Step(Step.Kind.CLEAR, t, EMPTY, true)));
        return List.copyOf(steps);
    }

    /** The per-sensor discovery topics that versions before device-based discovery published. */
    public static List<String> legacyTopics(Topics meter, int elements) {
        return sensors(elements).stream().map(s -> meter.legacyDiscovery(s.object())).toList();
    }

    static long expireAfterSeconds(Duration interval) {
        long millis = Math.multiplyExact(interval.toMillis(), MISSED_PUBLICATIONS);
        return Math.max(MIN_EXPIRE_SECONDS, (millis + 999) / 1000);
    }

    /** Home Assistant's object-id rules: lower case letters, digits and single underscores. */
    static String slug(String s) {
        String lower = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
        return lower.replaceAll("^_+|_+$", "");
    }

    private enum Source {
        ENERGY, POWER, HEALTH;

        String topic(Topics t) {
            return switch (this) {
                case ENERGY -> t.energy();
                case POWER -> t.power();
                case HEALTH -> t.health();
            };
        }

        Duration interval(Intervals i) {
            return switch (this) {
                case ENERGY -> i.energy();
                case POWER -> i.power();
                case HEALTH -> i.health();
            };
        }
    }

    private record Sensor(String object, String name, Source source, String template, String deviceClass,
            String stateClass, String unit, Integer precision, boolean enabled, boolean diagnostic) {
    }

    private static Sensor measurement(String object, String name, String template, String deviceClass, String unit,
            int precision, boolean enabled) {
        return new Sensor(object, name, Source.POWER, template, deviceClass, "measurement", unit, precision, enabled,
                false);
    }

    /** Every sensor of a meter, in the order earlier versions published them. */
    private static List<Sensor> sensors(int elements) {
        boolean perElementIsNew = elements > 1;
        List<Sensor> out = new ArrayList<>();
        for (String dir : new String[] {"delivered", "received"}) {
            out.add(new Sensor("energy_" + dir, "Energy " + dir, Source.ENERGY, "{{ value_json." + dir + "_kwh }}",
                    "energy", "total_increasing", "kWh", 3, true, false));
            for (int e = 1; e <= elements; e++) {
                out.add(new Sensor("energy_" + dir + "_l" + e, "Energy " + dir + " L" + e, Source.ENERGY,
                        "{{ value_json.elements[" + (e - 1) + "]." + dir + "_kwh }}", "energy", "total_increasing",
                        "kWh", 3, perElementIsNew, false));
            }
        }
        out.add(measurement("power", "Power", "{{ value_json.power_w }}", "power", "W", 0, true));
        out.add(measurement("reactive_power", "Reactive power", "{{ value_json.reactive_var }}", "reactive_power",
                "var", 0, false));
        out.add(measurement("power_factor", "Power factor", "{{ value_json.pf }}", "power_factor", null, 2, false));
        out.add(measurement("frequency", "Frequency", "{{ value_json.frequency_hz }}", "frequency", "Hz", 2, false));
        for (int e = 1; e <= elements; e++) {
            String el = "{{ value_json.elements[" + (e - 1) + "].";
            out.add(measurement("power_l" + e, "Power L" + e, el + "power_w }}", "power", "W", 0, perElementIsNew));
            out.add(measurement("voltage_l" + e, "Voltage L" + e, el + "voltage_v }}", "voltage", "V", 1, true));
            out.add(measurement("current_l" + e, "Current L" + e, el + "current_a }}", "current", "A", 2, true));
            out.add(measurement("power_factor_l" + e, "Power factor L" + e, el + "pf }}", "power_factor", null, 2,
                    false));
            out.add(measurement("reactive_power_l" + e, "Reactive power L" + e, el + "reactive_var }}",
                    "reactive_power", "var", 0, false));
        }
        out.add(new Sensor("health", "Health", Source.HEALTH, "{{ value_json.status }}", null, null, null, null, true,
                true));
        out.add(new Sensor("active_alarms", "Active alarms", Source.HEALTH, "{{ value_json.active_alarms | count }}",
                null, "measurement", null, 0, true, true));
        return out;
    }
}
