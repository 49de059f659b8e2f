package org.minimeter.gateway.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SPEC.md section 5: many meters from meters.<id>.*, through SmallRye itself as Quarkus runs it. */
class GatewaySetupTest {

    private static SmallRyeConfig config(Map<String, String> properties, Map<String, String> env) {
        return SetupConfigs.builder()
                .withSources(new PropertiesConfigSource(properties, "test", 250))
                .withSources(new EnvConfigSource(env, 300))
                .build();
    }

    private static GatewaySetup setup(SmallRyeConfig c) {
        return SetupConfigs.gateway(c);
    }

    private static GatewaySetup setup(Map<String, String> properties) {
        return setup(config(properties, Map.of()));
    }

    private static List<String> problems(Map<String, String> properties) {
        return SetupConfigs.problems(properties, GatewaySetupTest::setup);
    }

    private static MeterSetup meter(GatewaySetup g, String id) {
        return g.meters().stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void noMetersKeys_flatKeysAreOneMeterAsBefore() {
        GatewaySetup g = setup(Map.of("meter.id", "garage", "simulator.speed", "5"));
        assertThat(g.multi()).isFalse();
        assertThat(g.gatewayId()).isEqualTo("garage");
        assertThat(g.meters()).singleElement().satisfies(m -> {
            assertThat(m.id()).isEqualTo("garage");
            assertThat(m.simulator().speed()).isEqualTo(5);
            assertThat(m.pins()).containsEntry("pulse10", 17).containsEntry("pulse100", 27)
                    .containsEntry("pulse1000", 22).containsEntry("counter", 23);
            assertThat(m.registerDir()).isEqualTo(Path.of("./data/garage"));
            assertThat(m.faultFile()).isEmpty();
        });
        assertThat(g.outboxDir()).isEqualTo(Path.of("./data/outbox"));
    }

    @Test
    void flatBadValue_keepsTheFlatMessage() {
        assertThat(problems(Map.of("meter.frequency", "55")))
                .containsExactly("meter.frequency=55 is not allowed: allowed 50 or 60");
    }

    @Test
    void perMeterKeys_bindAndUnsetKeysInheritTheFlatValue() {
        GatewaySetup g = setup(Map.of("simulator.speed", "10", "meter.ct-rating", "100",
                "meters.house.frequency", "50", "meters.house.elements", "1",
                "meters.barn.simulator.speed", "2", "meters.barn.ct-rating", "200"));
        assertThat(g.multi()).isTrue();
        assertThat(g.meters()).extracting(MeterSetup::id).containsExactly("barn", "house");
        MeterSetup house = meter(g, "house");
        assertThat(house.frequency()).isEqualTo(50);
        assertThat(house.elements()).isEqualTo(1);
        assertThat(house.ctRating()).isEqualTo(100);
        assertThat(house.simulator().speed()).isEqualTo(10);
        assertThat(house.simulator().voltage()).isEqualTo(240);
        MeterSetup barn = meter(g, "barn");
        assertThat(barn.frequency()).isEqualTo(60);
        assertThat(barn.ctRating()).isEqualTo(200);
        assertThat(barn.simulator().speed()).isEqualTo(2);
        // without pins a meter publishes pulse events only
        assertThat(house.pins()).isEmpty();
        assertThat(house.hasOutputLines()).isFalse();
    }

    @Test
    void perMeterKeys_bindFromEnvironmentVariables() {
        GatewaySetup g = setup(config(Map.of("meters.shed-2.frequency", "60"),
                Map.of("METERS_HOUSE_FREQUENCY", "50", "METERS_HOUSE_SIMULATOR_SPEED", "10",
                        "METERS_SHED_2_FREQUENCY", "50")));
        assertThat(meter(g, "house").frequency()).isEqualTo(50);
        assertThat(meter(g, "house").simulator().speed()).isEqualTo(10);
        // an id with '-' is matched once a file names the meter
        assertThat(meter(g, "shed-2").frequency()).isEqualTo(50);
    }

    @Test
    void environmentVariable_forAMeterNoFileNames_isRefused() {
        assertThatThrownBy(() -> setup(config(Map.of("meters.house.frequency", "60"),
                Map.of("METERS_SHED_2_FREQUENCY", "50"))))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("environment variable METERS_SHED_2_FREQUENCY is not a known key");
    }

    @Test
    void perMeterSourceKeys_seedAndFaultFileAndStorageDir() {
        GatewaySetup g = setup(Map.of("meters.a.simulator.current", "7", "meters.a.simulator.seed", "42",
                "meters.a.simulator.fault-file", "/tmp/a.fault", "meters.a.storage.dir", "/srv/meters",
                "meters.a.storage.seed.id", "utility-1", "meters.a.storage.seed.delivered-kwh", "12.5",
                "meters.a.block-ms", "20", "meters.b.source", "simulator"));
        MeterSetup a = meter(g, "a");
        assertThat(a.simulator().load().current(0, 2)).isEqualTo(7);
        assertThat(a.simulator().seed()).isEqualTo(42);
        assertThat(a.faultFile()).contains(Path.of("/tmp/a.fault"));
        assertThat(a.registerDir()).isEqualTo(Path.of("/srv/meters/a"));
        assertThat(a.seed()).hasValueSatisfying(s -> assertThat(s.deliveredMicroWh()).hasValue(12_500_000_000L));
        assertThat(a.blockMs()).isEqualTo(20);
        assertThat(a.simulator().blockSize()).isEqualTo(160);
        assertThat(meter(g, "b").registerDir()).isEqualTo(Path.of("./data/b"));
        assertThat(meter(g, "b").seed()).isEmpty();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "meters.house.frequency|55|meters.house.frequency=55 is not allowed: allowed 50 or 60",
        "meters.house.elements|3|meters.house.elements=3 is not allowed: allowed 1 or 2",
        "meters.house.ct-rating|150|meters.house.ct-rating=150 is not allowed: allowed 100 or 200",
        "meters.house.source|ads1256|meters.house.source=ads1256 is not allowed: allowed simulator, replay, mcp3208,"
                + " mcp3008, ads131m04, atm90e32",
        "meters.house.block-ms|0|meters.house.block-ms=0 is not allowed: allowed 5 to 1000 ms",
        "meters.house.simulator.speed|0|meters.house.simulator.speed=0 is not allowed: allowed more than 0",
        "meters.house.simulator.current|300|meters.house.simulator.current=300 is not allowed: allowed 0 to 200 A",
        "meters.house.simulator.skew-us|200|meters.house.simulator.skew-us=200 is not allowed: allowed 0 to 125 us "
                + "(one sample period at meter.sample-rate)",
        "meters.house.storage.seed.delivered-kwh|5|meters.house.storage.seed.id=(unset) is not allowed",
        "meters.house.gpio.pulse10|40|meters.house.gpio.pulse100=(unset) is not allowed: allowed all four of "
                + "meters.house.gpio.{pulse10,pulse100,pulse1000,counter} or none (set: pulse10)",
    })
    void badPerMeterValue_namesTheMeterKeyValueAndAllowed(String key, String value, String message) {
        Map<String, String> p = new HashMap<>(Map.of(key, value, "meter.ct-rating", "100"));
        assertThat(problems(p)).anySatisfy(line -> assertThat(line).startsWith(message));
    }

