package org.minimeter.gateway.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every discovery message the gateway can produce passes the rules Home Assistant's MQTT
 * schemas enforce ({@link HaDiscoveryRules}); and the rules do catch each kind of mistake.
 */
class HaDiscoveryRulesTest {

    static final ObjectMapper JSON = new ObjectMapper();
    /** HA's single-component discovery topic: {@code <component>/[<node_id>/]<object_id>/config}. */
    static final Pattern LEGACY_TOPIC = Pattern.compile("homeassistant/sensor/[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+/config");

    static Stream<Arguments> meters() {
        List<Arguments> out = new ArrayList<>();
        for (String id : new String[] {"garage", "Shed-1", "panel_07"}) {
            for (int elements = 1; elements <= 4; elements++) {
                Topics t = new Topics("minimeter", id, "homeassistant");
                out.add(Arguments.of(t, t.status(), elements));
                out.add(Arguments.of(t, "minimeter/gw/status", elements));
            }
        }
        return out.stream();
    }

    static Discovery.Config device(Topics t, String gatewayStatus, int elements) {
        return Discovery.device(t, gatewayStatus, elements, "Mini Meter, " + elements + " element(s)", "9.9",
                new Discovery.Intervals(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(30)));
    }

    @ParameterizedTest
    @MethodSource("meters")
    void everyDevicePayloadAndMigrationStep_passesHomeAssistantsRules(Topics t, String gatewayStatus, int elements)
            throws Exception {
        Discovery.Config device = device(t, gatewayStatus, elements);
        JsonNode payload = JSON.readTree(device.payload());
        assertThat(HaDiscoveryRules.check(device.topic(), payload)).isEmpty();
        assertThat(payload.get("cmps").size()).isEqualTo(2 + 2 * elements + 4 + 5 * elements + 2);
        for (Discovery.Step s : Discovery.migration(t, elements, device)) {
            switch (s.kind()) {
                case MIGRATE -> {
                    assertThat(s.topic()).matches(LEGACY_TOPIC);
                    assertThat(JSON.readTree(s.payload())).isEqualTo(JSON.readTree("{\"migrate_discovery\":true}"));
                }
                case DEVICE_CONFIG -> assertThat(HaDiscoveryRules.check(s.topic(), JSON.readTree(s.payload())))
                        .isEmpty();
                case CLEAR -> {
                    assertThat(s.topic()).matches(LEGACY_TOPIC);
                    assertThat(s.payload()).isEmpty();
                }
            }
        }
    }

