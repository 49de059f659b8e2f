package org.minimeter.gateway.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientSslConfigBuilder;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.exceptions.ConnectionClosedException;
import com.hivemq.client.mqtt.exceptions.ConnectionFailedException;
import com.hivemq.client.mqtt.exceptions.MqttDecodeException;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3ClientBuilder;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.jboss.logging.Logger;
import org.minimeter.gateway.mqtt.MqttSettings.Broker;

/**
 * The gateway's one connection to the broker, through the HiveMQ client: one session for all
 * meters.
 *
 * <p>Birth and death: {@code online} is published retained on the gateway's status topic on
 * every connect, the broker holds a retained {@code offline} last will there for a connection
 * that dies, and a clean stop publishes {@code offline} itself. Each meter's own status topic is
 * its owner's to publish ({@link #publishStatus}); Home Assistant combines both. A session is
 * clean, because the durable outbox, not the MQTT session, is what redelivers QoS 1 messages
 * after a reconnect.
 *
 * <p>Brokers: one, or the nodes of a cluster in order of preference. After a lost connection or
 * a failed attempt the link tries the next broker ({@link BrokerRotation}: in turn, wrapping
 * round, backoff from 1 s to 30 s per full round, +-25 % jitter so a fleet does not reconnect in
 * step). The session is new on every connect, whichever node it lands on, so nothing the
 * broker held (in-flight QoS 1) is relied on: the outbox sends again from the oldest
 * unacknowledged message, in order.
 *
 * <p>Protocol: MQTT 5 unless configured otherwise; in {@code auto} a broker that refuses
 * version 5 (Moquette, old Mosquitto) makes the link rebuild itself on 3.1.1 once. Refusing
 * means answering: a CONNACK with reason UNSUPPORTED_PROTOCOL_VERSION, or a 3.1.1 CONNACK that
 * does not decode as a version 5 one. A connection closed before any CONNACK is not a refusal:
 * proxies, load balancers and restarting brokers accept TCP and hang up during outages, and
 * taking that for a refusal would pin a version 5 broker to 3.1.1 for good.
 *
 * <p>Errors are logged once per distinct cause (a wrong password or an untrusted
 * certificate is one clear ERROR line, then retried quietly), never as a storm.
 *
 * <p>Native image: the HiveMQ client runs on Netty and RxJava; Quarkus' Netty extension
 * covers Netty, and the client needs no reflection for the API used here, but its event-loop
 * provider, two encoders and RxJava's schedulers must initialise on the board (the run-time
 * list in {@code application.properties}; README, "Native image notes").
 */