    @Test
    void badInheritedValue_isReportedWithTheFlatKeyAndTheMeter() {
        assertThat(problems(Map.of("simulator.speed", "0", "meters.house.frequency", "50",
                "meters.barn.simulator.speed", "3")))
                .containsExactly("simulator.speed=0 (inherited by meters.house) is not allowed: allowed more than 0 "
                        + "and at most 10000 (simulated seconds per second)");
    }

    @Test
    void inheritedValue_checkedAgainstEachMeter() {
        // 300 A is within twice a 200 A CT, not a 100 A one
        assertThat(problems(Map.of("simulator.current", "300", "meters.big.ct-rating", "200",
                "meters.small.ct-rating", "100")))
                .containsExactly("simulator.current=300 (inherited by meters.small) is not allowed: allowed 0 to 200 "
                        + "A rms (twice the CT rating)");
    }

    @Test
    void everyProblemOfEveryMeter_isReportedAtOnce() {
        assertThat(problems(Map.of("meters.a.frequency", "55", "meters.b.elements", "0", "gateway.id", "Bad Id")))
                .hasSize(3);
    }

    @Test
    void pins_allFourGiveOutputLines() {
        GatewaySetup g = setup(Map.of("meters.a.gpio.pulse10", "5", "meters.a.gpio.pulse100", "6",
                "meters.a.gpio.pulse1000", "13", "meters.a.gpio.counter", "19", "meters.b.frequency", "60"));
        assertThat(meter(g, "a").pins()).containsExactly(Map.entry("pulse10", 5), Map.entry("pulse100", 6),
                Map.entry("pulse1000", 13), Map.entry("counter", 19));
        assertThat(meter(g, "b").pins()).isEmpty();
    }

