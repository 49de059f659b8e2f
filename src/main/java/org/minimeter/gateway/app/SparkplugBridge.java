package org.minimeter.gateway.app;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jboss.logging.Logger;
import org.minimeter.gateway.app.config.GatewaySetup;
import org.minimeter.gateway.app.config.MeterSetup;
import org.minimeter.gateway.app.config.SparkplugSetup;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.mqtt.MqttSettings;
import org.minimeter.gateway.mqtt.SparkplugLink;
import org.minimeter.gateway.sparkplug.DeviceView;
import org.minimeter.gateway.sparkplug.EdgeNode;
import org.minimeter.gateway.sparkplug.Transport;

/**
 * Wires the Sparkplug edge node: the meters as its devices (looked up by id at every scan, so a
 * meter restarted through the API is followed), its own MQTT session ({@link SparkplugLink}, with
 * the gateway's broker, credentials and TLS and the client id {@code <mqtt.client-id>-sparkplug})
 * and its files under {@code <storage.dir>/sparkplug}. Started after the meters, stopped before.
 */
public final class SparkplugBridge {

    private static final Logger LOG = Logger.getLogger(SparkplugBridge.class);

    private final EdgeNode node;

    private SparkplugBridge(EdgeNode node) {
        this.node = node;
    }

    /**
     * The edge node of the gateway's meters under {@code <storage.dir>/sparkplug}, or null when
     * {@code sparkplug.enabled=false}.
     */
    public static SparkplugBridge startIfEnabled(SparkplugSetup setup, MqttSettings mqtt, GatewaySetup gateway,
            Function<String, Optional<MeterRuntime>> meters, String version) {
        if (!setup.enabled()) {
            return null;
        }
        return start(setup, mqtt, gateway.outboxDir().getParent(), gateway.meters().stream().map(MeterSetup::id)
                .toList(), meters, version);
    }

    /**
     * @param meterIds the meters in configuration order: their device numbers and so their aliases
     * @throws org.minimeter.gateway.persistence.StorageException if its files cannot be opened
     */
    public static SparkplugBridge start(SparkplugSetup setup, MqttSettings mqtt, Path storageDir,
            List<String> meterIds, Function<String, Optional<MeterRuntime>> meters, String version) {
        MqttSettings own = new MqttSettings(mqtt.host(), mqtt.port(), mqtt.clientId() + "-sparkplug",
                mqtt.protocol(), mqtt.username(), mqtt.password(), mqtt.tls(), mqtt.tlsCa(), mqtt.tlsCert(),
                mqtt.tlsKey(), mqtt.topicPrefix(), mqtt.discovery(), mqtt.discoveryPrefix());
        EdgeNode node = new EdgeNode(setup.settings(), meterIds, id -> meters.apply(id).map(SparkplugBridge::view),
                new LinkTransport(own), storageDir.resolve(SparkplugSetup.DIRECTORY), Clock.systemUTC(), version);
        node.start();
        LOG.infof("Sparkplug: edge node %s/%s with %d meter(s) as devices, session %s on %s:%d",
                setup.settings().groupId(), setup.settings().edgeNodeId(), meterIds.size(), own.clientId(),
                own.host(), own.port());
        return new SparkplugBridge(node);
    }

    public EdgeNode.Stats stats() {
        return node.stats();
    }

    public EdgeNode node() {
        return node;
    }

    /** A bridge around an edge node started elsewhere (benchmarks, tests). */
    public static SparkplugBridge wrap(EdgeNode node) {
        return new SparkplugBridge(node);
    }

    /** NDEATH and disconnect; what was recorded while offline stays on disk for the next start. */
    public void stop() {
        try {
            node.stop();
            EdgeNode.Stats s = node.stats();
            LOG.infof("Sparkplug: stopped; %d Sparkplug message(s) sent, %d history record(s) left on disk",
                    s.messages(), s.historyDepth());
        } catch (RuntimeException e) {
            LOG.errorf(e, "Sparkplug: clean stop failed");
        }
    }

    /** A meter as the edge node reads it: its volatile snapshots, never the sampling state. */
    static DeviceView view(MeterRuntime m) {
        return new DeviceView() {
            @Override
            public boolean available() {
                return m.available();
            }

            @Override
            public int elements() {
                return m.durable().energy().elements();
            }

            @Override
            public Measurement latest() {
                return m.latest();
            }

            @Override
            public EnergySnapshot energy() {
                return m.durable().energy();
            }

            @Override
            public Map<String, Long> pulses() {
                return m.durable().sequences();
            }

            @Override
            public Collection<String> activeAlarms() {
                return m.activeAlarms();
            }

            @Override
            public String sourceState() {
                if (!m.available()) {
                    return "failed";
                }
                return m.activeAlarms().contains(Condition.SOURCE_ENDED.key()) ? "ended" : "running";
            }
        };
    }

    /** The edge node's own session over the HiveMQ client, with the given settings as they are. */
    public static Transport transport(MqttSettings settings) {
        return new LinkTransport(settings);
    }

    /** The edge node's transport over the HiveMQ session of the mqtt package. */
    private static final class LinkTransport implements Transport {
        private final MqttSettings settings;
        private volatile SparkplugLink link;

        LinkTransport(MqttSettings settings) {
            this.settings = settings;
        }

        @Override
        public void start(String willTopic, List<String> subscriptions, Events events) {
            link = new SparkplugLink(settings, willTopic, subscriptions, new SparkplugLink.Listener() {
                @Override
                public byte[] nextWill() {
                    return events.nextWill();
                }

                @Override
                public void connected(String protocol) {
                    events.connected();
                }

                @Override
                public void disconnected(String reason) {
                    events.disconnected(reason);
                }

                @Override
                public void message(String topic, byte[] payload) {
                    events.message(topic, payload);
                }
            });
            link.start();
        }

        @Override
        public boolean isConnected() {
            SparkplugLink l = link;
            return l != null && l.isConnected();
        }

        @Override
        public CompletableFuture<Void> publish(String topic, byte[] payload) {
            return link.publish(topic, payload);
        }

        @Override
        public void restart(byte[] death) {
            link.restart(death);
        }

        @Override
        public void close(byte[] death) {
            SparkplugLink l = link;
            if (l != null) {
                l.close(death);
            }
        }
    }
}