public final class MqttLink implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MqttLink.class);
    private static final byte[] ONLINE = "online".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OFFLINE = "offline".getBytes(StandardCharsets.US_ASCII);
    /**
     * Home Assistant's birth is subscribed at QoS 0: the session is clean, so QoS 1 would not
     * bring back a message lost with a connection either (and discovery is sent on every
     * connect anyway), while on a RabbitMQ cluster a QoS 1 subscription is a durable queue on
     * the node connected to, which, once that node dies, refuses the same client id's
     * subscription on every other node until it is back: the gateway could not fail over.
     */
    private static final MqttQos HA_STATUS_QOS = MqttQos.AT_MOST_ONCE;

    /** What the link tells its owner. Called on HiveMQ's threads: do not block. */
    public interface Listener {
        void connected(String protocol);

        void disconnected(String reason);
    }

    private final MqttSettings settings;
    private final String statusTopic;
    private final String homeAssistantStatusTopic;
    private final Listener listener;
    private final MqttClientSslConfig ssl;
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong connects = new AtomicLong();
    private final BrokerRotation rotation;
    /** The last cause logged per broker: each is logged once until it changes or a connect succeeds. */
    private final Map<Broker, String> loggedErrors = new ConcurrentHashMap<>();
    private volatile Session session;
    private volatile boolean connected;
    private volatile boolean closing;
    private volatile String lastError = "";
    private volatile Consumer<String> homeAssistantStatus = s -> { };

    /**
     * @param statusTopic the gateway's status topic: birth {@code online}, will and clean stop
     *     {@code offline}, all retained
     * @param homeAssistantStatusTopic where Home Assistant announces its birth (subscribed on
     *     every connect), e.g. {@code homeassistant/status}
     */
    public MqttLink(MqttSettings settings, String statusTopic, String homeAssistantStatusTopic, Listener listener) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.statusTopic = Objects.requireNonNull(statusTopic, "statusTopic");
        this.homeAssistantStatusTopic = Objects.requireNonNull(homeAssistantStatusTopic, "homeAssistantStatusTopic");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.ssl = settings.tls() ? sslConfig(settings) : null;
        this.rotation = new BrokerRotation(settings.brokers());
    }

    /** TLS from the PEM files of the settings; shared with the Sparkplug session. */
    static MqttClientSslConfig sslConfig(MqttSettings s) {
        MqttClientSslConfigBuilder b = MqttClientSslConfig.builder();
        s.tlsCa().ifPresent(ca -> b.trustManagerFactory(TlsFiles.trust(ca)));
        if (s.tlsCert().isPresent()) {
            b.keyManagerFactory(TlsFiles.keys(s.tlsCert().get(), s.tlsKey().orElseThrow(
                    () -> new IllegalArgumentException("mqtt.tls-key is required with mqtt.tls-cert"))));
        }
        return b.build();
    }

    /** Starts connecting in the background; returns at once. */
    public void start() {
        session = ClientSetup.startsOnVersion3(settings) ? new V3() : new V5();
        session.connect();
    }

    public boolean isConnected() {
        return connected;
    }

    /** Reconnections after a lost connection (not counting the first connect). */
    public long reconnects() {
        return reconnects.get();
    }

    public String protocol() {
        return session == null ? "none" : session.protocol();
    }

    /** The broker connected to, or while disconnected the one tried next. */
    public Broker broker() {
        return rotation.current();
    }

    /** The last connection error, empty when none. */
    public String lastError() {
        return lastError;
    }

    /** Where {@code homeassistant/status} payloads go (subscribed on every connect). */
    public void onHomeAssistantStatus(Consumer<String> consumer) {
        this.homeAssistantStatus = Objects.requireNonNull(consumer);
    }

    /**
     * Publishes; the future completes when the broker has it (PUBACK for QoS 1, written for
     * QoS 0) and fails if the connection is lost first.
     */
    public CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain) {
        Session s = session;
        if (s == null || !connected) {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
        }
        return s.publish(topic, payload, qos, retain);
    }

    /**
     * Publishes a meter's availability, {@code online} or {@code offline}, retained with QoS 1:
     * Home Assistant shows the meter's entities only while this and the gateway's status are
     * both {@code online}.
     */
    public CompletableFuture<Void> publishStatus(String meterStatusTopic, boolean online) {
        return publish(meterStatusTopic, online ? ONLINE.clone() : OFFLINE.clone(), 1, true);
    }

    private void onConnected() {
        connected = true;
        lastError = "";
        loggedErrors.clear();
        rotation.connected();
        if (connects.incrementAndGet() > 1) {
            reconnects.incrementAndGet();
        }
        LOG.infof("MQTT: connected to %s with MQTT %s as %s", rotation.current(), session.protocol(),
                settings.clientId());
        session.publish(statusTopic, ONLINE, 1, true);
        session.subscribeHomeAssistant();
        listener.connected(session.protocol());
    }

    private void onDisconnected(MqttClientDisconnectedContext ctx, Session from) {
        boolean wasConnected = connected;
        connected = false;
        if (closing || from != session) {
            ctx.getReconnector().reconnect(false);
            return;
        }
        Throwable cause = ctx.getCause();
        Broker failed = rotation.current();
        if (ClientSetup.fallsBackToVersion3(settings, from instanceof V5, wasConnected, cause)) {
            ctx.getReconnector().reconnect(false);
            LOG.infof("MQTT: %s does not speak MQTT 5 (%s); using MQTT 3.1.1", failed, describe(cause));
            session = new V3();
            session.connect();
            return;
        }
        if (ctx.getSource() == MqttDisconnectSource.USER) {
            ctx.getReconnector().reconnect(false);
        } else {
            BrokerRotation.Next next = rotation.failed();
            long base = next.delayMs();
            // +-25 %: a fleet that lost the same node does not come back in step
            long delay = base + (long) (base / 4.0 * (2 * ThreadLocalRandom.current().nextDouble() - 1));
            ctx.getReconnector().reconnect(true).delay(delay, TimeUnit.MILLISECONDS)
                    .transportConfig().serverHost(next.broker().host()).serverPort(next.broker().port())
                    .applyTransportConfig();
        }
        String reason = describe(cause);
        String then = rotation.size() == 1 ? "backoff up to 30 s"
                : "backoff up to 30 s; next " + rotation.current() + ", then the other brokers in turn";
        if (!reason.equals(loggedErrors.get(failed))) {
            // One clear line per new cause and broker; the same cause again is retried quietly.
            if (wasConnected) {
                LOG.warnf("MQTT: connection to %s lost (%s); reconnecting with %s", failed, reason, then);
            } else if (connects.get() > 0 && (isUnreachable(cause) || cause instanceof ConnectionClosedException)) {
                // A broker that was there and is restarting: expected during an outage, not an error.
                LOG.warnf("MQTT: %s still unreachable (%s); retrying with %s", failed, reason, then);
            } else {
                // auto never falls back on a bare hang-up; a broker that answers MQTT 5 that way needs 3.1.1 set.
                String hint = "auto".equals(settings.protocol()) && from instanceof V5 && connects.get() == 0
                        && cause instanceof ConnectionClosedException
                        ? " (if this broker only speaks MQTT 3.1.1 and hangs up on version 5, set mqtt.protocol=3.1.1)"
                        : "";
                LOG.errorf("MQTT: cannot connect to %s: %s%s; retrying with %s", failed, reason, hint, then);
            }
            loggedErrors.put(failed, reason);
        } else {
            LOG.debugf("MQTT: still cannot connect to %s: %s (attempt %d)", failed, reason,
                    ctx.getReconnector().getAttempts());
        }
        lastError = reason;
        listener.disconnected(reason);
    }

    /** The broker's port refused or did not answer: no credential or certificate problem. */
    private static boolean isUnreachable(Throwable cause) {
        if (!(cause instanceof ConnectionFailedException)) {
            return false;
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the broker answered a version 5 CONNECT with a refusal: a CONNACK saying
     * UNSUPPORTED_PROTOCOL_VERSION, or a 3.1.1 CONNACK (return code 1, "unacceptable protocol
     * version", as MQTT 3.1.1 section 3.1.2.2 requires) that fails to decode as a version 5 one.
     * Both need bytes from the broker; a connection closed without any is never a refusal.
     */
    static boolean refusesVersion5(Throwable cause) {
        if (cause instanceof Mqtt5ConnAckException e) {
            return e.getMqttMessage().getReasonCode() == Mqtt5ConnAckReasonCode.UNSUPPORTED_PROTOCOL_VERSION;
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof MqttDecodeException && String.valueOf(t.getMessage()).contains("CONNACK")) {
                return true;
            }
        }
        return false;
    }

    static String describe(Throwable cause) {
        if (cause == null) {
            return "no cause given";
        }
        if (cause instanceof Mqtt5ConnAckException e) {
            return switch (e.getMqttMessage().getReasonCode()) {
                case BAD_USER_NAME_OR_PASSWORD -> "the broker refused the user name or password (mqtt.username / mqtt.password)";
                case NOT_AUTHORIZED -> "the broker refused the credentials or this client is not authorized"
                        + " (mqtt.username / mqtt.password)";
                default -> "the broker refused the connection: " + e.getMqttMessage().getReasonCode();
            };
        }
        if (cause instanceof Mqtt3ConnAckException e) {
            return switch (e.getMqttMessage().getReturnCode()) {
                case BAD_USER_NAME_OR_PASSWORD -> "the broker refused the user name or password (mqtt.username / mqtt.password)";
                case NOT_AUTHORIZED -> "the broker refused the credentials or this client is not authorized"
                        + " (mqtt.username / mqtt.password)";
                default -> "the broker refused the connection: " + e.getMqttMessage().getReturnCode();
            };
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return "TLS handshake failed: " + t.getMessage()
                        + " (check mqtt.tls-ca, mqtt.tls-cert and mqtt.tls-key against the broker's certificates)";
            }
        }
        if (cause instanceof ConnectionFailedException && cause.getCause() != null) {
            return cause.getCause().getClass().getSimpleName() + ": " + cause.getCause().getMessage();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    /** Publishes {@code offline} (retained) and disconnects, waiting at most a few seconds. */
    @Override
    public void close() {
        closing = true;
        Session s = session;
        if (s == null) {
            return;
        }
        try {
            if (connected) {
                s.publish(statusTopic, OFFLINE, 1, true).get(3, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warnf("MQTT: could not publish offline before stopping: %s", describe(e));
        }
        try {
            s.disconnect().get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the will covers a disconnect that does not complete
        }
        connected = false;
    }

    /**
     * What the 5 and 3.1.1 clients share: the current broker, TLS, and this link's listeners.
     * Reconnecting is the disconnected listener's (not the client's automatic reconnect, which
     * knows one address only): it sets the next broker and the delay on the reconnector.
     */
    private MqttClientBuilder base(Session session) {
        Broker broker = rotation.current();
        return ClientSetup.client(settings, broker.host(), broker.port(), ssl, c -> onConnected(),
                c -> onDisconnected(c, session));
    }

    private void homeAssistantStatus(byte[] payload) {
        homeAssistantStatus.accept(new String(payload, StandardCharsets.UTF_8));
    }

    private interface Session {
        String protocol();

        void connect();

        CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain);

        void subscribeHomeAssistant();

        CompletableFuture<Void> disconnect();
    }

    private static MqttQos qos(int qos) {
        return qos == 0 ? MqttQos.AT_MOST_ONCE : MqttQos.AT_LEAST_ONCE;
    }

    private final class V5 implements Session {
        private final Mqtt5AsyncClient client;

        V5() {
            Mqtt5ClientBuilder b = base(this).useMqttVersion5()
                    .willPublish().topic(statusTopic).payload(OFFLINE).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                    .applyWillPublish();
            client = ClientSetup.credentials5(settings).map(b::simpleAuth).orElse(b).buildAsync();
        }

        @Override
        public String protocol() {
            return "5";
        }

        @Override
        public void connect() {
            client.connectWith().cleanStart(true).keepAlive(ClientSetup.KEEP_ALIVE_S).send();
        }

        @Override
        public CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain) {
            return client.publishWith().topic(topic).qos(qos(qos)).retain(retain).payload(payload).send()
                    .thenAccept(MqttLink::checkPubAck);
        }

        @Override
        public void subscribeHomeAssistant() {
            client.subscribeWith().topicFilter(homeAssistantStatusTopic).qos(HA_STATUS_QOS)
                    .callback(p -> homeAssistantStatus(p.getPayloadAsBytes()))
                    .send();
        }

        @Override
        public CompletableFuture<Void> disconnect() {
            return client.disconnect();
        }
    }

    private static void checkPubAck(Mqtt5PublishResult r) {
        if (r.getError().isPresent()) {
            throw new IllegalStateException(r.getError().get());
        }
        if (r instanceof Mqtt5PublishResult.Mqtt5Qos1Result q1 && q1.getPubAck().getReasonCode().isError()) {
            Mqtt5PubAckReasonCode code = q1.getPubAck().getReasonCode();
            throw new BrokerRejectedException("the broker refused the message: " + code);
        }
    }

    /** The broker answered a publish with an error (MQTT 5 reason code): retrying will not help. */
    public static final class BrokerRejectedException extends RuntimeException {
        BrokerRejectedException(String message) {
            super(message);
        }
    }

    private final class V3 implements Session {
        private final Mqtt3AsyncClient client;

        V3() {
            Mqtt3ClientBuilder b = base(this).useMqttVersion3()
                    .willPublish().topic(statusTopic).payload(OFFLINE).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                    .applyWillPublish();
            client = ClientSetup.credentials3(settings).map(b::simpleAuth).orElse(b).buildAsync();
        }

        @Override
        public String protocol() {
            return "3.1.1";
        }

        @Override
        public void connect() {
            client.connectWith().cleanSession(true).keepAlive(ClientSetup.KEEP_ALIVE_S).send();
        }

        @Override
        public CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain) {
            return client.publishWith().topic(topic).qos(qos(qos)).retain(retain).payload(payload).send()
                    .thenAccept(p -> { });
        }

        @Override
        public void subscribeHomeAssistant() {
            client.subscribeWith().topicFilter(homeAssistantStatusTopic).qos(HA_STATUS_QOS)
                    .callback(p -> homeAssistantStatus(p.getPayloadAsBytes()))
                    .send();
        }

        @Override
        public CompletableFuture<Void> disconnect() {
            return client.disconnect();
        }
    }
}