    @Test
    void samePinOnTwoMeters_namesBothKeys() {
        Map<String, String> p = new HashMap<>();
        for (String id : List.of("a", "b")) {
            p.put("meters." + id + ".gpio.pulse10", id.equals("a") ? "5" : "12");
            p.put("meters." + id + ".gpio.pulse100", id.equals("a") ? "6" : "16");
            p.put("meters." + id + ".gpio.pulse1000", id.equals("a") ? "13" : "20");
            p.put("meters." + id + ".gpio.counter", id.equals("a") ? "19" : "5");
        }
        assertThat(problems(p)).containsExactly(
                "meters.b.gpio.counter=5 is not allowed: allowed a GPIO not already used by meters.a.gpio.pulse10");
    }

    @Test
    void samePinTwiceInOneMeter_namesBothKeys() {
        assertThat(problems(Map.of("meters.a.gpio.pulse10", "5", "meters.a.gpio.pulse100", "5",
                "meters.a.gpio.pulse1000", "13", "meters.a.gpio.counter", "19"))).containsExactly(
                "meters.a.gpio.pulse100=5 is not allowed: allowed a GPIO not already used by meters.a.gpio.pulse10");
    }

    @Test
    void flatPinKeys_withMeters_areRefused() {
        assertThat(problems(Map.of("hal.gpio.pulse10", "5", "meters.a.frequency", "60"))).containsExactly(
                "hal.gpio.pulse10=5 is not allowed: allowed only without meters.*: per meter as "
                        + "meters.<id>.gpio.pulse10 (two meters cannot drive one line)");
    }

    @Test
    void flatSeed_withMeters_isRefused() {
        assertThat(problems(Map.of("storage.seed.id", "u1", "storage.seed.delivered-kwh", "3", "meters.a.elements",
                "1"))).singleElement().asString()
                .startsWith("storage.seed.id=u1 is not allowed: allowed per meter as meters.<id>.storage.seed.*");
    }

    @Test
    void registerInsideAnotherMetersRegister_isRefused() {
        assertThat(problems(Map.of("storage.dir", "/srv/data", "meters.a.frequency", "60",
                "meters.b.storage.dir", "/SRV/data/a")))
                .containsExactly("meters.b.storage.dir=/SRV/data/a is not allowed: allowed a directory whose register "
                        + "directory /SRV/data/a/b (meters.b) neither is, contains nor lies inside /srv/data/a "
                        + "(meters.a)");
    }

    @Test
    void registerInsideTheSharedOutbox_isRefused() {
        assertThat(problems(Map.of("storage.dir", "/srv/data", "meters.a.storage.dir", "/srv/data/outbox")))
                .singleElement().asString().startsWith("meters.a.storage.dir=/srv/data/outbox is not allowed")
                .contains("/srv/data/outbox (the shared outbox)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "meters.outbox.frequency|meters.outbox.frequency=outbox is not allowed: allowed any meter id but outbox",
        "meters.House.frequency|meters.House.frequency=House is not allowed: allowed a meter id of lower-case",
        "meters.\"a.b\".frequency|meters.\"a.b\".frequency=a.b is not allowed: allowed a meter id of lower-case",
    })
    void badMeterId_namesTheOffendingKey(String key, String message) {
        assertThat(problems(Map.of(key, "60"))).anySatisfy(line -> assertThat(line).startsWith(message));
    }

    @Test
    void flatReservedId_isRefused() {
        assertThat(problems(Map.of("meter.id", "outbox"))).singleElement().asString()
                .startsWith("meter.id=outbox is not allowed: allowed any id but outbox");
    }

    @Test
    void idsDifferingOnlyInCase_areRefused() {
        assertThat(problems(Map.of("meters.house.frequency", "60", "meters.HOUSE.frequency", "50")))
                .singleElement().asString().startsWith("meters.HOUSE.frequency=HOUSE is not allowed");
    }

