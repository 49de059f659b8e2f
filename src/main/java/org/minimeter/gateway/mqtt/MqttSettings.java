package org.minimeter.gateway.mqtt;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How to reach the broker and what to call things there.
 *
 * @param host broker host; the embedded broker's when none is configured
 * @param protocol {@code auto} (MQTT 5, falling back to 3.1.1 when the broker refuses 5),
 *     {@code 5} or {@code 3.1.1}
 * @param password kept out of {@link #toString()} and every log line
 * @param tlsCa CA certificate (PEM) that the broker's certificate must chain to; empty: the
 *     JVM's default trust store
 * @param tlsCert client certificate (PEM) for mutual TLS, with {@code tlsKey} (PKCS#8 PEM)
 */
public record MqttSettings(
        String host,
        int port,
        String clientId,
        String protocol,
        Optional<String> username,
        Optional<String> password,
        boolean tls,
        Optional<Path> tlsCa,
        Optional<Path> tlsCert,
        Optional<Path> tlsKey,
        String topicPrefix,
        boolean discovery,
        String discoveryPrefix) {

    @Override
    public String toString() {
        return "MqttSettings[" + host + ":" + port + ", clientId=" + clientId + ", protocol=" + protocol
                + ", username=" + username.orElse("(none)") + ", password=" + (password.isPresent() ? "****" : "(none)")
                + ", tls=" + tls + ", prefix=" + topicPrefix + ", discovery=" + discovery + "/" + discoveryPrefix + "]";
    }
}
