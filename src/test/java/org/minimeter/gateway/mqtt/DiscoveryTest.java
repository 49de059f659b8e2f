package org.minimeter.gateway.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Home Assistant device-based discovery and the migration to it, against golden payloads
 * written by hand from SPEC.md section 4 and HA's MQTT discovery documentation.
 */
class DiscoveryTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Path GOLDEN = Path.of("src/test/resources/golden");

    static final Topics GARAGE = new Topics("minimeter", "garage", "homeassistant");
    static final String GATEWAY_STATUS = "minimeter/gw/status";
    static final Discovery.Intervals GARAGE_INTERVALS = new Discovery.Intervals(Duration.ofSeconds(60),
            Duration.ofSeconds(5), Duration.ofSeconds(30));

    static final Topics SHED = new Topics("minimeter", "Shed-1", "homeassistant");
    static final Discovery.Intervals SHED_INTERVALS = new Discovery.Intervals(Duration.ofMinutes(5),
            Duration.ofSeconds(1), Duration.ofMinutes(1));

    static Discovery.Config garage() {
        return Discovery.device(GARAGE, GATEWAY_STATUS, 2, "Mini Meter, 2 element(s), CT 200 A, 60 Hz", "1.2.3",
                GARAGE_INTERVALS);
    }

    /** One meter: the gateway id defaults to the meter id, so both status topics are the same. */
    static Discovery.Config shed() {
        return Discovery.device(SHED, SHED.status(), 1, "Mini Meter, 1 element(s), CT 100 A, 50 Hz", "2.0.0",
                SHED_INTERVALS);
    }

    static JsonNode golden(String file) throws Exception {
        return JSON.readTree(Files.readString(GOLDEN.resolve(file)));
    }

    @Test
    void twoElementMeterOfAMultiMeterGateway_matchesTheGoldenPayload() throws Exception {
        Discovery.Config c = garage();
        assertThat(c.topic()).isEqualTo("homeassistant/device/garage/config");
        assertThat(JSON.readTree(c.payload())).isEqualTo(golden("ha-device-2-elements.json"));
    }

    @Test
    void singleMeterGateway_matchesTheGoldenPayload_withOneAvailabilityTopic() throws Exception {
        Discovery.Config c = shed();
        assertThat(c.topic()).isEqualTo("homeassistant/device/Shed-1/config");
        assertThat(JSON.readTree(c.payload())).isEqualTo(golden("ha-device-1-element.json"));
    }

    @Test
    void migration_isHomeAssistantsDocumentedSequence_matchingTheGolden() throws Exception {
        List<Discovery.Step> steps = Discovery.migration(SHED, 1, shed());
        JsonNode golden = golden("ha-migration-1-element.json");
        assertThat(steps).hasSize(golden.size());
        for (int i = 0; i < steps.size(); i++) {
            Discovery.Step s = steps.get(i);
            JsonNode g = golden.get(i);
            assertThat(s.kind().name()).as("step %d kind", i).isEqualTo(g.get("kind").asText());
            assertThat(s.topic()).as("step %d topic", i).isEqualTo(g.get("topic").asText());
            assertThat(s.retain()).as("step %d retain", i).isEqualTo(g.get("retain").asBoolean());
            if (g.has("payload_golden")) {
                assertThat(JSON.readTree(s.payload())).as("step %d", i).isEqualTo(golden(
                        g.get("payload_golden").asText()));
            } else if (g.get("payload").isTextual()) {
                assertThat(new String(s.payload(), StandardCharsets.UTF_8)).as("step %d", i)
                        .isEqualTo(g.get("payload").asText());
            } else {
                assertThat(JSON.readTree(s.payload())).as("step %d", i).isEqualTo(g.get("payload"));
            }
        }
    }

    @Test
    void migration_coversEveryTopicEarlierVersionsPublished_andOnlyThose() {
        // the per-sensor object ids of the previous release, 2 elements: 22 topics
        List<String> previous = new ArrayList<>();
        for (String dir : new String[] {"delivered", "received"}) {
            previous.addAll(List.of("energy_" + dir, "energy_" + dir + "_l1", "energy_" + dir + "_l2"));
        }
        previous.addAll(List.of("power", "reactive_power", "power_factor", "frequency"));
        for (int e = 1; e <= 2; e++) {
            for (String o : new String[] {"power", "voltage", "current", "power_factor", "reactive_power"}) {
                previous.add(o + "_l" + e);
            }
        }
        previous.addAll(List.of("health", "active_alarms"));
        List<String> expected = previous.stream().map(o -> "homeassistant/sensor/garage/" + o + "/config").toList();
        assertThat(Discovery.legacyTopics(GARAGE, 2)).containsExactlyElementsOf(expected);
        List<Discovery.Step> steps = Discovery.migration(GARAGE, 2, garage());
        assertThat(steps.subList(0, 22)).extracting(Discovery.Step::topic).containsExactlyElementsOf(expected);
        assertThat(steps.get(22).kind()).isEqualTo(Discovery.Step.Kind.DEVICE_CONFIG);
        assertThat(steps.subList(23, 45)).extracting(Discovery.Step::topic).containsExactlyElementsOf(expected);
        assertThat(steps).allMatch(Discovery.Step::retain);
    }

    @Test
    void migration_refusesAnotherMetersDeviceConfig() {
        assertThatThrownBy(() -> Discovery.migration(SHED, 1, garage()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("homeassistant/device/Shed-1/config");
    }

    @Test
    void everyEnergySensor_staysEligibleForTheEnergyDashboard() throws Exception {
        for (Discovery.Config c : List.of(garage(), shed())) {
            JsonNode cmps = JSON.readTree(c.payload()).get("cmps");
            int energy = 0;
            for (JsonNode s : cmps) {
                if (s.path("device_class").asText().equals("energy")) {
                    energy++;
                    assertThat(s.get("state_class").asText()).isEqualTo("total_increasing");
                    assertThat(s.get("unit_of_measurement").asText()).isEqualTo("kWh");
                }
            }
            assertThat(energy).isPositive();
        }
    }

    @ParameterizedTest
    @CsvSource({"PT0.2S, 10", "PT1S, 10", "PT4S, 12", "PT5.5S, 17", "PT1M, 180", "PT15M, 2700"})
    void expireAfter_isThreeIntervals_neverUnderTenSeconds(Duration interval, long seconds) {
        assertThat(Discovery.expireAfterSeconds(interval)).isEqualTo(seconds);
    }

    @ParameterizedTest
    @CsvSource({"garage, garage", "Shed-1, shed_1", "A--b__c, a_b_c", "-x-, x"})
    void defaultEntityIds_followHomeAssistantsObjectIdRules(String id, String slug) {
        assertThat(Discovery.slug(id)).isEqualTo(slug);
    }

    @Test
    void intervals_mustBePositive() {
        assertThatThrownBy(() -> new Discovery.Intervals(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
