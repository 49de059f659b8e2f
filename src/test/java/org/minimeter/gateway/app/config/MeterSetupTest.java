package org.minimeter.gateway.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.metering.MeterSpec;

/** The configuration contract of SPEC.md section 3, through SmallRye itself (no Quarkus). */
class MeterSetupTest {

    private static MeterSetup setup(Map<String, String> properties, Map<String, String> env) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                // Quarkus reads "10s" with its own converter; plain SmallRye needs it named.
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(MeterConfig.class)
                .withMapping(HalConfig.class)
                .withMapping(SimulatorConfig.class)
                .withMapping(StorageConfig.class)
                .withMapping(OutputsConfig.class)
                .withSources(new PropertiesConfigSource(properties, "test", 250))
                .withSources(new EnvConfigSource(env, 300))
                .build();
        return MeterSetup.from(config.getConfigMapping(MeterConfig.class), config.getConfigMapping(HalConfig.class),
                config.getConfigMapping(SimulatorConfig.class), config.getConfigMapping(StorageConfig.class),
                config.getConfigMapping(OutputsConfig.class));
    }

    private static MeterSetup setup(Map<String, String> properties) {
        return setup(properties, Map.of());
    }

    @Test
    void defaults_areTheSpecDefaults() {
        MeterSetup s = setup(Map.of());
        assertThat(s.id()).isEqualTo("minimeter-1");
        assertThat(s.frequency()).isEqualTo(60);
        assertThat(s.elements()).isEqualTo(2);
        assertThat(s.ctRating()).isEqualTo(200);
        assertThat(s.source()).isEqualTo("simulator");
        assertThat(s.simulator().voltage()).isEqualTo(120);
        assertThat(s.simulator().speed()).isEqualTo(1);
        assertThat(s.simulator().phaseDeg()).isZero();
        // 200 ms windows: 12 cycles at 60 Hz
        assertThat(s.windowCycles()).isEqualTo(12);
        // a varying household profile, not a constant load
        assertThat(s.simulator().load().current(0, 2)).isNotEqualTo(s.simulator().load().current(1800, 2));
    }

    @Test
    void fiftyHertz_defaultsTo240VoltsAndTenCycleWindows() {
        MeterSetup s = setup(Map.of("meter.frequency", "50"));
        assertThat(s.simulator().voltage()).isEqualTo(240);
        assertThat(s.windowCycles()).isEqualTo(10);
    }

    @Test
    void environmentVariables_overrideEveryKey() {
        MeterSetup s = setup(Map.of(), Map.of("METER_ID", "garage", "METER_CT_RATING", "100", "METER_ELEMENTS", "1",
                "SIMULATOR_CURRENT", "12.5", "SIMULATOR_PHASE_DEG", "-30", "SIMULATOR_SPEED", "10",
                "SIMULATOR_VOLTAGE", "118", "HAL_SOURCE", "simulator", "METER_FREQUENCY", "60"));
        assertThat(s.id()).isEqualTo("garage");
        assertThat(s.ctRating()).isEqualTo(100);
        assertThat(s.elements()).isEqualTo(1);
        assertThat(s.simulator().load().current(0, 1)).isEqualTo(12.5);
        assertThat(s.simulator().load().current(5000, 1)).isEqualTo(12.5);
        assertThat(s.simulator().phaseDeg()).isEqualTo(-30);
        assertThat(s.simulator().speed()).isEqualTo(10);
        assertThat(s.simulator().voltage()).isEqualTo(118);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "meter.id|Meter 1|meter.id=Meter 1 is not allowed: allowed lower-case letters, digits",
        "meter.frequency|55|meter.frequency=55 is not allowed: allowed 50 or 60",
        "meter.elements|3|meter.elements=3 is not allowed: allowed 1 or 2",
        "meter.ct-rating|150|meter.ct-rating=150 is not allowed: allowed 100 or 200",
        "meter.sample-rate|500|meter.sample-rate=500 is not allowed: allowed 2000 to 32000",
        "meter.creep-fraction|0.5|meter.creep-fraction=0.5 is not allowed: allowed 0 to 0.01",
        "meter.log-interval|10ms|meter.log-interval=10ms is not allowed: allowed at least 100ms",
        "meter.invert|i3|meter.invert=i3 is not allowed: allowed a list of channels from v1, i1, v2, i2 (empty: none)",
        "hal.source|mcp3300|hal.source=mcp3300 is not allowed: allowed simulator, replay, mcp3208, mcp3008, ads131m04, atm90e32",
        "hal.block-ms|0|hal.block-ms=0 is not allowed: allowed 5 to 1000 ms",
        "simulator.voltage|-1|simulator.voltage=-1 is not allowed: allowed 0 to 240 V rms",
        "simulator.current|900|simulator.current=900 is not allowed: allowed 0 to 400 A rms",
        "simulator.phase-deg|400|simulator.phase-deg=400 is not allowed: allowed -180 to 360 degrees",
        "simulator.speed|0|simulator.speed=0 is not allowed: allowed more than 0 and at most 10000",
        "simulator.line-frequency|100|simulator.line-frequency=100 is not allowed: allowed 40 to 70 Hz",
        "simulator.adc-bits|4|simulator.adc-bits=4 is not allowed: allowed 0 (ideal) or 8 to 24",
        "simulator.skew-us|200|simulator.skew-us=200 is not allowed: allowed 0 to 125 us",
        "simulator.harmonics|5-10-40|simulator.harmonics=5-10-40 is not allowed: allowed order:voltage%:current%",
        "simulator.harmonics|1:10:40|simulator.harmonics=1:10:40 is not allowed: allowed order:voltage%:current%",
        "storage.save-wh|-1|storage.save-wh=-1 is not allowed: allowed 0 to 1000 Wh",
        "storage.save-interval|2h|storage.save-interval=7200s is not allowed: allowed 0s to 1h",
        "storage.keep|1|storage.keep=1 is not allowed: allowed 2 to 100 generations",
        "storage.seed.delivered-kwh|12|storage.seed.id=(unset) is not allowed: allowed a seed name",
        "outputs.dwell|0ms|outputs.dwell=0s is not allowed: allowed 1ms to 1s",
        "outputs.counter.wh|10|outputs.counter.wh=10 is not allowed: allowed 100 or 1000",
        "outputs.counter.on|5ms|outputs.counter.on=5ms is not allowed: allowed 20ms to 2s",
        "hal.gpio.provider|wiringpi|hal.gpio.provider=wiringpi is not allowed: allowed auto, gpiod, linuxfs, mock, simulated",
        "hal.gpio.counter|40|hal.gpio.counter=40 is not allowed: allowed BCM GPIO 0 to 27",
        "hal.gpio.counter|17|hal.gpio.counter=17 is not allowed: allowed a GPIO not already used by hal.gpio.pulse10",
    })
    void badValue_stopsStartUpNamingKeyValueAndAllowed(String key, String value, String message) {
        assertThatThrownBy(() -> setup(Map.of(key, value)))
                .isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> assertThat(((InvalidConfigException) e).problems()).singleElement()
                        .asString().startsWith(message));
    }

    @Test
    void harmonics_areParsedAsPercentOfTheFundamental() {
        MeterSetup s = setup(Map.of("simulator.harmonics", "5:10:40,7:0:12.5"));
        assertThat(s.simulator().harmonics()).extracting(h -> h.order()).containsExactly(5, 7);
        assertThat(s.simulator().harmonics().get(0).voltageFraction()).isEqualTo(0.10);
        assertThat(s.simulator().harmonics().get(1).currentFraction()).isEqualTo(0.125);
    }

    @Test
    void storageAndOutputs_defaults() {
        MeterSetup s = setup(Map.of());
        assertThat(s.storageDir()).isEqualTo(java.nio.file.Path.of("./data"));
        assertThat(s.savePolicy().minMicroWh()).isEqualTo(1_000_000);
        assertThat(s.savePolicy().minIntervalNanos()).isEqualTo(1_000_000_000L);
        assertThat(s.seed()).isEmpty();
        assertThat(s.outputs().dwellNanos()).isEqualTo(50_000_000L);
        assertThat(s.outputs().counterWh()).isEqualTo(100);
        assertThat(s.pins()).containsEntry("pulse10", 17).containsEntry("counter", 23);
        assertThat(s.gpioProvider()).isEqualTo("auto");
    }

    @Test
    void seed_isConvertedToMicroWattHours() {
        MeterSetup s = setup(Map.of("storage.seed.id", "utility-1", "storage.seed.delivered-kwh", "12345.678"));
        assertThat(s.seed()).hasValueSatisfying(seed -> {
            assertThat(seed.id()).isEqualTo("utility-1");
            assertThat(seed.deliveredMicroWh()).hasValue(12_345_678_000_000L);
            assertThat(seed.receivedMicroWh()).isEmpty();
            assertThat(seed.allowDecrease()).isFalse();
        });
    }

    @Test
    void everyBadValue_isReportedAtOnce() {
        assertThatThrownBy(() -> setup(Map.of("meter.frequency", "55", "meter.elements", "0")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("meter.frequency=55")
                .hasMessageContaining("meter.elements=0");
    }

    @Test
    void unparsableNumber_isRefusedBySmallRyeNamingKeyAndValue() {
        assertThatThrownBy(() -> setup(Map.of("simulator.speed", "fast")))
                .hasMessageContaining("simulator.speed")
                .hasMessageContaining("fast");
    }

    @Test
    void spec_takesCalibrationFromTheSource() {
        MeterSetup s = setup(Map.of("meter.frequency", "50", "meter.sample-rate", "4000"));
        SimulatedSource source = new SimulatedSource(s.simulator(), MonotonicClock.SYSTEM);
        MeterSpec spec = s.spec(source.frontEnd());
        assertThat(spec.sampleRate()).isEqualTo(4000);
        assertThat(spec.calibration().get(0).current().delayMicros()).isEqualTo(20);
        assertThat(spec.nominalVoltage()).isEqualTo(240);
        assertThat(source.blockSize()).isEqualTo(200);
    }

    @Test
    void describe_listsEveryEffectiveValue() {
        MeterSetup s = setup(Map.of("simulator.current", "7"));
        String all = String.join("\n", s.describe(new SmallRyeConfigBuilder().withMapping(SimulatorConfig.class)
                .withSources(new PropertiesConfigSource(Map.of("simulator.current", "7"), "t", 250)).build()
                .getConfigMapping(SimulatorConfig.class)));
        assertThat(all).contains("meter.id=minimeter-1", "meter.creep-fraction=0.0004", "meter.log-interval=10s",
                "hal.source=simulator", "simulator.current=7", "simulator.voltage=120");
    }
}