    @Test
    void misspelledPerMeterKey_stopsStartUpNamingIt() {
        assertThat(problems(Map.of("meters.house.frequncy", "50"))).singleElement().asString()
                .startsWith("meters.house.frequncy is not a known key: allowed meters.<id>.<key> with <key> one of ")
                .contains("frequency", "simulator.fault-file", "gpio.counter", "storage.seed.allow-decrease");
        assertThat(problems(Map.of("meters.house.frequency", "50", "meters.house.simulator.sped", "5")))
                .singleElement().asString().startsWith("meters.house.simulator.sped is not a known key");
        assertThat(problems(Map.of("meters.house", "50"))).singleElement().asString()
                .startsWith("meters.house is not a known key");
    }

    @Test
    void gatewayId_defaultsToTheOnlyMetersId() {
        assertThat(setup(Map.of("meters.house.frequency", "60")).gatewayId()).isEqualTo("house");
    }

    @Test
    void gatewayId_defaultsToMinimeterGatewayWithSeveralMeters() {
        assertThat(setup(Map.of("meters.a.frequency", "60", "meters.b.frequency", "60")).gatewayId())
                .isEqualTo(GatewaySetup.DEFAULT_ID).isEqualTo("minimeter-gateway");
    }

    @Test
    void gatewayId_setIsUsedAndChecked() {
        assertThat(setup(Map.of("gateway.id", "panel-1", "meters.a.frequency", "60")).gatewayId())
                .isEqualTo("panel-1");
        assertThat(problems(Map.of("gateway.id", "Panel 1"))).containsExactly(
                "gateway.id=Panel 1 is not allowed: allowed lower-case letters, digits, '_' and '-' ([a-z0-9_-]+)");
    }

    @Test
    void gatewayId_sameAsOneOfSeveralMeters_isRefused() {
        assertThat(problems(Map.of("gateway.id", "a", "meters.a.frequency", "60", "meters.b.frequency", "60")))
                .singleElement().asString().startsWith("gateway.id=a is not allowed: allowed an id that is no meter's");
    }

    @Test
    void mqttClientIdAndLastWill_followTheGatewayId() {
        GatewaySetup g = setup(Map.of("meters.a.frequency", "60", "meters.b.frequency", "60"));
        MqttSetup m = MqttSetupTest.setup(Map.of(), g.gatewayId());
        assertThat(m.settings().clientId()).isEqualTo("minimeter-minimeter-gateway");
        assertThat(m.willTopic()).isEqualTo("minimeter/minimeter-gateway/status");
    }

    @Test
    void describe_namesEveryMeterAndItsEffectiveValues() {
        GatewaySetup g = setup(Map.of("simulator.speed", "10", "meters.a.frequency", "50", "meters.b.frequency",
                "60"));
        String all = String.join("\n", g.describe());
        assertThat(all).contains("gateway.id=minimeter-gateway meters=a,b (meters.*)",
                "meters.a: meter.id=a meter.frequency=50", "meters.b: meter.id=b meter.frequency=60",
                "simulator.speed=10", "gpio=(none: pulse events only)");
    }

    @Test
    void shippedExample_isThreeValidMeters() throws IOException {
        SmallRyeConfig c = SetupConfigs.builder()
                .withSources(new PropertiesConfigSource(Path.of("examples/three-meters/config/application.properties").toUri().toURL(), 260))
                .build();
        GatewaySetup g = setup(c);
        assertThat(g.gatewayId()).isEqualTo("demo-panel");
        assertThat(g.meters()).extracting(MeterSetup::id).containsExactly("house-a", "house-b", "shop-50hz");
        assertThat(g.meters()).extracting(MeterSetup::frequency).containsExactly(60, 60, 50);
        assertThat(g.meters()).extracting(MeterSetup::elements).containsExactly(2, 2, 1);
        MeterSetup shop = meter(g, "shop-50hz");
        assertThat(shop.simulator().voltage()).isEqualTo(240);
        assertThat(shop.simulator().load().current(0, 1)).isEqualTo(16);
        assertThat(shop.simulator().load().current(7200, 1)).isEqualTo(16);
        assertThat(shop.faultFile()).isPresent();
        assertThat(meter(g, "house-a").pins()).hasSize(4);
        assertThat(meter(g, "house-b").pins()).isEmpty();
        assertThat(g.meters()).allSatisfy(m -> assertThat(m.simulator().speed()).isEqualTo(10));
        assertThat(meter(g, "house-a").simulator().seed()).isNotEqualTo(meter(g, "house-b").simulator().seed());
    }

