package org.minimeter.gateway.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.lifecycle.Mqtt3ClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3Connect;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The Sparkplug edge node's own MQTT session: a second connection beside {@link MqttLink}, on
 * purpose. Sparkplug 3.0 requires the edge node's will to be its NDEATH, carrying a bdSeq that
 * changes with every CONNECT (sections 5.4, 6.4.25), and a clean session; the gateway's session
 * already has its own will (its retained {@code offline} status) and one will per session is all
 * MQTT allows. So the gateway's topics keep their one session and Sparkplug gets this one.
 *
 * <p>Before every CONNECT, the first and each automatic reconnect, the owner is asked for the
 * will ({@link Listener#nextWill()}) and it is put in the CONNECT: clean session (3.1.1) or clean
 * start with session expiry 0 (5), will QoS 1, not retained. The owner hears {@code connected}
 * only once every subscription is acknowledged, so nothing it publishes precedes them. All
 * Sparkplug messages of an edge node are QoS 0 and not retained.
 *
 * <p>Ending a session with its death certificate ({@link #restart}, {@link #close}): on MQTT 5 a
 * DISCONNECT with reason "disconnect with will message", so the broker publishes the NDEATH; on
 * 3.1.1 the NDEATH is published (QoS 1) and then the DISCONNECT sent (section 6.4.25).
 *
 * <p>Protocol, TLS, credentials and backoff (1 s to 30 s) as {@link MqttLink}, including the
 * {@code auto} fallback from 5 to 3.1.1 when the broker refuses 5.
 */
public final class SparkplugLink implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SparkplugLink.class);

    /** What the session tells its owner. Called on HiveMQ's threads: do not block. */
    public interface Listener {
        /** The will (the NDEATH) for the CONNECT about to be sent. */
        byte[] nextWill();

        void connected(String protocol);

        void disconnected(String reason);

        void message(String topic, byte[] payload);
    }

    private final MqttSettings settings;
    private final String willTopic;
    private final List<String> subscriptions;
    private final Listener listener;
    private final MqttClientSslConfig ssl;
    private volatile Session session;
    private volatile boolean connected;
    private volatile boolean closing;
    private volatile boolean restarting;
    private volatile String lastError = "";

    /**
     * @param settings the broker, credentials and TLS as for the gateway's session, with this
     *     session's own client id
     * @param subscriptions topic filters subscribed with QoS 1 on every connect
     */
    public SparkplugLink(MqttSettings settings, String willTopic, List<String> subscriptions, Listener listener) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.willTopic = Objects.requireNonNull(willTopic, "willTopic");
        this.subscriptions = List.copyOf(subscriptions);
        this.listener = Objects.requireNonNull(listener, "listener");
        this.ssl = settings.tls() ? MqttLink.sslConfig(settings) : null;
    }

    /** Starts connecting in the background; returns at once. */
    public void start() {
        session = ClientSetup.startsOnVersion3(settings) ? new V3() : new V5();
        session.connect(listener.nextWill());
    }

    public boolean isConnected() {
        return connected;
    }

    /** QoS 0, not retained; completes when written, fails at once when not connected. */
    public CompletableFuture<Void> publish(String topic, byte[] payload) {
        Session s = session;
        if (s == null || !connected) {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
        }
        return s.publish(topic, payload, MqttQos.AT_MOST_ONCE);
    }

    /** Ends the session with its death certificate and connects again (a new CONNECT, a new will). */
    public void restart(byte[] death) {
        Session s = session;
        if (s == null || !connected) {
            return;
        }
        restarting = true;
        s.end(death);
    }

    /** Ends the session with its death certificate, waiting a few seconds at most; no reconnect. */
    public void close(byte[] death) {
        close(death, true);
    }

    @Override
    public void close() {
        close(null, false);
    }

    private void close(byte[] death, boolean withDeath) {
        closing = true;
        Session s = session;
        if (s == null) {
            return;
        }
        try {
            if (connected && withDeath) {
                s.end(death).get(3, TimeUnit.SECONDS);
            } else {
                s.disconnect().get(3, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // the broker publishes the will for a connection that does not end cleanly
            LOG.debugf("Sparkplug MQTT: disconnect did not complete: %s", e.getMessage());
        }
        connected = false;
    }

    private void onConnected(Session from) {
        if (from != session) {
            return;
        }
        lastError = "";
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (String filter : subscriptions) {
            acks.add(from.subscribe(filter));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).whenComplete((v, ex) -> {
            if (ex != null) {
                LOG.errorf("Sparkplug MQTT: subscribing to %s failed (%s); reconnecting", subscriptions,
                        MqttLink.describe(ex));
                from.disconnect();
                return;
            }
            if (from != session || closing) {
                return;
            }
            connected = true;
            LOG.infof("Sparkplug MQTT: connected to %s:%d with MQTT %s as %s", settings.host(), settings.port(),
                    from.protocol(), settings.clientId());
            listener.connected(from.protocol());
        });
    }

    private void onDisconnected(MqttClientDisconnectedContext ctx, Session from) {
        boolean wasConnected = connected;
        connected = false;
        ctx.getReconnector().resubscribeIfSessionExpired(false);
        if (closing || from != session) {
            ctx.getReconnector().reconnect(false);
            return;
        }
        Throwable cause = ctx.getCause();
        if (ClientSetup.fallsBackToVersion3(settings, from instanceof V5, wasConnected, cause)) {
            ctx.getReconnector().reconnect(false);
            LOG.infof("Sparkplug MQTT: %s:%d does not speak MQTT 5; using MQTT 3.1.1", settings.host(),
                    settings.port());
            session = new V3();
            session.connect(listener.nextWill());
            return;
        }
        String reason = restarting ? "ended by the edge node" : MqttLink.describe(cause);
        if (restarting) {
            restarting = false;
            ctx.getReconnector().reconnect(true).delay(1, TimeUnit.SECONDS);
        } else if (!reason.equals(lastError)) {
            if (wasConnected) {
                LOG.warnf("Sparkplug MQTT: connection to %s:%d lost (%s); reconnecting with backoff up to 30 s",
                        settings.host(), settings.port(), reason);
            } else {
                LOG.warnf("Sparkplug MQTT: cannot connect to %s:%d (%s); retrying with backoff up to 30 s",
                        settings.host(), settings.port(), reason);
            }
            lastError = reason;
        }
        // Every CONNECT carries its own bdSeq in its will.
        from.nextConnect(ctx, listener.nextWill());
        if (wasConnected) {
            listener.disconnected(reason);
        }
    }

    private MqttClientBuilder base(Session s) {
        return ClientSetup.client(settings, settings.host(), settings.port(), ssl, c -> onConnected(s),
                c -> onDisconnected(c, s))
                .automaticReconnect().initialDelay(1, TimeUnit.SECONDS).maxDelay(30, TimeUnit.SECONDS)
                .applyAutomaticReconnect();
    }

    private void message(String topic, byte[] payload) {
        listener.message(topic, payload);
    }

    private interface Session {
        String protocol();

        void connect(byte[] will);

        void nextConnect(MqttClientDisconnectedContext ctx, byte[] will);

        CompletableFuture<Void> subscribe(String filter);

        CompletableFuture<Void> publish(String topic, byte[] payload, MqttQos qos);

        /** NDEATH then DISCONNECT (3.1.1), or DISCONNECT with the will (5). */
        CompletableFuture<Void> end(byte[] death);

        CompletableFuture<Void> disconnect();
    }

    private final class V5 implements Session {
        private final Mqtt5AsyncClient client = base(this).useMqttVersion5().buildAsync();

        @Override
        public String protocol() {
            return "5";
        }

        private Mqtt5Connect connectWith(byte[] will) {
            Mqtt5ConnectBuilder b = Mqtt5Connect.builder().cleanStart(true).sessionExpiryInterval(0)
                    .keepAlive(ClientSetup.KEEP_ALIVE_S)
                    .willPublish().topic(willTopic).payload(will).qos(MqttQos.AT_LEAST_ONCE).retain(false)
                    .applyWillPublish();
            return ClientSetup.credentials5(settings).map(b::simpleAuth).orElse(b).build();
        }

        @Override
        public void connect(byte[] will) {
            client.connect(connectWith(will));
        }

        @Override
        public void nextConnect(MqttClientDisconnectedContext ctx, byte[] will) {
            ((Mqtt5ClientDisconnectedContext) ctx).getReconnector().connect(connectWith(will));
        }

        @Override
        public CompletableFuture<Void> subscribe(String filter) {
            return client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(p -> message(p.getTopic().toString(), p.getPayloadAsBytes())).send()
                    .thenAccept(ack -> {
                        if (ack.getReasonCodes().stream().anyMatch(c -> c.isError())) {
                            throw new IllegalStateException("subscription to " + filter + " refused: "
                                    + ack.getReasonCodes());
                        }
                    });
        }

        @Override
        public CompletableFuture<Void> publish(String topic, byte[] payload, MqttQos qos) {
            return client.publishWith().topic(topic).qos(qos).retain(false).payload(payload).send()
                    .thenAccept(r -> r.getError().ifPresent(e -> {
                        throw new IllegalStateException(e);
                    }));
        }

        @Override
        public CompletableFuture<Void> end(byte[] death) {
            return client.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
        }

        @Override
        public CompletableFuture<Void> disconnect() {
            return client.disconnect();
        }
    }

    private final class V3 implements Session {
        private final Mqtt3AsyncClient client = base(this).useMqttVersion3().buildAsync();

        @Override
        public String protocol() {
            return "3.1.1";
        }

        private Mqtt3Connect connectWith(byte[] will) {
            Mqtt3ConnectBuilder b = Mqtt3Connect.builder().cleanSession(true).keepAlive(ClientSetup.KEEP_ALIVE_S)
                    .willPublish().topic(willTopic).payload(will).qos(MqttQos.AT_LEAST_ONCE).retain(false)
                    .applyWillPublish();
            return ClientSetup.credentials3(settings).map(b::simpleAuth).orElse(b).build();
        }

        @Override
        public void connect(byte[] will) {
            client.connect(connectWith(will));
        }

        @Override
        public void nextConnect(MqttClientDisconnectedContext ctx, byte[] will) {
            ((Mqtt3ClientDisconnectedContext) ctx).getReconnector().connect(connectWith(will));
        }

        @Override
        public CompletableFuture<Void> subscribe(String filter) {
            return client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(p -> message(p.getTopic().toString(), p.getPayloadAsBytes())).send()
                    .thenAccept(ack -> {
                        if (ack.getReturnCodes().stream().anyMatch(c -> c.isError())) {
                            throw new IllegalStateException("subscription to " + filter + " refused");
                        }
                    });
        }

        @Override
        public CompletableFuture<Void> publish(String topic, byte[] payload, MqttQos qos) {
            return client.publishWith().topic(topic).qos(qos).retain(false).payload(payload).send()
                    .thenAccept(p -> { });
        }

        @Override
        public CompletableFuture<Void> end(byte[] death) {
            // 3.1.1 has no "disconnect with will": the edge node publishes its NDEATH itself, then leaves.
            CompletableFuture<Void> published = death == null ? CompletableFuture.completedFuture(null)
                    : publish(willTopic, death, MqttQos.AT_LEAST_ONCE);
            return published.handle((v, ex) -> null).thenCompose(v -> client.disconnect());
        }

        @Override
        public CompletableFuture<Void> disconnect() {
            return client.disconnect();
        }
    }
}
