package org.minimeter.gateway.mqtt;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How to reach the broker and what to call things there.
 *
 * @param brokers the brokers to use, in order of preference: one broker, or the nodes of a
 *     broker cluster (the link holds one session, on one of them at a time); the embedded
 *     broker's address when none is configured
 * @param protocol {@code auto} (MQTT 5, falling back to 3.1.1 when the broker refuses 5),
 *     {@code 5} or {@code 3.1.1}
 * @param password kept out of {@link #toString()} and every log line
 * @param tlsCa CA certificate (PEM) that the broker's certificate must chain to; empty: the
 *     JVM's default trust store
 * @param tlsCert client certificate (PEM) for mutual TLS, with {@code tlsKey} (PKCS#8 PEM)
 */
public record MqttSettings(
        List<Broker> brokers,
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

    /** One broker address. */
    public record Broker(String host, int port) {
        public Broker {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is outside 1 to 65535");
            }
        }

        /** {@code host:port}, with an IPv6 address in brackets. */
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public MqttSettings {
        brokers = List.copyOf(brokers);
        if (brokers.isEmpty()) {
            throw new IllegalArgumentException("at least one broker is needed");
        }
    }

    /** One broker: the shape before broker lists, kept for callers that have one. */
    public MqttSettings(String host, int port, String clientId, String protocol, Optional<String> username,
            Optional<String> password, boolean tls, Optional<Path> tlsCa, Optional<Path> tlsCert,
            Optional<Path> tlsKey, String topicPrefix, boolean discovery, String discoveryPrefix) {
        this(List.of(new Broker(host, port)), clientId, protocol, username, password, tls, tlsCa, tlsCert, tlsKey,
                topicPrefix, discovery, discoveryPrefix);
    }

    /** The first (preferred) broker's host; with one broker, the broker's. */
    public String host() {
        return brokers.get(0).host();
    }

    /** The first (preferred) broker's port. */
    public int port() {
        return brokers.get(0).port();
    }

    /** The brokers as configured, {@code host:port} separated by commas. */
    public String brokerList() {
        return brokers.stream().map(Broker::toString).collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        return "MqttSettings[" + brokerList() + ", clientId=" + clientId + ", protocol=" + protocol
                + ", username=" + username.orElse("(none)") + ", password=" + (password.isPresent() ? "****" : "(none)")
                + ", tls=" + tls + ", prefix=" + topicPrefix + ", discovery=" + discovery + "/" + discoveryPrefix + "]";
    }
}
