package org.minimeter.gateway.app.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.modbus.RegisterMap;

/** modbus.* and meters.<id>.modbus.unit-id, through SmallRye as Quarkus reads them. */
class ModbusSetupTest {

    private static ModbusSetup setup(Map<String, String> properties) {
        SmallRyeConfig c = SetupConfigs.builder(ModbusConfig.class)
                .withSources(new PropertiesConfigSource(properties, "test", 250))
                .build();
        return ModbusSetup.from(c.getConfigMapping(ModbusConfig.class), c.getConfigMapping(MetersConfig.class),
                SetupConfigs.gateway(c));
    }

    private static List<String> problems(Map<String, String> properties) {
        return SetupConfigs.problems(properties, ModbusSetupTest::setup);
    }

    private static Map<String, String> threeMeters(String... more) {
        Map<String, String> p = new HashMap<>(Map.of("meters.house-a.elements", "2", "meters.house-b.elements", "2",
                "meters.shop.elements", "1"));
        for (int k = 0; k < more.length; k += 2) {
            p.put(more[k], more[k + 1]);
        }
        return p;
    }

    @Test
    void defaults_offOnPort5020_sunSpec_16Connections_unitOneForTheFlatMeter() {
        ModbusSetup s = setup(Map.of());
        assertThat(s.enabled()).isFalse();
        assertThat(s.settings().port()).isEqualTo(5020);
        assertThat(s.settings().host()).isEqualTo("0.0.0.0");
        assertThat(s.settings().map()).isEqualTo(RegisterMap.SUNSPEC);
        assertThat(s.settings().maxConnections()).isEqualTo(16);
        assertThat(s.settings().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.settings().maxRequestsPerSecond()).isEqualTo(50);
        assertThat(s.unitIds()).containsExactly(Map.entry("minimeter-1", 1));
        assertThat(s.describe()).isEqualTo("modbus.enabled=false");
    }

    @Test
    void theFlatMeter_takesModbusUnitId() {
        assertThat(setup(Map.of("modbus.unit-id", "240")).unitIds()).containsExactly(Map.entry("minimeter-1", 240));
    }

    @Test
    void meters_takeUnitIdsFromOne_inMeterOrder_aroundTheOnesSet() {
        assertThat(setup(threeMeters()).unitIds()).containsExactly(Map.entry("house-a", 1), Map.entry("house-b", 2),
                Map.entry("shop", 3));
        assertThat(setup(threeMeters("meters.house-b.modbus.unit-id", "1", "meters.shop.modbus.unit-id", "3"))
                .unitIds()).containsExactly(Map.entry("house-a", 2), Map.entry("house-b", 1), Map.entry("shop", 3));
    }

    @Test
    void describe_listsTheKeysAndTheUnits() {
        ModbusSetup s = setup(threeMeters("modbus.enabled", "true", "modbus.map", "sdm", "modbus.port", "1502"));
        assertThat(s.describe()).isEqualTo("modbus.enabled=true modbus.host=0.0.0.0 modbus.port=1502 modbus.map=sdm"
                + " modbus.max-connections=16 modbus.idle-timeout=60s modbus.max-requests-per-second=50"
                + " unit ids: house-a=1,house-b=2,shop=3");
    }

    @Test
    void aBadMapName_namesTheKeyTheValueAndTheMaps() {
        assertThat(problems(Map.of("modbus.map", "sunspec202")))
                .containsExactly("modbus.map=sunspec202 is not allowed: allowed sunspec or sdm");
    }

    @Test
    void aDuplicateUnitId_namesBothMeters() {
        assertThat(problems(threeMeters("meters.house-a.modbus.unit-id", "5", "meters.shop.modbus.unit-id", "5")))
                .containsExactly("meters.shop.modbus.unit-id=5 is not allowed: allowed a unit id not already used by"
                        + " meters.house-a.modbus.unit-id");
    }

    @Test
    void unitIdsOutside1To247_andBadServerValues_areAllReportedAtOnce() {
        assertThat(problems(threeMeters("meters.house-a.modbus.unit-id", "0", "meters.shop.modbus.unit-id", "248",
                "modbus.port", "70000", "modbus.max-connections", "0", "modbus.idle-timeout", "0s",
                "modbus.max-requests-per-second", "0")))
                .containsExactlyInAnyOrder(
                        "modbus.port=70000 is not allowed: allowed 1 to 65535",
                        "modbus.max-connections=0 is not allowed: allowed 1 to 1024",
                        "modbus.idle-timeout=0s is not allowed: allowed 1s to 1h",
                        "modbus.max-requests-per-second=0 is not allowed: allowed 1 to 10000",
                        "meters.house-a.modbus.unit-id=0 is not allowed: allowed 1 to 247",
                        "meters.shop.modbus.unit-id=248 is not allowed: allowed 1 to 247");
    }

    @Test
    void theFlatUnitId_withMeters_isRefused() {
        assertThat(problems(threeMeters("modbus.unit-id", "3"))).containsExactly(
                "modbus.unit-id=3 is not allowed: allowed only without meters.*: per meter as meters.<id>.modbus.unit-id");
    }

    @Test
    void badValues_stopStartUpEvenWithModbusOff() {
        assertThat(problems(Map.of("modbus.enabled", "false", "modbus.port", "0")))
                .containsExactly("modbus.port=0 is not allowed: allowed 1 to 65535");
    }

    @Test
    void moreMetersThanUnitIds_mattersOnlyWithModbusOn() {
        Map<String, String> many = new HashMap<>();
        for (int k = 0; k < 250; k++) {
            many.put("meters.m" + k + ".elements", "1");
        }
        assertThat(setup(many).unitIds()).hasSize(247);
        many.put("modbus.enabled", "true");
        assertThat(problems(many)).containsExactly("modbus.enabled=true is not allowed with 250 meters: allowed at most"
                + " 247 meters (one unit id each, 1 to 247)");
    }
}
