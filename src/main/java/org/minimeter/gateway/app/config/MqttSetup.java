package org.minimeter.gateway.app.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.minimeter.gateway.mqtt.MqttSettings;

/**
 * The MQTT side of the configuration, checked like {@link MeterSetup}: a bad value stops
 * start-up with the key, the value and what is allowed; the password is never shown.
 *
 * @param embedded true when no {@code mqtt.host} is set and the gateway brings its broker
 * @param gatewayId {@code gateway.id}: the one MQTT session belongs to the gateway, not to a meter
 */
public record MqttSetup(MqttSettings settings, boolean embedded, Duration energyInterval, Duration powerInterval,
        Duration healthInterval, long outboxMaxBytes, String gatewayId) {

    public static final List<String> PROTOCOLS = List.of("auto", "5", "3.1.1");
    static final String TOPIC_LEVEL = "[^/#+\\s]+";

    /** @param gatewayId {@link GatewaySetup#gatewayId()}; with one meter it is that meter's id */
    public static MqttSetup from(MqttConfig m, HaConfig ha, String gatewayId) {
        List<String> problems = new ArrayList<>();
        check(problems, m.port() >= 1 && m.port() <= 65535, "mqtt.port", m.port(), "1 to 65535");
        check(problems, PROTOCOLS.contains(m.protocol()), "mqtt.protocol", m.protocol(), String.join(", ", PROTOCOLS));
        check(problems, m.topicPrefix().matches(TOPIC_LEVEL), "mqtt.topic-prefix", m.topicPrefix(),
                "one topic level without '/', '#', '+' or spaces");
        check(problems, ha.prefix().matches(TOPIC_LEVEL), "ha.discovery.prefix", ha.prefix(),
                "one topic level without '/', '#', '+' or spaces");
        List<MqttSettings.Broker> brokers = m.host().map(h -> brokers(h, m.port(), problems)).orElse(List.of());
        check(problems, m.password().isEmpty() || m.username().isPresent(), "mqtt.password", "****",
                "only together with mqtt.username");
        for (var f : List.of(new String[] {"mqtt.tls-ca", m.tlsCa().orElse(null)},
                new String[] {"mqtt.tls-cert", m.tlsCert().orElse(null)},
                new String[] {"mqtt.tls-key", m.tlsKey().orElse(null)})) {
            if (f[1] != null) {
                check(problems, m.tls(), f[0], f[1], "only with mqtt.tls=true");
                check(problems, Files.isReadable(Path.of(f[1])), f[0], f[1], "a readable PEM file");
            }
        }
        check(problems, m.tlsCert().isPresent() == m.tlsKey().isPresent(), "mqtt.tls-cert",
                m.tlsCert().orElse("(unset)"), "set together with mqtt.tls-key (mutual TLS)");
        check(problems, !m.tls() || m.host().isPresent(), "mqtt.tls", "true",
                "only with mqtt.host (the embedded broker is plain TCP on loopback)");
        check(problems, between(m.energyInterval(), 1000, 3_600_000), "mqtt.energy-interval", fmt(m.energyInterval()),
                "1s to 1h");
        check(problems, between(m.powerInterval(), 100, 3_600_000), "mqtt.power-interval", fmt(m.powerInterval()),
                "100ms to 1h");
        check(problems, between(m.healthInterval(), 1000, 3_600_000), "mqtt.health-interval", fmt(m.healthInterval()),
                "1s to 1h");
        check(problems, m.outboxMaxMb() >= 1 && m.outboxMaxMb() <= 10_240, "mqtt.outbox-max-mb", m.outboxMaxMb(),
                "1 to 10240");
        String clientId = m.clientId().orElse("minimeter-" + gatewayId);
        check(problems, clientId.length() <= 64 && !clientId.isBlank(), "mqtt.client-id", clientId, "1 to 64 characters");
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
        boolean embedded = m.host().isEmpty();
        // The embedded broker (Moquette) speaks 3.1.1 only: asking it for 5 first would cost a
        // refused attempt and an error line from the broker at every start.
        String protocol = embedded && "auto".equals(m.protocol()) ? "3.1.1" : m.protocol();
        if (embedded) {
            brokers = List.of(new MqttSettings.Broker("127.0.0.1", m.port()));
        }
        MqttSettings s = new MqttSettings(brokers, clientId, protocol, m.username(), m.password(), m.tls(), m.tlsCa().map(Path::of), m.tlsCert().map(Path::of), m.tlsKey().map(Path::of),
                m.topicPrefix(), ha.enabled(), ha.prefix());
        return new MqttSetup(s, embedded, m.energyInterval(), m.powerInterval(), m.healthInterval(),
                m.outboxMaxMb() * 1024L * 1024L, gatewayId);
    }

    /**
     * {@code mqtt.host}: one broker, or a broker cluster's nodes in order of preference, as
     * {@code host[:port]} separated by commas ({@code [v6-address]:port} for IPv6 with a port);
     * an entry without a port uses {@code mqtt.port}. Each bad entry is one problem line.
     */
    static List<MqttSettings.Broker> brokers(String value, int defaultPort, List<String> problems) {
        String allowed = "one or more host[:port] separated by commas, each broker once, port 1 to 65535"
                + " (mqtt.port when left out), e.g. node1.lan:1883,node2.lan:1883";
        List<MqttSettings.Broker> brokers = new ArrayList<>();
        String[] entries = value.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].strip();
            String where = entries.length == 1 ? "" : "; entry " + (i + 1) + " \"" + entry + "\" is not";
            MqttSettings.Broker b = broker(entry, defaultPort);
            if (b == null) {
                problems.add("mqtt.host=" + value + " is not allowed: allowed " + allowed + where);
            } else if (brokers.contains(b)) {
                problems.add("mqtt.host=" + value + " is not allowed: allowed " + allowed + "; " + b
                        + " is listed twice");
            } else {
                brokers.add(b);
            }
        }
        return brokers;
    }

    /** One {@code host[:port]} entry, or null when it is not one. */
    private static MqttSettings.Broker broker(String entry, int defaultPort) {
        String host;
        String port = null;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = entry.substring(1, close);
            String rest = entry.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return null;
                }
                port = rest.substring(1);
            }
        } else if (entry.indexOf(':') >= 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
            host = entry.substring(0, entry.indexOf(':'));
            port = entry.substring(entry.indexOf(':') + 1);
        } else {
            host = entry; // a name, an IPv4 address, or an IPv6 address without a port
        }
        if (host.isEmpty() || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/' || c == '@')) {
            return null;
        }
        // a bad mqtt.port is its own problem line; the entries without a port are not blamed for it
        int p = defaultPort >= 1 && defaultPort <= 65535 ? defaultPort : 1883;
        if (port != null) {
            if (!port.matches("[0-9]{1,5}")) {
                return null;
            }
            p = Integer.parseInt(port);
        }
        return p >= 1 && p <= 65535 ? new MqttSettings.Broker(host, p) : null;
    }

    /**
     * The gateway's birth and last will, {@code <prefix>/<gateway.id>/status}: with one meter
     * this is that meter's status topic, as before; with several, the broker marks the whole
     * gateway offline here when the session dies.
     */
    public String willTopic() {
        return settings.topicPrefix() + "/" + gatewayId + "/status";
    }

    /** The effective MQTT configuration for the start-up log: secrets masked. */
    public String describe() {
        MqttSettings s = settings;
        String hosts = s.brokers().size() == 1 ? s.host() : s.brokerList();
        return "mqtt.host=" + (embedded ? "(embedded broker) " + hosts : hosts) + " mqtt.port=" + s.port()
                + " mqtt.protocol=" + s.protocol() + " gateway.id=" + gatewayId + " mqtt.client-id=" + s.clientId()
                + " mqtt.username=" + s.username().orElse("(none)")
                + " mqtt.password=" + (s.password().isPresent() ? "****" : "(none)")
                + " mqtt.tls=" + s.tls() + s.tlsCa().map(p -> " mqtt.tls-ca=" + p).orElse("")
                + s.tlsCert().map(p -> " mqtt.tls-cert=" + p).orElse("") + s.tlsKey().map(p -> " mqtt.tls-key=" + p).orElse("")
                + " mqtt.topic-prefix=" + s.topicPrefix() + " mqtt.energy-interval=" + fmt(energyInterval)
                + " mqtt.power-interval=" + fmt(powerInterval) + " mqtt.health-interval=" + fmt(healthInterval)
                + " mqtt.outbox-max-mb=" + outboxMaxBytes / (1024 * 1024)
                + " ha.discovery.enabled=" + s.discovery() + " ha.discovery.prefix=" + s.discoveryPrefix();
    }

    private static boolean between(Duration d, long minMs, long maxMs) {
        return !d.isNegative() && d.toMillis() >= minMs && d.toMillis() <= maxMs;
    }

    private static String fmt(Duration d) {
        return MeterSetup.fmt(d);
    }

    private static void check(List<String> problems, boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            problems.add(key + "=" + value + " is not allowed: allowed " + allowed);
        }
    }
}
