package org.minimeter.gateway.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.sparkplug.Quantity;

/** {@code sparkplug.*}: defaults, and every bad value named with its key, value and what is allowed. */
class SparkplugSetupTest {

    static SparkplugConfig config(Map<String, String> v) {
        return new SparkplugConfig() {
            @Override
            public boolean enabled() {
                return Boolean.parseBoolean(v.getOrDefault("enabled", "true"));
            }

            @Override
            public String groupId() {
                return v.getOrDefault("group-id", "minimeter");
            }

            @Override
            public Optional<String> edgeNodeId() {
                return Optional.ofNullable(v.get("edge-node-id"));
            }

            @Override
            public Optional<String> primaryHostId() {
                return Optional.ofNullable(v.get("primary-host-id"));
            }

            @Override
            public Duration scanInterval() {
                return Duration.parse(v.getOrDefault("scan-interval", "PT1S"));
            }

            @Override
            public Duration storeInterval() {
                return Duration.parse(v.getOrDefault("store-interval", "PT10S"));
            }

            @Override
            public int storeMaxMb() {
                return Integer.parseInt(v.getOrDefault("store-max-mb", "64"));
            }

            @Override
            public Deadbands deadband() {
                return new Deadbands() {
                    @Override
                    public String energy() {
                        return v.getOrDefault("deadband.energy", "0.001");
                    }

                    @Override
                    public String power() {
                        return v.getOrDefault("deadband.power", "1%");
                    }

                    @Override
                    public String voltage() {
                        return v.getOrDefault("deadband.voltage", "0.5");
                    }

                    @Override
                    public String current() {
                        return v.getOrDefault("deadband.current", "1%");
                    }

                    @Override
                    public String powerFactor() {
                        return v.getOrDefault("deadband.power-factor", "0.01");
                    }

                    @Override
                    public String frequency() {
                        return v.getOrDefault("deadband.frequency", "0.01");
                    }
                };
            }
        };
    }

    @Test
    void defaults_edgeNodeIsTheGateway_deadbandsAsDocumented() {
        SparkplugSetup s = SparkplugSetup.from(config(Map.of()), "gw-7", List.of("m1", "m2"));
        assertThat(s.enabled()).isTrue();
        assertThat(s.settings().edgeNodeId()).isEqualTo("gw-7");
        assertThat(s.settings().groupId()).isEqualTo("minimeter");
        assertThat(s.settings().primaryHostId()).isEmpty();
        assertThat(s.settings().storeMaxBytes()).isEqualTo(64L << 20);
        assertThat(s.settings().deadband(Quantity.ENERGY).amount()).isEqualTo(0.001);
        assertThat(s.settings().deadband(Quantity.POWER).percent()).isTrue();
        assertThat(s.describe()).contains("sparkplug.edge-node-id=gw-7", "sparkplug.deadband.power=1%",
                "sparkplug.scan-interval=1s", "sparkplug.primary-host-id=(none)");
    }

    @Test
    void badValues_stopStartUp_eachWithKeyValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> SparkplugSetup.from(config(Map.of("group-id", "a/b", "edge-node-id", "gw+1",
                "primary-host-id", "host#1", "scan-interval", "PT0.05S", "store-max-mb", "0",
                "deadband.power", "much", "deadband.voltage", "-1", "deadband.current", "150%")), "gw",
                List.of("sparkplug")))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "sparkplug.group-id=a/b is not allowed: allowed one topic level: UTF-8 without '/', '#', '+'"
                                + " or spaces",
                        "sparkplug.edge-node-id=gw+1 is not allowed: allowed one topic level: UTF-8 without '/', '#',"
                                + " '+' or spaces",
                        "sparkplug.primary-host-id=host#1 is not allowed: allowed one topic level: UTF-8 without '/',"
                                + " '#', '+' or spaces",
                        "sparkplug.scan-interval=50ms is not allowed: allowed 100ms to 1h",
                        "sparkplug.store-max-mb=0 is not allowed: allowed 1 to 10240",
                        "meters.sparkplug=(a meter) is not allowed: allowed any meter id but sparkplug while"
                                + " sparkplug.enabled=true (its files are <storage.dir>/sparkplug)",
                        "sparkplug.deadband.power=much is not allowed: allowed an amount >= 0 in the metric's unit"
                                + " (e.g. 0.5) or a percentage 0-100 of the last value reported (e.g. 1%)",
                        "sparkplug.deadband.voltage=-1 is not allowed: allowed an amount >= 0 in the metric's unit"
                                + " (e.g. 0.5) or a percentage 0-100 of the last value reported (e.g. 1%)",
                        "sparkplug.deadband.current=150% is not allowed: allowed an amount >= 0 in the metric's unit"
                                + " (e.g. 0.5) or a percentage 0-100 of the last value reported (e.g. 1%)"));
    }

    @Test
    void disabled_checksNothing_anUnusedFeatureNeverStopsTheGateway() {
        SparkplugSetup s = SparkplugSetup.from(config(Map.of("enabled", "false", "group-id", "a/b",
                "deadband.power", "much")), "gw",
                List.of("sparkplug"));
        assertThat(s.enabled()).isFalse();
        assertThat(s.describe()).isEqualTo("sparkplug.enabled=false");
    }
}
