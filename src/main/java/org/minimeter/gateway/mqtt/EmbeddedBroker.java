package org.minimeter.gateway.mqtt;

import io.moquette.broker.Server;
import io.moquette.broker.config.IConfig;
import io.moquette.broker.config.MemoryConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Properties;
import org.jboss.logging.Logger;

/**
 * The broker the gateway brings when none is configured: Moquette in this process, MQTT
 * 3.1.1, anonymous, on loopback only, retained messages kept in memory. It makes the
 * default run show live messages with {@code mosquitto_sub} and no other set-up; it is not
 * meant to be a site's broker.
 *
 * <p>Chosen over the embedded HiveMQ CE (MQTT 5) for weight: Moquette starts in well under a
 * second in a few MB of heap on a Raspberry Pi class board.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedBroker.class);

    private final Server server = new Server();
    private final String host;
    private final int port;

    private EmbeddedBroker(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** Starts it; fails with a clear message if the port is taken. */
    public static EmbeddedBroker start(String host, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("mqtt.port=" + port + ": the embedded broker cannot listen on " + host + ":"
                    + port + " (" + e.getMessage() + "); set mqtt.port to a free port, or mqtt.host to use a running"
                    + " broker");
        }
        Properties p = new Properties();
        p.setProperty(IConfig.HOST_PROPERTY_NAME, host);
        p.setProperty(IConfig.PORT_PROPERTY_NAME, Integer.toString(port));
        p.setProperty(IConfig.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
        p.setProperty(IConfig.PERSISTENCE_ENABLED_PROPERTY_NAME, "false");
        p.setProperty(IConfig.ENABLE_TELEMETRY_NAME, "false");
        p.setProperty(IConfig.WEB_SOCKET_PORT_PROPERTY_NAME, "disabled");
        // Home Assistant's device-based discovery puts every sensor of a meter in one retained
        // message (about 10 KB for two elements); Moquette's default limit is 8092 bytes.
        p.setProperty(IConfig.NETTY_MAX_BYTES_PROPERTY_NAME, Integer.toString(1 << 20));
        // mosquitto_sub and many tools connect without a client id
        p.setProperty(io.moquette.BrokerConstants.ALLOW_ZERO_BYTE_CLIENT_ID_PROPERTY_NAME, "true");
        EmbeddedBroker b = new EmbeddedBroker(host, port);
        try {
            b.server.startServer(new MemoryConfig(p));
        } catch (IOException e) {
            throw new IllegalStateException("the embedded MQTT broker did not start: " + e.getMessage(), e);
        }
        LOG.infof("MQTT: embedded broker (Moquette %s, MQTT 3.1.1, anonymous) listening on %s:%d", Server.MOQUETTE_VERSION,
                host, port);
        return b;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        server.stopServer();
    }
}
