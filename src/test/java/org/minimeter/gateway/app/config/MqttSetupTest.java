package org.minimeter.gateway.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minimeter.gateway.mqtt.MqttSettings;

class MqttSetupTest {

    static MqttSetup setup(Map<String, String> p) {
        return setup(p, "m1");
    }

    static MqttSetup setup(Map<String, String> p, String gatewayId) {
        SmallRyeConfig c = new SmallRyeConfigBuilder()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(MqttConfig.class).withMapping(HaConfig.class)
                .withSources(new PropertiesConfigSource(p, "test", 250)).build();
        return MqttSetup.from(c.getConfigMapping(MqttConfig.class), c.getConfigMapping(HaConfig.class), gatewayId);
    }

    @Test
    void defaults_useTheEmbeddedBrokerAndTheSpecTopicsAndIntervals() {
        MqttSetup s = setup(Map.of());
        assertThat(s.embedded()).isTrue();
        assertThat(s.settings().host()).isEqualTo("127.0.0.1");
        assertThat(s.settings().port()).isEqualTo(1883);
        assertThat(s.settings().topicPrefix()).isEqualTo("minimeter");
        assertThat(s.settings().discovery()).isTrue();
        assertThat(s.settings().discoveryPrefix()).isEqualTo("homeassistant");
        // the embedded Moquette speaks 3.1.1 only: asked for it directly
        assertThat(s.settings().protocol()).isEqualTo("3.1.1");
        assertThat(s.settings().clientId()).isEqualTo("minimeter-m1");
        assertThat(s.energyInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.powerInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.healthInterval()).isEqualTo(Duration.ofSeconds(30));
        // one meter: the gateway id is the meter id, so the last will is that meter's status topic
        assertThat(s.willTopic()).isEqualTo("minimeter/m1/status");
    }

    @Test
    void password_neverAppearsInTheEffectiveConfigOrToString() {
        MqttSetup s = setup(Map.of("mqtt.host", "broker.lan", "mqtt.username", "meter", "mqtt.password", "hunter2"));
        assertThat(s.embedded()).isFalse();
        assertThat(s.describe()).contains("mqtt.username=meter", "mqtt.password=****").doesNotContain("hunter2");
        assertThat(s.settings().toString()).doesNotContain("hunter2");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "mqtt.port|0|mqtt.port=0 is not allowed: allowed 1 to 65535",
        "mqtt.protocol|4|mqtt.protocol=4 is not allowed: allowed auto, 5, 3.1.1",
        "mqtt.topic-prefix|a/b|mqtt.topic-prefix=a/b is not allowed",
        "ha.discovery.prefix|ha#|ha.discovery.prefix=ha# is not allowed",
        "mqtt.password|x|mqtt.password=**** is not allowed: allowed only together with mqtt.username",
        "mqtt.tls-ca|/nonexistent.pem|mqtt.tls-ca=/nonexistent.pem is not allowed: allowed only with mqtt.tls=true",
        "mqtt.tls|true|mqtt.tls=true is not allowed: allowed only with mqtt.host",
        "mqtt.power-interval|10ms|mqtt.power-interval=10ms is not allowed: allowed 100ms to 1h",
        "mqtt.outbox-max-mb|0|mqtt.outbox-max-mb=0 is not allowed: allowed 1 to 10240",
        "mqtt.host|,|mqtt.host=, is not allowed: allowed one or more host[:port] separated by commas",
        "mqtt.host|a,,b|mqtt.host=a,,b is not allowed: allowed one or more host[:port] separated by commas, each broker"
            + " once, port 1 to 65535 (mqtt.port when left out), e.g. node1.lan:1883,node2.lan:1883; entry 2 \"\" is not",
        "mqtt.host|a:1883,b:70000|mqtt.host=a:1883,b:70000 is not allowed: allowed one or more host[:port]",
        "mqtt.host|a:1883,b:x|entry 2 \"b:x\" is not",
        "mqtt.host|a:|mqtt.host=a: is not allowed",
        "mqtt.host|a:0|mqtt.host=a:0 is not allowed",
        "mqtt.host|[::1|mqtt.host=[::1 is not allowed",
        "mqtt.host|a:1883,a|mqtt.host=a:1883,a is not allowed: allowed one or more host[:port] separated by commas,"
            + " each broker once, port 1 to 65535 (mqtt.port when left out), e.g. node1.lan:1883,node2.lan:1883;"
            + " a:1883 is listed twice",
    })
    void badValue_namesKeyValueAndAllowed(String key, String value, String message) {
        assertThatThrownBy(() -> setup(Map.of(key, value))).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void oneHost_isOneBrokerOnMqttPort_asBefore() {
        MqttSetup s = setup(Map.of("mqtt.host", "broker.lan", "mqtt.port", "8883"));
        assertThat(s.embedded()).isFalse();
        assertThat(s.settings().brokers()).containsExactly(new MqttSettings.Broker("broker.lan", 8883));
        assertThat(s.settings().host()).isEqualTo("broker.lan");
        assertThat(s.settings().port()).isEqualTo(8883);
        assertThat(s.settings().protocol()).isEqualTo("auto");
        assertThat(s.describe()).contains("mqtt.host=broker.lan mqtt.port=8883");
    }

    @Test
    void aHostList_isTheBrokersInOrder_withMqttPortWhereNoneIsGiven() {
        MqttSetup s = setup(Map.of("mqtt.host", " node1.lan:1884 , 10.0.0.2,[fd00::3]:1885,fd00::4", "mqtt.port",
                "1883"));
        assertThat(s.embedded()).isFalse();
        assertThat(s.settings().brokers()).containsExactly(new MqttSettings.Broker("node1.lan", 1884),
                new MqttSettings.Broker("10.0.0.2", 1883), new MqttSettings.Broker("fd00::3", 1885),
                new MqttSettings.Broker("fd00::4", 1883));
        assertThat(s.settings().host()).isEqualTo("node1.lan");
        assertThat(s.describe()).contains("mqtt.host=node1.lan:1884,10.0.0.2:1883,[fd00::3]:1885,[fd00::4]:1883");
    }

    @Test
    void aBadEntryAndABadPort_areEachReportedOnce() {
        assertThatThrownBy(() -> setup(Map.of("mqtt.host", "a,b:99999", "mqtt.port", "0")))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems()).hasSize(2)
                        .anySatisfy(p -> assertThat(p).startsWith("mqtt.port=0 is not allowed"))
                        .anySatisfy(p -> assertThat(p).startsWith("mqtt.host=a,b:99999 is not allowed")
                                .endsWith("entry 2 \"b:99999\" is not")));
    }
}
