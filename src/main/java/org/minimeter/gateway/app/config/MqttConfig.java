package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code mqtt.*}: the broker and what is published there (SPEC.md sections 3 and 4). */
@ConfigMapping(prefix = "mqtt")
public interface MqttConfig {

    /**
     * Broker host, or the nodes of a broker cluster as {@code host[:port]} separated by commas
     * (in order of preference; the link moves to the next when one fails); unset: the gateway
     * starts its embedded broker on 127.0.0.1.
     */
    Optional<String> host();

    /** Broker port for a host given without one (also the embedded broker's). */
    @WithDefault("1883")
    int port();

    Optional<String> username();

    /** Never logged. */
    Optional<String> password();

    @WithDefault("false")
    boolean tls();

    /** CA certificate (PEM) the broker's certificate must chain to; unset: the JVM's trust store. */
    Optional<String> tlsCa();

    /** Client certificate (PEM) for mutual TLS. */
    Optional<String> tlsCert();

    /** Client key (unencrypted PKCS#8 PEM) for mutual TLS. */
    Optional<String> tlsKey();

    @WithDefault("minimeter")
    String topicPrefix();

    /** Default {@code minimeter-<gateway.id>} (with one meter: {@code minimeter-<meter id>}). */
    Optional<String> clientId();

    /** {@code auto} (MQTT 5, else 3.1.1), {@code 5} or {@code 3.1.1}. */
    @WithDefault("auto")
    String protocol();

    @WithDefault("10s")
    Duration energyInterval();

    @WithDefault("1s")
    Duration powerInterval();

    @WithDefault("30s")
    Duration healthInterval();

    /** The durable outbox's size bound in MiB. */
    @WithDefault("64")
    int outboxMaxMb();
}
