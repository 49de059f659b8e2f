package org.minimeter.gateway.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Home Assistant discovery against the expected sensors, written out here independently of
 * the code: every config's full payload is compared with one built from this table.
 */
class DiscoveryTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Topics T = new Topics("minimeter", "garage", "homeassistant");
    static final String MODEL = "Mini Meter, 2 element(s), CT 200 A, 60 Hz";

    /** object id, name, state topic leaf, template, device class, state class, unit, entity category. */
    static List<String[]> expectedSensors() {
        List<String[]> s = new ArrayList<>();
        for (String dir : new String[] {"delivered", "received"}) {
            s.add(new String[] {"energy_" + dir, "Energy " + dir, "energy", "{{ value_json." + dir + "_kwh }}",
                "energy", "total_increasing", "kWh", null});
            for (int e = 1; e <= 2; e++) {
                s.add(new String[] {"energy_" + dir + "_l" + e, "Energy " + dir + " L" + e, "energy",
                    "{{ value_json.elements[" + (e - 1) + "]." + dir + "_kwh }}", "energy", "total_increasing", "kWh",
                    null});
            }
        }
        s.add(new String[] {"power", "Power", "power", "{{ value_json.power_w }}", "power", "measurement", "W", null});
        s.add(new String[] {"reactive_power", "Reactive power", "power", "{{ value_json.reactive_var }}",
            "reactive_power", "measurement", "var", null});
        s.add(new String[] {"power_factor", "Power factor", "power", "{{ value_json.pf }}", "power_factor",
            "measurement", null, null});
        s.add(new String[] {"frequency", "Frequency", "power", "{{ value_json.frequency_hz }}", "frequency",
            "measurement", "Hz", null});
        for (int e = 1; e <= 2; e++) {
            String el = "elements[" + (e - 1) + "]";
            s.add(new String[] {"power_l" + e, "Power L" + e, "power", "{{ value_json." + el + ".power_w }}", "power",
                "measurement", "W", null});
            s.add(new String[] {"voltage_l" + e, "Voltage L" + e, "power", "{{ value_json." + el + ".voltage_v }}",
                "voltage", "measurement", "V", null});
            s.add(new String[] {"current_l" + e, "Current L" + e, "power", "{{ value_json." + el + ".current_a }}",
                "current", "measurement", "A", null});
            s.add(new String[] {"power_factor_l" + e, "Power factor L" + e, "power", "{{ value_json." + el + ".pf }}",
                "power_factor", "measurement", null, null});
            s.add(new String[] {"reactive_power_l" + e, "Reactive power L" + e, "power",
                "{{ value_json." + el + ".reactive_var }}", "reactive_power", "measurement", "var", null});
        }
        s.add(new String[] {"health", "Health", "health", "{{ value_json.status }}", null, null, null, "diagnostic"});
        s.add(new String[] {"active_alarms", "Active alarms", "health", "{{ value_json.active_alarms | count }}", null,
            "measurement", null, "diagnostic"});
        return s;
    }

    static JsonNode expected(String[] x) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", x[1]);
        o.put("unique_id", "garage_" + x[0]);
        o.put("object_id", "garage_" + x[0]);
        o.put("state_topic", "minimeter/garage/" + x[2]);
        o.put("value_template", x[3]);
        if (x[4] != null) {
            o.put("device_class", x[4]);
        }
        if (x[5] != null) {
            o.put("state_class", x[5]);
        }
        if (x[6] != null) {
            o.put("unit_of_measurement", x[6]);
        }
        if (x[7] != null) {
            o.put("entity_category", x[7]);
            o.put("json_attributes_topic", "minimeter/garage/" + x[2]);
        }
        o.put("availability_topic", "minimeter/garage/status");
        o.put("payload_available", "online");
        o.put("payload_not_available", "offline");
        ObjectNode d = o.putObject("device");
        d.putArray("identifiers").add("minimeter_garage");
        d.put("name", "Mini Meter garage");
        d.put("manufacturer", "Mini Meter Gateway");
        d.put("model", MODEL);
        d.put("sw_version", "1.2.3");
        ObjectNode origin = o.putObject("origin");
        origin.put("name", "Mini Meter Gateway");
        origin.put("sw_version", "1.2.3");
        return o;
    }

    @Test
    void everyConfig_matchesTheExpectedSensorExactly() throws Exception {
        Map<String, JsonNode> actual = new java.util.LinkedHashMap<>();
        for (Discovery.Config c : Discovery.configs(T, 2, MODEL, "1.2.3")) {
            actual.put(c.topic(), JSON.readTree(c.payload()));
        }
        List<String[]> expected = expectedSensors();
        assertThat(actual).hasSize(expected.size());
        for (String[] x : expected) {
            String topic = "homeassistant/sensor/garage/" + x[0] + "/config";
            assertThat(actual).containsKey(topic);
            assertThat(actual.get(topic)).as(topic).isEqualTo(expected(x));
        }
    }

    @Test
    void energyDashboardRequirements_holdForEveryEnergySensor() throws Exception {
        for (Discovery.Config c : Discovery.configs(T, 1, MODEL, "1")) {
            JsonNode j = JSON.readTree(c.payload());
            if (j.path("device_class").asText().equals("energy")) {
                assertThat(j.get("state_class").asText()).isEqualTo("total_increasing");
                assertThat(j.get("unit_of_measurement").asText()).isEqualTo("kWh");
            }
        }
        var ids = Discovery.configs(T, 2, MODEL, "1").stream().map(c -> {
            try {
                return JSON.readTree(c.payload()).get("unique_id").asText();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).collect(Collectors.toList());
        assertThat(ids).doesNotHaveDuplicates();
    }

    @Test
    void goldenFile_energyDelivered() throws Exception {
        JsonNode golden = JSON.readTree(Files.readString(Path.of("src/test/resources/golden/ha-energy-delivered.json")));
        Discovery.Config c = Discovery.configs(T, 2, MODEL, "1.2.3").get(0);
        assertThat(c.topic()).isEqualTo("homeassistant/sensor/garage/energy_delivered/config");
        assertThat(JSON.readTree(c.payload())).isEqualTo(golden);
    }

    @Test
    void singleElementMeter_hasNoSecondElementSensors() {
        assertThat(Discovery.configs(T, 1, MODEL, "1")).extracting(Discovery.Config::topic)
                .noneMatch(t -> t.contains("_l2/"))
                .hasSize(22 - 2 - 5);
    }
}