    @Test
    void replayMeter_takesItsFileAndInheritsTheFlatReplayKeys(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path csv = java.nio.file.Files.writeString(dir.resolve("r.csv"), "# rate=8000\nv1,i1\n0,0\n");
        GatewaySetup g = setup(Map.of("replay.speed", "5", "meters.field.source", "replay", "meters.field.elements",
                "1", "meters.field.replay.file", csv.toString(), "meters.field.replay.scale.v1", "400"));
        var replay = g.meters().get(0).replay().orElseThrow();
        assertThat(replay.file()).isEqualTo(csv);
        assertThat(replay.speed()).isEqualTo(5);
        assertThat(replay.scales()).containsEntry("v1", 400.0);
        assertThat(replay.loop()).isFalse();
    }

    @Test
    void replayMeter_withoutAFileOrWithAMissingOne_isRefusedNamingTheKey() {
        assertThatThrownBy(() -> setup(Map.of("meters.field.source", "replay")))
                .hasMessageContaining("replay.file=(unset) (inherited by meters.field) is not allowed: allowed a CSV or WAV file"
                        + " with source=replay");
        assertThatThrownBy(() -> setup(Map.of("meters.field.source", "replay", "meters.field.replay.file",
                "/nonexistent/r.csv"))).hasMessageContaining(
                        "meters.field.replay.file=/nonexistent/r.csv is not allowed: allowed a readable CSV or WAV file");
    }

    @Test
    void mcp3208_perMeterKeysBindAndInheritTheFlatHalKeys() {
        GatewaySetup g = setup(Map.of("hal.spi.provider", "mock", "hal.frontend.burden-ohms", "22",
                "meters.a.source", "mcp3208", "meters.a.spi.chip-select", "1", "meters.a.frontend.channels", "4,5,6,7",
                "meters.a.frontend.vref", "5", "meters.b.source", "mcp3008", "meters.b.spi.bus", "1",
                "meters.b.frontend.ct-ratio", "1500", "meters.b.elements", "1"));
        SpiSource.Settings a = meter(g, "a").spi().orElseThrow();
        assertThat(a.provider()).isEqualTo("mock");
        assertThat(a.device()).isEqualTo("spidev0.1");
        assertThat(a.mode()).isZero();
        assertThat(a.clockHz()).isEqualTo(1_000_000);
        var mcp = a.mcp().orElseThrow();
        assertThat(mcp.variant()).isEqualTo(org.minimeter.gateway.hal.mcp3208.Mcp3208.Variant.MCP3208_12BIT);
        assertThat(mcp.elements()).extracting(e -> e.voltage() + "/" + e.current()).containsExactly("4/5", "6/7");
        assertThat(mcp.vref()).isEqualTo(5);
        assertThat(mcp.burdenOhms()).isEqualTo(22);
        // 200 A : 0.1 A, and a voltage ratio with headroom at 60 Hz's 120 V
        assertThat(mcp.ctRatio()).isEqualTo(2000);
        assertThat(mcp.voltageRatio()).isEqualTo(150);
        assertThat(mcp.sampleRate()).isEqualTo(8000);
        assertThat(mcp.blockSize()).isEqualTo(400);
        SpiSource.Settings b = meter(g, "b").spi().orElseThrow();
        assertThat(b.device()).isEqualTo("spidev1.0");
        assertThat(b.mcp().orElseThrow().variant()).isEqualTo(org.minimeter.gateway.hal.mcp3208.Mcp3208.Variant.MCP3008_10BIT);
        assertThat(b.mcp().get().ctRatio()).isEqualTo(1500);
        assertThat(b.mcp().get().burdenOhms()).isEqualTo(22);
        assertThat(b.mcp().get().vref()).isEqualTo(3.3);
        assertThat(b.mcp().get().elements()).extracting(e -> e.voltage() + "/" + e.current()).containsExactly("0/1");
        assertThat(meter(g, "a").describe()).anySatisfy(line -> assertThat(line).contains("spi.chip-select=1",
                "frontend.channels=4,5,6,7", "frontend.burden-ohms=22"));
    }

