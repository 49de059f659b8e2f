package org.minimeter.gateway.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedListener;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedListener;
import com.hivemq.client.mqtt.mqtt3.message.auth.Mqtt3SimpleAuth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5SimpleAuth;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What the gateway's session ({@link MqttLink}) and the Sparkplug edge node's
 * ({@link SparkplugLink}) set up alike on their HiveMQ clients, so that the two connections to
 * the same broker with the same {@code mqtt.*} settings cannot drift apart: identity, address,
 * TLS, credentials, keep-alive and which protocol version to speak. What a connect or a
 * disconnect means (wills, reconnecting, broker rotation) stays each link's own.
 */
final class ClientSetup {

    /** Seconds; the broker drops a silent client after 1.5 times this, and publishes its will. */
    static final int KEEP_ALIVE_S = 30;

    private ClientSetup() {
    }

    /** A client for {@code host:port} as {@code settings.clientId()}, over TLS when {@code ssl} is given. */
    static MqttClientBuilder client(MqttSettings settings, String host, int port, MqttClientSslConfig ssl,
            MqttClientConnectedListener connected, MqttClientDisconnectedListener disconnected) {
        MqttClientBuilder b = MqttClient.builder()
                .addConnectedListener(connected)
                .addDisconnectedListener(disconnected)
                .identifier(settings.clientId())
                .serverHost(host)
                .serverPort(port);
        if (ssl != null) {
            b = b.sslConfig(ssl);
        }
        return b;
    }

    /** The user name and password for an MQTT 5 CONNECT; none without {@code mqtt.username}. */
    static Optional<Mqtt5SimpleAuth> credentials5(MqttSettings settings) {
        return settings.username().map(u -> Mqtt5SimpleAuth.builder().username(u).password(password(settings))
                .build());
    }

    /** The user name and password for an MQTT 3.1.1 CONNECT; none without {@code mqtt.username}. */
    static Optional<Mqtt3SimpleAuth> credentials3(MqttSettings settings) {
        return settings.username().map(u -> Mqtt3SimpleAuth.builder().username(u).password(password(settings))
                .build());
    }

    private static byte[] password(MqttSettings settings) {
        return settings.password().orElse("").getBytes(StandardCharsets.UTF_8);
    }

    /** Only a configured {@code 3.1.1} starts on 3.1.1; {@code 5} and {@code auto} start on 5. */
    static boolean startsOnVersion3(MqttSettings settings) {
        return "3.1.1".equals(settings.protocol());
    }

    /**
     * In {@code auto}, whether to rebuild the session on 3.1.1: only while still on version 5,
     * before it ever connected, and when the broker answered with a refusal
     * ({@link MqttLink#refusesVersion5}), never for a bare hang-up.
     */
    static boolean fallsBackToVersion3(MqttSettings settings, boolean onVersion5, boolean wasConnected,
            Throwable cause) {
        return "auto".equals(settings.protocol()) && onVersion5 && !wasConnected && MqttLink.refusesVersion5(cause);
    }
}
