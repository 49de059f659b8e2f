package org.minimeter.gateway.mqtt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Home Assistant MQTT discovery: one retained config per sensor under
 * {@code <discovery prefix>/sensor/<meter id>/<object>/config}. Energy sensors carry what
 * the Energy dashboard requires (device_class energy, state_class total_increasing, kWh);
 * every sensor is available only while the status topic says {@code online}.
 */
public final class Discovery {

    /** One discovery message. */
    public record Config(String topic, byte[] payload) {
    }

    private Discovery() {
    }

    /**
     * @param model e.g. {@code Mini Meter, 2 elements, CT 200 A, 60 Hz}
     */
    public static List<Config> configs(Topics t, int elements, String model, String swVersion) {
        List<Config> out = new ArrayList<>();
        for (String dir : new String[] {"delivered", "received"}) {
            out.add(sensor(t, "energy_" + dir, "Energy " + dir, t.energy(), "{{ value_json." + dir + "_kwh }}",
                    "energy", "total_increasing", "kWh", null, model, swVersion));
            for (int e = 1; e <= elements; e++) {
                out.add(sensor(t, "energy_" + dir + "_l" + e, "Energy " + dir + " L" + e, t.energy(),
                        "{{ value_json.elements[" + (e - 1) + "]." + dir + "_kwh }}", "energy", "total_increasing",
                        "kWh", null, model, swVersion));
            }
        }
        out.add(sensor(t, "power", "Power", t.power(), "{{ value_json.power_w }}", "power", "measurement", "W",
                null, model, swVersion));
        out.add(sensor(t, "reactive_power", "Reactive power", t.power(), "{{ value_json.reactive_var }}",
                "reactive_power", "measurement", "var", null, model, swVersion));
        out.add(sensor(t, "power_factor", "Power factor", t.power(), "{{ value_json.pf }}", "power_factor",
                "measurement", null, null, model, swVersion));
        out.add(sensor(t, "frequency", "Frequency", t.power(), "{{ value_json.frequency_hz }}", "frequency",
                "measurement", "Hz", null, model, swVersion));
        for (int e = 1; e <= elements; e++) {
            String el = "elements[" + (e - 1) + "]";
            out.add(sensor(t, "power_l" + e, "Power L" + e, t.power(), "{{ value_json." + el + ".power_w }}",
                    "power", "measurement", "W", null, model, swVersion));
            out.add(sensor(t, "voltage_l" + e, "Voltage L" + e, t.power(), "{{ value_json." + el + ".voltage_v }}",
                    "voltage", "measurement", "V", null, model, swVersion));
            out.add(sensor(t, "current_l" + e, "Current L" + e, t.power(), "{{ value_json." + el + ".current_a }}",
                    "current", "measurement", "A", null, model, swVersion));
            out.add(sensor(t, "power_factor_l" + e, "Power factor L" + e, t.power(),
                    "{{ value_json." + el + ".pf }}", "power_factor", "measurement", null, null, model, swVersion));
            out.add(sensor(t, "reactive_power_l" + e, "Reactive power L" + e, t.power(),
                    "{{ value_json." + el + ".reactive_var }}", "reactive_power", "measurement", "var", null, model,
                    swVersion));
        }
        out.add(sensor(t, "health", "Health", t.health(), "{{ value_json.status }}", null, null, null,
                "diagnostic", model, swVersion));
        out.add(sensor(t, "active_alarms", "Active alarms", t.health(), "{{ value_json.active_alarms | count }}",
                null, "measurement", null, "diagnostic", model, swVersion));
        return out;
    }

    private static Config sensor(Topics t, String object, String name, String stateTopic, String template,
            String deviceClass, String stateClass, String unit, String entityCategory, String model, String sw) {
        ObjectNode o = Payloads.object();
        o.put("name", name);
        o.put("unique_id", t.meterId() + "_" + object);
        o.put("object_id", t.meterId() + "_" + object);
        o.put("state_topic", stateTopic);
        o.put("value_template", template);
        if (deviceClass != null) {
            o.put("device_class", deviceClass);
        }
        if (stateClass != null) {
            o.put("state_class", stateClass);
        }
        if (unit != null) {
            o.put("unit_of_measurement", unit);
        }
        if (entityCategory != null) {
            o.put("entity_category", entityCategory);
            o.put("json_attributes_topic", stateTopic);
        }
        o.put("availability_topic", t.status());
        o.put("payload_available", "online");
        o.put("payload_not_available", "offline");
        ObjectNode device = o.putObject("device");
        device.putArray("identifiers").add("minimeter_" + t.meterId());
        device.put("name", "Mini Meter " + t.meterId());
        device.put("manufacturer", "Mini Meter Gateway");
        device.put("model", model);
        device.put("sw_version", sw);
        ObjectNode origin = o.putObject("origin");
        origin.put("name", "Mini Meter Gateway");
        origin.put("sw_version", sw);
        return new Config(t.discovery("sensor", object), Payloads.bytes(o));
    }
}