    @Test
    void flatMeter_takesTheHalKeys() {
        GatewaySetup g = setup(Map.of("hal.source", "mcp3008", "hal.spi.bus", "1", "hal.spi.clock-hz", "2000000",
                "hal.frontend.voltage-ratio", "200"));
        SpiSource.Settings s = g.meters().get(0).spi().orElseThrow();
        assertThat(s.device()).isEqualTo("spidev1.0");
        assertThat(s.clockHz()).isEqualTo(2_000_000);
        assertThat(s.mcp().orElseThrow().voltageRatio()).isEqualTo(200);
        assertThat(s.provider()).isEqualTo("auto");
    }

    @Test
    void ads131m04_needsItsDrdyPinAndAPi4jInputProvider() {
        GatewaySetup g = setup(Map.of("hal.gpio.provider", "mock", "meters.x.source", "ads131m04",
                "meters.x.ads131m04.drdy-pin", "25", "meters.x.elements", "1", "meters.x.frontend.channels", "2,3"));
        SpiSource.Settings s = meter(g, "x").spi().orElseThrow();
        assertThat(s.mode()).isEqualTo(1);
        assertThat(s.clockHz()).isEqualTo(8_192_000);
        assertThat(s.drdyPin()).isEqualTo(25);
        assertThat(s.ads().orElseThrow().sampleRate()).isEqualTo(8000);
        assertThat(s.ads().get().elements()).extracting(e -> e.voltage() + "/" + e.current()).containsExactly("2/3");
        assertThat(s.ads().get().ctRatio()).isEqualTo(2000);

        assertThat(problems(Map.of("hal.gpio.provider", "mock", "meters.x.source", "ads131m04")))
                .containsExactly("hal.ads131m04.drdy-pin=(unset) (inherited by meters.x) is not allowed: allowed the"
                        + " BCM GPIO (0 to 27) wired to the ADS131M04's DRDY");
        assertThat(problems(Map.of("hal.gpio.provider", "simulated", "meters.x.source", "ads131m04",
                "meters.x.ads131m04.drdy-pin", "25"))).containsExactly("hal.gpio.provider=simulated is not allowed:"
                        + " allowed auto, gpiod or mock with source=ads131m04 (its DRDY input is read through Pi4J's"
                        + " gpiod provider)");
        assertThat(problems(Map.of("hal.gpio.provider", "mock", "meters.x.source", "ads131m04",
                "meters.x.ads131m04.drdy-pin", "25", "meters.x.spi.chip-select", "1", "meters.y.gpio.pulse10", "25",
                "meters.y.gpio.pulse100", "5", "meters.y.gpio.pulse1000", "6", "meters.y.gpio.counter", "12")))
                .containsExactly("meters.y.gpio.pulse10=25 is not allowed: allowed a GPIO not already used by "
                        + "meters.x.ads131m04.drdy-pin");
        assertThat(problems(Map.of("hal.gpio.provider", "mock", "meters.x.source", "ads131m04",
                "meters.x.ads131m04.drdy-pin", "25", "meter.sample-rate", "6000")))
                .containsExactly("meter.sample-rate=6000 (inherited by meters.x) is not allowed: allowed 4000, 8000"
                        + " or 16000 with source=ads131m04 (8.192 MHz / 2 / OSR)");
    }

    @Test
    void atm90e32_gainsPerElementWithTheChipDefaults() {
        GatewaySetup g = setup(Map.of("meters.x.source", "atm90e32", "meters.x.atm90e32.igain", "30000,31000",
                "meters.y.source", "atm90e32", "meters.y.spi.chip-select", "1", "hal.atm90e32.ugain", "7000"));
        SpiSource.Settings x = meter(g, "x").spi().orElseThrow();
        assertThat(x.mode()).isEqualTo(3);
        assertThat(x.clockHz()).isEqualTo(150_000);
        var cal = x.atm().orElseThrow().calibration();
        assertThat(cal).extracting(c -> c.ugain() + "/" + c.igain()).containsExactly("7000/30000", "7000/31000");
        var y = meter(g, "y").spi().orElseThrow().atm().orElseThrow().calibration();
        assertThat(y).extracting(c -> c.ugain() + "/" + c.igain()).containsExactly("7000/27961", "7000/27961");
        GatewaySetup unset = setup(Map.of("hal.source", "atm90e32", "meter.elements", "1"));
        assertThat(unset.meters().get(0).spi().orElseThrow().atm().orElseThrow().calibration())
                .extracting(c -> c.ugain() + "/" + c.igain()).containsExactly("7305/27961");
    }

