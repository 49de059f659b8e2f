package org.minimeter.gateway.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules Home Assistant's MQTT integration applies to a device-based discovery payload, as
 * far as our sensors reach, written from HA's documentation and its MQTT schemas
 * (homeassistant/components/mqtt: abbreviations.py, schemas.py, sensor.py, discovery.py) and
 * the sensor device-class tables. Where HA would only ignore something (an unknown key), this is
 * stricter: a key HA does not know is a typo that silently loses a setting.
 *
 * <p>{@link #check} returns every violation found, empty when the payload passes.
 */
final class HaDiscoveryRules {

    /** Abbreviation to full key, for the keys a sensor or a device payload may carry. */
    static final Map<String, String> ABBREVIATIONS = Map.ofEntries(
            Map.entry("avty", "availability"), Map.entry("avty_mode", "availability_mode"),
            Map.entry("avty_t", "availability_topic"), Map.entry("avty_tpl", "availability_template"),
            Map.entry("cmd_t", "command_topic"), Map.entry("cmps", "components"), Map.entry("def_ent_id",
                    "default_entity_id"), Map.entry("dev", "device"), Map.entry("dev_cla", "device_class"),
            Map.entry("e", "encoding"), Map.entry("en", "enabled_by_default"), Map.entry("ent_cat", "entity_category"),
            Map.entry("ent_pic", "entity_picture"), Map.entry("exp_aft", "expire_after"),
            Map.entry("frc_upd", "force_update"), Map.entry("ic", "icon"),
            Map.entry("json_attr_t", "json_attributes_topic"), Map.entry("json_attr_tpl", "json_attributes_template"),
            Map.entry("lrst_val_tpl", "last_reset_value_template"), Map.entry("migr_discvry", "migrate_discovery"),
            Map.entry("o", "origin"), Map.entry("obj_id", "object_id"), Map.entry("ops", "options"),
            Map.entry("p", "platform"), Map.entry("pl_avail", "payload_available"),
            Map.entry("pl_not_avail", "payload_not_available"), Map.entry("stat_cla", "state_class"),
            Map.entry("stat_t", "state_topic"), Map.entry("sug_dsp_prc", "suggested_display_precision"),
            Map.entry("t", "topic"), Map.entry("uniq_id", "unique_id"),
            Map.entry("unit_of_meas", "unit_of_measurement"), Map.entry("val_tpl", "value_template"));

    static final Map<String, String> DEVICE_ABBREVIATIONS = Map.ofEntries(Map.entry("cns", "connections"),
            Map.entry("cu", "configuration_url"), Map.entry("ids", "identifiers"), Map.entry("mf", "manufacturer"),
            Map.entry("mdl", "model"), Map.entry("mdl_id", "model_id"), Map.entry("hw", "hw_version"),
            Map.entry("sw", "sw_version"), Map.entry("sa", "suggested_area"), Map.entry("sn", "serial_number"));

    static final Map<String, String> ORIGIN_ABBREVIATIONS = Map.of("sw", "sw_version", "url", "support_url");

    /** Options a device payload may share at its root (HA docs, "Device discovery payload"). */
    static final Set<String> ROOT_KEYS = Set.of("device", "origin", "components", "availability", "availability_mode",
            "availability_topic", "availability_template", "payload_available", "payload_not_available",
            "state_topic", "command_topic", "qos", "encoding");

    static final Set<String> DEVICE_KEYS = Set.of("identifiers", "connections", "name", "manufacturer", "model",
            "model_id", "hw_version", "sw_version", "serial_number", "suggested_area", "configuration_url",
            "via_device");

    static final Set<String> ORIGIN_KEYS = Set.of("name", "sw_version", "support_url");

    static final Set<String> AVAILABILITY_ENTRY_KEYS = Set.of("topic", "payload_available", "payload_not_available",
            "value_template");

    /** Every option of an MQTT sensor (common entity options included). */
    static final Set<String> SENSOR_KEYS = Set.of("platform", "name", "unique_id", "default_entity_id", "object_id",
            "state_topic", "value_template", "device_class", "state_class", "unit_of_measurement",
            "suggested_display_precision", "expire_after", "force_update", "last_reset_value_template", "options",
            "enabled_by_default", "entity_category", "entity_picture", "icon", "json_attributes_topic",
            "json_attributes_template", "availability", "availability_mode", "availability_topic",
            "availability_template", "payload_available", "payload_not_available", "qos", "encoding");

    static final Set<String> PLATFORMS = Set.of("alarm_control_panel", "binary_sensor", "button", "camera", "climate",
            "cover", "device_automation", "device_tracker", "event", "fan", "humidifier", "image", "lawn_mower",
            "light", "lock", "notify", "number", "scene", "select", "sensor", "siren", "switch", "tag", "text",
            "update", "vacuum", "valve", "water_heater");

    static final Set<String> STATE_CLASSES = Set.of("measurement", "measurement_angle", "total", "total_increasing");

    /** Sensor device classes used by meters, with the state classes and units HA accepts for each. */
    record DeviceClass(Set<String> stateClasses, Set<String> units, boolean unitless) {
    }

    static final Map<String, DeviceClass> DEVICE_CLASSES = Map.of(
            "energy", new DeviceClass(Set.of("total", "total_increasing"),
                    Set.of("J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal",
                            "Gcal"), false),
            "power", new DeviceClass(Set.of("measurement"), Set.of("mW", "W", "kW", "MW", "GW", "TW", "BTU/h"), false),
            "apparent_power", new DeviceClass(Set.of("measurement"), Set.of("mVA", "VA", "kVA"), false),
            "reactive_power", new DeviceClass(Set.of("measurement"), Set.of("mvar", "var", "kvar"), false),
            "power_factor", new DeviceClass(Set.of("measurement"), Set.of("%"), true),
            "voltage", new DeviceClass(Set.of("measurement"), Set.of("µV", "mV", "V", "kV", "MV"), false),
            "current", new DeviceClass(Set.of("measurement"), Set.of("mA", "A"), false),
            "frequency", new DeviceClass(Set.of("measurement"), Set.of("Hz", "kHz", "MHz", "GHz"), false));

    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9_-]+");
    private static final Pattern DEVICE_TOPIC = Pattern.compile("[^#+]+/device/([a-zA-Z0-9_-]+)/config");
    /** HA's valid entity id: domain.object, lower case, no leading, trailing or double underscore. */
    private static final Pattern ENTITY_ID = Pattern.compile(
            "(?!.+__)(?!_)[\\da-z_]+(?<!_)\\.(?!_)[\\da-z_]+(?<!_)");

    private HaDiscoveryRules() {
    }

    static List<String> check(String topic, JsonNode payload) {
        List<String> v = new ArrayList<>();
        var m = DEVICE_TOPIC.matcher(topic);
        if (!m.matches()) {
            v.add("topic " + topic + " is not <prefix>/device/<object id>/config");
        }
        if (!(payload instanceof ObjectNode)) {
            v.add("payload is not a JSON object");
            return v;
        }
        Map<String, JsonNode> root = expand(payload, ABBREVIATIONS, "device payload", v);
        root.keySet().stream().filter(k -> !ROOT_KEYS.contains(k))
                .forEach(k -> v.add("unknown or non-shareable key at the device level: " + k));
        JsonNode device = root.get("device");
        if (device == null || !device.isObject()) {
            v.add("device (dev) is required");
        } else {
            Map<String, JsonNode> d = expand(device, DEVICE_ABBREVIATIONS, "device", v);
            d.keySet().stream().filter(k -> !DEVICE_KEYS.contains(k)).forEach(k -> v.add("unknown device key: " + k));
            if (!nonEmpty(d.get("identifiers")) && !nonEmpty(d.get("connections"))) {
                v.add("device needs identifiers or connections");
            }
        }
        JsonNode origin = root.get("origin");
        if (origin == null || !origin.isObject()) {
            v.add("origin (o) is required for device-based discovery");
        } else {
            Map<String, JsonNode> o = expand(origin, ORIGIN_ABBREVIATIONS, "origin", v);
            o.keySet().stream().filter(k -> !ORIGIN_KEYS.contains(k)).forEach(k -> v.add("unknown origin key: " + k));
            if (!o.containsKey("name") || !o.get("name").isTextual()) {
                v.add("origin needs a name");
            }
        }
        checkAvailability(root, "device", v);
        JsonNode cmps = root.get("components");
        if (cmps == null || !cmps.isObject() || cmps.isEmpty()) {
            v.add("components (cmps) must be a non-empty map");
            return v;
        }
        Set<String> uniqueIds = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = cmps.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            checkComponent(e.getKey(), e.getValue(), root.containsKey("state_topic"), uniqueIds, v);
        }
        return v;
    }

    private static void checkComponent(String key, JsonNode value, boolean sharedStateTopic, Set<String> uniqueIds,
            List<String> v) {
        String at = "component " + key + ": ";
        if (!ID.matcher(key).matches()) {
            v.add(at + "the key must be [a-zA-Z0-9_-]+");
        }
        if (!value.isObject()) {
            v.add(at + "is not a JSON object");
            return;
        }
        Map<String, JsonNode> c = expand(value, ABBREVIATIONS, "component " + key, v);
        JsonNode platform = c.get("platform");
        if (platform == null || !platform.isTextual()) {
            v.add(at + "platform (p) is required");
            return;
        }
        if (!PLATFORMS.contains(platform.asText())) {
            v.add(at + "unknown platform " + platform.asText());
            return;
        }
        if (c.size() < 2) {
            v.add(at + "needs at least one option besides platform (platform alone removes it)");
        }
        for (String k : List.of("device", "origin", "components")) {
            if (c.containsKey(k)) {
                v.add(at + k + " cannot be set per component");
            }
        }
        if (c.containsKey("object_id")) {
            v.add(at + "object_id is deprecated (HA 2025.10) and ignored from 2026.4; use default_entity_id");
        }
        JsonNode uid = c.get("unique_id");
        if (uid == null || !uid.isTextual() || uid.asText().isEmpty()) {
            v.add(at + "unique_id is required for an entity with a device");
        } else {
            if (!uniqueIds.add(uid.asText())) {
                v.add(at + "unique_id " + uid.asText() + " is not unique across the device");
            }
            if (!uid.asText().equals(key)) {
                v.add(at + "the cmps key does not match unique_id " + uid.asText());
            }
        }
        JsonNode def = c.get("default_entity_id");
        if (def != null && (!def.isTextual() || !ENTITY_ID.matcher(def.asText()).matches()
                || !def.asText().startsWith(platform.asText() + "."))) {
            v.add(at + "default_entity_id " + def + " is not a valid " + platform.asText() + ".<object id>");
        }
        checkAvailability(c, "component " + key, v);
        if (!platform.asText().equals("sensor")) {
            v.add(at + "only sensor rules are known to this check");
            return;
        }
        c.keySet().stream().filter(k -> !SENSOR_KEYS.contains(k)).forEach(k -> v.add(at + "unknown sensor key " + k));
        if (!sharedStateTopic && !text(c.get("state_topic"))) {
            v.add(at + "state_topic is required");
        }
        String deviceClass = c.containsKey("device_class") ? c.get("device_class").asText() : null;
        String stateClass = c.containsKey("state_class") ? c.get("state_class").asText() : null;
        String unit = c.containsKey("unit_of_measurement") ? c.get("unit_of_measurement").asText() : null;
        if (stateClass != null && !STATE_CLASSES.contains(stateClass)) {
            v.add(at + "unknown state_class " + stateClass);
        }
        if (deviceClass != null) {
            DeviceClass dc = DEVICE_CLASSES.get(deviceClass);
            if (dc == null) {
                v.add(at + "device_class " + deviceClass + " is not one this check knows");
            } else {
                if (stateClass != null && !dc.stateClasses().contains(stateClass)) {
                    v.add(at + "state_class " + stateClass + " is not valid with device_class " + deviceClass);
                }
                if (unit != null && !dc.units().contains(unit)) {
                    v.add(at + "unit_of_measurement " + unit + " is not valid with device_class " + deviceClass);
                }
                if (unit == null && !dc.unitless()) {
                    v.add(at + "device_class " + deviceClass + " needs a unit_of_measurement");
                }
            }
        }
        if (c.containsKey("last_reset_value_template") && !"total".equals(stateClass)) {
            v.add(at + "last_reset_value_template needs state_class total");
        }
        nonNegativeInt(c, "expire_after", at, v);
        nonNegativeInt(c, "suggested_display_precision", at, v);
        if (c.containsKey("enabled_by_default") && !c.get("enabled_by_default").isBoolean()) {
            v.add(at + "enabled_by_default must be a boolean");
        }
        if (c.containsKey("entity_category") && !"diagnostic".equals(c.get("entity_category").asText())) {
            v.add(at + "a sensor's entity_category can only be diagnostic");
        }
    }

    private static void checkAvailability(Map<String, JsonNode> o, String where, List<String> v) {
        if (o.containsKey("availability") && o.containsKey("availability_topic")) {
            v.add(where + ": availability and availability_topic are exclusive");
        }
        if (o.containsKey("availability_mode")
                && !Set.of("all", "any", "latest").contains(o.get("availability_mode").asText())) {
            v.add(where + ": availability_mode must be all, any or latest");
        }
        JsonNode list = o.get("availability");
        if (list == null) {
            return;
        }
        if (!list.isArray() || list.isEmpty()) {
            v.add(where + ": availability must be a non-empty list");
            return;
        }
        for (JsonNode entry : list) {
            if (!entry.isObject()) {
                v.add(where + ": an availability entry is not an object");
                continue;
            }
            Map<String, JsonNode> a = expand(entry, ABBREVIATIONS, where + " availability", v);
            if (!text(a.get("topic"))) {
                v.add(where + ": an availability entry has no topic");
            }
            a.keySet().stream().filter(k -> !AVAILABILITY_ENTRY_KEYS.contains(k))
                    .forEach(k -> v.add(where + ": unknown availability key " + k));
        }
    }

    /** Full keys; a key given both abbreviated and in full is a violation (HA keeps one of them). */
    private static Map<String, JsonNode> expand(JsonNode o, Map<String, String> abbreviations, String where,
            List<String> v) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String full = abbreviations.getOrDefault(e.getKey(), e.getKey());
            if (out.put(full, e.getValue()) != null) {
                v.add(where + ": both " + full + " and its abbreviation are given");
            }
        }
        return out;
    }

    private static void nonNegativeInt(Map<String, JsonNode> c, String key, String at, List<String> v) {
        JsonNode n = c.get(key);
        if (n != null && (!n.isIntegralNumber() || n.asLong() < 0)) {
            v.add(at + key + " must be a non-negative integer, not " + n);
        }
    }

    private static boolean nonEmpty(JsonNode n) {
        return n != null && ((n.isArray() && !n.isEmpty()) || (n.isTextual() && !n.asText().isEmpty()));
    }

    private static boolean text(JsonNode n) {
        return n != null && n.isTextual() && !n.asText().isEmpty();
    }
}