    static ObjectNode component(ObjectNode root, String key) {
        return (ObjectNode) root.get("cmps").get(key);
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                mistake("no platform", r -> component(r, "garage_power").remove("platform"), "platform (p) is required"),
                mistake("unknown platform", r -> component(r, "garage_power").put("platform", "sensors"),
                        "unknown platform sensors"),
                mistake("object_id", r -> component(r, "garage_power").put("object_id", "garage_power"),
                        "object_id is deprecated"),
                mistake("abbreviated object_id", r -> component(r, "garage_power").put("obj_id", "garage_power"),
                        "object_id is deprecated"),
                mistake("no unique_id", r -> component(r, "garage_power").remove("unique_id"),
                        "unique_id is required"),
                mistake("duplicate unique_id", r -> {
                    ObjectNode c = component(r, "garage_power_l1");
                    r.with("cmps").remove("garage_power_l1");
                    c.put("unique_id", "garage_power");
                    r.with("cmps").set("garage_power_x", c);
                }, "is not unique across the device"),
                mistake("cmps key differs from unique_id", r -> {
                    JsonNode c = r.with("cmps").remove("garage_power");
                    r.with("cmps").set("power", c);
                }, "does not match unique_id"),
                mistake("invalid cmps key", r -> {
                    ObjectNode c = (ObjectNode) r.with("cmps").remove("garage_power");
                    c.put("unique_id", "garage power");
                    r.with("cmps").set("garage power", c);
                }, "the key must be"),
                mistake("energy as a measurement", r -> component(r, "garage_energy_delivered")
                        .put("state_class", "measurement"), "state_class measurement is not valid with device_class energy"),
                mistake("power in kWh", r -> component(r, "garage_power").put("unit_of_measurement", "kWh"),
                        "unit_of_measurement kWh is not valid with device_class power"),
                mistake("power as total_increasing", r -> component(r, "garage_power")
                        .put("state_class", "total_increasing"), "not valid with device_class power"),
                mistake("energy without unit", r -> component(r, "garage_energy_received").remove("unit_of_measurement"),
                        "needs a unit_of_measurement"),
                mistake("power factor in W", r -> component(r, "garage_power_factor").put("unit_of_measurement", "W"),
                        "not valid with device_class power_factor"),
                mistake("reactive power in VA", r -> component(r, "garage_reactive_power")
                        .put("unit_of_measurement", "VA"), "not valid with device_class reactive_power"),
                mistake("voltage in A", r -> component(r, "garage_voltage_l1").put("unit_of_measurement", "A"),
                        "not valid with device_class voltage"),
                mistake("current in V", r -> component(r, "garage_current_l2").put("unit_of_measurement", "V"),
                        "not valid with device_class current"),
                mistake("frequency in rpm", r -> component(r, "garage_frequency").put("unit_of_measurement", "rpm"),
                        "not valid with device_class frequency"),
                mistake("unknown state class", r -> component(r, "garage_power").put("state_class", "gauge"),
                        "unknown state_class gauge"),
                mistake("typo in a key", r -> component(r, "garage_power").put("stat_topic", "x"),
                        "unknown sensor key stat_topic"),
                mistake("no state topic", r -> component(r, "garage_power").remove("state_topic"),
                        "state_topic is required"),
                mistake("precision as text", r -> component(r, "garage_power").put("suggested_display_precision", "0"),
                        "suggested_display_precision must be a non-negative integer"),
                mistake("negative expiry", r -> component(r, "garage_power").put("expire_after", -5),
                        "expire_after must be a non-negative integer"),
                mistake("enabled as text", r -> component(r, "garage_frequency").put("enabled_by_default", "false"),
                        "enabled_by_default must be a boolean"),
                mistake("config category on a sensor", r -> component(r, "garage_health").put("entity_category",
                        "config"), "entity_category can only be diagnostic"),
                mistake("entity id of another domain", r -> component(r, "garage_power").put("default_entity_id",
                        "binary_sensor.garage_power"), "default_entity_id"),
                mistake("entity id with upper case", r -> component(r, "garage_power").put("default_entity_id",
                        "sensor.Garage_power"), "default_entity_id"),
                mistake("device per component", r -> component(r, "garage_power").putObject("device").put("name", "x"),
                        "device cannot be set per component"),
                mistake("platform only", r -> {
                    r.with("cmps").putObject("garage_x").put("platform", "sensor");
                }, "needs at least one option besides platform"),
                mistake("no device", r -> r.remove("dev"), "device (dev) is required"),
                mistake("device without identifiers", r -> r.with("dev").remove("identifiers"),
                        "device needs identifiers or connections"),
                mistake("both dev and device", r -> r.putObject("device").putArray("identifiers").add("x"),
                        "both device and its abbreviation"),
                mistake("no origin", r -> r.remove("o"), "origin (o) is required"),
                mistake("origin without name", r -> r.with("o").remove("name"), "origin needs a name"),
                mistake("no components", r -> r.remove("cmps"), "components (cmps) must be a non-empty map"),
                mistake("availability entry without topic", r -> ((ObjectNode) r.withArray("availability").get(1))
                        .remove("topic"), "an availability entry has no topic"),
                mistake("availability entry with a typo", r -> ((ObjectNode) r.withArray("availability").get(0))
                        .put("payload_online", "up"), "unknown availability key payload_online"),
                mistake("availability list and topic", r -> r.put("availability_topic", "minimeter/gw/status"),
                        "availability and availability_topic are exclusive"),
                mistake("availability mode", r -> r.put("availability_mode", "both"),
                        "availability_mode must be all, any or latest"),
                mistake("empty availability", r -> ((ArrayNode) r.get("availability")).removeAll(),
                        "availability must be a non-empty list"),
                mistake("non-shareable root key", r -> r.put("unit_of_measurement", "W"),
                        "non-shareable key at the device level: unit_of_measurement"));
    }

    static Arguments mistake(String name, Consumer<ObjectNode> change, String expected) {
        return Arguments.of(name, change, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void eachMistake_isCaughtWithAMessageThatNamesIt(String name, Consumer<ObjectNode> change, String expected)
            throws Exception {
        Discovery.Config c = DiscoveryTest.garage();
        ObjectNode payload = (ObjectNode) JSON.readTree(c.payload());
        assertThat(HaDiscoveryRules.check(c.topic(), payload)).as("unchanged").isEmpty();
        change.accept(payload);
        assertThat(HaDiscoveryRules.check(c.topic(), payload)).as(name).anyMatch(v -> v.contains(expected));
    }

    @Test
    void aPerSensorTopic_isNotADeviceTopic() throws Exception {
        Discovery.Config c = DiscoveryTest.garage();
        assertThat(HaDiscoveryRules.check("homeassistant/sensor/garage/power/config", JSON.readTree(c.payload())))
                .anyMatch(v -> v.contains("is not <prefix>/device/<object id>/config"));
        assertThat(HaDiscoveryRules.check(c.topic(), JSON.readTree("[1]".getBytes(StandardCharsets.UTF_8))))
                .containsExactly("payload is not a JSON object");
    }
}