    @Test
    void twoMetersOnOneSpiDevice_areRefused() {
        assertThat(problems(Map.of("meters.a.source", "mcp3208", "meters.b.source", "atm90e32")))
                .containsExactly("meters.b.spi.chip-select=0 is not allowed: allowed an SPI device not already used"
                        + " by meters.a (spidev0.0; set spi.bus / spi.chip-select per meter)");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "meters.house.spi.bus|9|meters.house.spi.bus=9 is not allowed: allowed 0 to 6 (spidev<bus>.<cs>)",
        "meters.house.spi.chip-select|3|meters.house.spi.chip-select=3 is not allowed: allowed 0 to 2",
        "meters.house.spi.clock-hz|5000000|meters.house.spi.clock-hz=5000000 is not allowed: allowed 100000 to"
                + " 2000000 Hz (MCP3x08",
        "meters.house.spi.clock-hz|200000|meters.house.spi.clock-hz=200000 is not allowed: allowed a clock fast"
                + " enough for every conversion of a sample period at meter.sample-rate=8000",
        "meters.house.frontend.vref|9|meters.house.frontend.vref=9 is not allowed: allowed 1 to 5.5 V",
        "meters.house.frontend.channels|0,1,1,2|meters.house.frontend.channels=0,1,1,2 is not allowed: allowed four"
                + " different ADC channels 0 to 7 as V1,I1,V2,I2",
        "meters.house.frontend.channels|0,1|meters.house.frontend.channels=0,1 is not allowed: allowed four",
        "meters.house.frontend.burden-ohms|0|meters.house.frontend.burden-ohms=0 is not allowed: allowed more than 0",
        "meters.house.frontend.ct-ratio|0.5|meters.house.frontend.ct-ratio=0.5 is not allowed: allowed 1 to 100000",
        "meters.house.frontend.voltage-ratio|-1|meters.house.frontend.voltage-ratio=-1 is not allowed: allowed more",
        "hal.spi.provider|pigpio|hal.spi.provider=pigpio is not allowed: allowed auto, linuxfs, mock",
    })
    void badFrontEndValue_namesTheKeyValueAndAllowed(String key, String value, String message) {
        Map<String, String> p = new HashMap<>(Map.of(key, value, "meters.house.source", "mcp3208"));
        assertThat(problems(p)).anySatisfy(line -> assertThat(line).startsWith(message));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "meters.house.spi.clock-hz|200000|meters.house.spi.clock-hz=200000 is not allowed: allowed 10000 to 160000 Hz",
        "meters.house.atm90e32.igain|1,2,3|meters.house.atm90e32.igain=1,2,3 is not allowed: allowed one value, or one"
                + " per element (2)",
        "meters.house.atm90e32.ugain|70000|meters.house.atm90e32.ugain=70000 is not allowed: allowed register codes",
    })
    void badAtm90e32Value_namesTheKeyValueAndAllowed(String key, String value, String message) {
        Map<String, String> p = new HashMap<>(Map.of(key, value, "meters.house.source", "atm90e32"));
        assertThat(problems(p)).anySatisfy(line -> assertThat(line).startsWith(message));
    }

    @Test
    void meterKeys_areExactlyTheKeysOfTheMapping() {
        assertThat(GatewaySetup.METER_KEYS).containsExactlyInAnyOrderElementsOf(keys("", MetersConfig.MeterEntry.class));
    }

    /** Kebab-case key names of a mapping group, as SmallRye derives them from the method names. */
    static java.util.List<String> keys(String prefix, Class<?> group) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        for (java.lang.reflect.Method method : group.getMethods()) {
            if (java.lang.reflect.Modifier.isStatic(method.getModifiers()) || method.isDefault() || method.getParameterCount() > 0) {
                continue;
            }
            String name = prefix + method.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
            if (method.getReturnType().isInterface() && method.getReturnType() != java.util.List.class
                    && method.getReturnType() != java.util.Map.class && !method.getReturnType().getName().startsWith("java.")) {
                keys.addAll(keys(name + ".", method.getReturnType()));
            } else {
                keys.add(name);
            }
        }
        return keys;
    }
}
