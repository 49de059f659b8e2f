package org.minimeter.gateway.app.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The gateway's configuration read through SmallRye as Quarkus reads it, for the set-up tests:
 * the same duration converter and the mappings {@link GatewaySetup} needs, plus any a test adds.
 */
final class SetupConfigs {

    private SetupConfigs() {
    }

    /** A builder with the gateway's mappings and {@code more}; the test adds its sources. */
    static SmallRyeConfigBuilder builder(Class<?>... more) {
        SmallRyeConfigBuilder b = new SmallRyeConfigBuilder()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(MeterConfig.class).withMapping(HalConfig.class).withMapping(SimulatorConfig.class)
                .withMapping(StorageConfig.class).withMapping(OutputsConfig.class)
                .withMapping(MetersConfig.class).withMapping(GatewayConfig.class).withMapping(ReplayConfig.class)
                // Quarkus only warns about unknown keys; the gateway must catch them itself.
                .withValidateUnknown(false);
        for (Class<?> mapping : more) {
            b.withMapping(mapping);
        }
        return b;
    }

    static GatewaySetup gateway(SmallRyeConfig c) {
        return GatewaySetup.from(c.getConfigMapping(MeterConfig.class), c.getConfigMapping(HalConfig.class),
                c.getConfigMapping(SimulatorConfig.class), c.getConfigMapping(ReplayConfig.class),
                c.getConfigMapping(StorageConfig.class), c.getConfigMapping(OutputsConfig.class),
                c.getConfigMapping(MetersConfig.class), c.getConfigMapping(GatewayConfig.class), c.getPropertyNames());
    }

    /** The problems {@code setup} refuses {@code properties} with; fails the test if it accepts them. */
    static List<String> problems(Map<String, String> properties, Consumer<Map<String, String>> setup) {
        try {
            setup.accept(properties);
        } catch (InvalidConfigException e) {
            return e.problems();
        }
        throw new AssertionError("no problem found in " + properties);
    }
}
