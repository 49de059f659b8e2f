package org.minimeter.gateway.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.mqtt.testing.Mosquitto;
import org.minimeter.gateway.mqtt.testing.MosquittoSub;

/**
 * The link against real brokers: Mosquitto 2 (speaks MQTT 5), Moquette (the embedded broker,
 * 3.1.1 only), and a socket that accepts TCP and hangs up at once, as a container proxy, a load
 * balancer or a restarting broker does during an outage.
 */
class MqttLinkTest {

    /** Generous: reconnect backoff reaches several seconds; nothing here asserts how long it takes. */
    private static final long WAIT_S = 90;
    private static final String GATEWAY_STATUS = "minimeter/gw/status";
    private static final String HA_STATUS = "homeassistant/status";

    /** Records what the link reports, in order. */
    private static final class Events implements MqttLink.Listener {
        final BlockingQueue<String> connected = new LinkedBlockingQueue<>();
        final BlockingQueue<String> disconnected = new LinkedBlockingQueue<>();

        @Override
        public void connected(String protocol) {
            connected.add(protocol);
        }

        @Override
        public void disconnected(String reason) {
            disconnected.add(reason);
        }

        String awaitConnected() throws InterruptedException {
            String p = connected.poll(WAIT_S, TimeUnit.SECONDS);
            assertThat(p).as("the link connected").isNotNull();
            return p;
        }

        /** Waits for a failed attempt that the hanging-up socket caused. */
        void awaitHangUp() throws InterruptedException {
            while (true) {
                String reason = disconnected.poll(WAIT_S, TimeUnit.SECONDS);
                assertThat(reason).as("a connection attempt was hung up on").isNotNull();
                if (reason.contains("ConnectionClosedException")) {
                    return;
                }
            }
        }
    }

    /** Accepts every connection and closes it before reading or writing a byte. */
    private static final class HangUp implements AutoCloseable {
        private final ServerSocket socket;

        HangUp(int port) throws IOException {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(Mosquitto.HOST), port));
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        s.setSoLinger(true, 0);
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "hang-up-" + port);
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static MqttSettings settings(String host, int port, String protocol) {
        return new MqttSettings(host, port, "gw", protocol, Optional.empty(), Optional.empty(), false,
                Optional.empty(), Optional.empty(), Optional.empty(), "minimeter", true, "homeassistant");
    }

    private static MqttSettings settings(List<MqttSettings.Broker> brokers, String protocol) {
        return new MqttSettings(brokers, "gw", protocol, Optional.empty(), Optional.empty(), false, Optional.empty(),
                Optional.empty(), Optional.empty(), "minimeter", true, "homeassistant");
    }

    private static MqttSettings.Broker at(Mosquitto broker) {
        return new MqttSettings.Broker(broker.host(), broker.port());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(Mosquitto.HOST))) {
            return s.getLocalPort();
        }
    }

    @Test
    void auto_withABrokerThatOnlySpeaks311_fallsBackTo311() throws Exception {
        int port = freePort();
        Events events = new Events();
        try (EmbeddedBroker broker = EmbeddedBroker.start(Mosquitto.HOST, port);
                MqttLink link = new MqttLink(settings(Mosquitto.HOST, port, "auto"), GATEWAY_STATUS, HA_STATUS,
                        events)) {
            link.start();
            assertThat(events.awaitConnected()).isEqualTo("3.1.1");
            assertThat(link.protocol()).isEqualTo("3.1.1");
            link.publish("minimeter/m1/status", "online".getBytes(), 1, true).get(WAIT_S, TimeUnit.SECONDS);
        }
    }

    @Test
    void auto_whenTheFirstAttemptsAreHungUpOn_connectsWithMqtt5OnceTheBrokerAnswers() throws Exception {
        assumeTrue(Mosquitto.isInstalled(), "mosquitto is not installed");
        Events events = new Events();
        int port;
        try (HangUp hangUp = new HangUp(freePort())) {
            port = hangUp.port();
            try (MqttLink link = new MqttLink(settings(Mosquitto.HOST, port, "auto"), GATEWAY_STATUS, HA_STATUS,
                    events)) {
                link.start();
                events.awaitHangUp();
                hangUp.close();
                try (Mosquitto broker = Mosquitto.builder().port(port).start()) {
                    assertThat(events.awaitConnected()).isEqualTo("5");
                    assertThat(link.protocol()).isEqualTo("5");
                }
            }
        }
    }

    @Test
    void auto_afterAnOutageBehindAProxyThatHangsUp_reconnectsWithMqtt5() throws Exception {
        assumeTrue(Mosquitto.isInstalled(), "mosquitto is not installed");
        Events events = new Events();
        try (Mosquitto broker = Mosquitto.builder().start();
                MqttLink link = new MqttLink(settings(broker.host(), broker.port(), "auto"), GATEWAY_STATUS,
                        HA_STATUS, events)) {
            link.start();
            assertThat(events.awaitConnected()).isEqualTo("5");
            broker.stop();
            assertThat(events.disconnected.poll(WAIT_S, TimeUnit.SECONDS)).as("the connection was lost").isNotNull();
            try (HangUp hangUp = new HangUp(broker.port())) {
                events.awaitHangUp();
            }
            broker.start();
            assertThat(events.awaitConnected()).isEqualTo("5");
            assertThat(link.protocol()).isEqualTo("5");
            assertThat(link.reconnects()).isEqualTo(1);
        }
    }

    @Test
    void birthAndCleanStop_goToTheGatewayStatusTopic_andMeterStatusIsRetainedApart() throws Exception {
        assumeTrue(Mosquitto.isInstalled(), "mosquitto is not installed");
        Events events = new Events();
        try (Mosquitto broker = Mosquitto.builder().start()) {
            MqttLink link = new MqttLink(settings(broker.host(), broker.port(), "auto"), GATEWAY_STATUS, HA_STATUS,
                    events);
            link.start();
            assertThat(events.awaitConnected()).isEqualTo("5");
            link.publishStatus("minimeter/m1/status", true).get(WAIT_S, TimeUnit.SECONDS);
            link.publishStatus("minimeter/m2/status", false).get(WAIT_S, TimeUnit.SECONDS);
            List<MosquittoSub.Message> retained = MosquittoSub.fetchRetained(broker.clientOptions(),
                    "minimeter/+/status", 3, Duration.ofSeconds(WAIT_S));
            assertThat(retained).extracting(m -> m.topic() + "=" + m.payload()).containsExactlyInAnyOrder(
                    "minimeter/gw/status=online", "minimeter/m1/status=online", "minimeter/m2/status=offline");
            link.close();
            assertThat(MosquittoSub.fetchRetained(broker.clientOptions(), GATEWAY_STATUS, 1,
                    Duration.ofSeconds(WAIT_S))).extracting(MosquittoSub.Message::payload).containsExactly("offline");
        }
    }

    @Test
    void aBrokerList_whoseFirstIsDown_connectsToTheNext() throws Exception {
        assumeTrue(Mosquitto.isInstalled(), "mosquitto is not installed");
        Events events = new Events();
        MqttSettings.Broker down = new MqttSettings.Broker(Mosquitto.HOST, freePort());
        try (Mosquitto broker = Mosquitto.builder().start();
                MqttLink link = new MqttLink(settings(List.of(down, at(broker)), "auto"), GATEWAY_STATUS, HA_STATUS,
                        events)) {
            assertThat(link.broker()).isEqualTo(down);
            link.start();
            assertThat(events.awaitConnected()).isEqualTo("5");
            assertThat(link.broker()).isEqualTo(at(broker));
            assertThat(events.disconnected.peek()).as("the refused first attempt").contains("Connect");
            link.publish("minimeter/m1/energy", "{}".getBytes(), 1, true).get(WAIT_S, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBrokerList_whenTheConnectedBrokerDies_movesToTheNext_andRoundToTheFirstAgain() throws Exception {
        assumeTrue(Mosquitto.isInstalled(), "mosquitto is not installed");
        Events events = new Events();
        try (Mosquitto a = Mosquitto.builder().start(); Mosquitto b = Mosquitto.builder().start();
                MqttLink link = new MqttLink(settings(List.of(at(a), at(b)), "auto"), GATEWAY_STATUS, HA_STATUS,
                        events);
                MosquittoSub subB = MosquittoSub.start(b.clientOptions(), GATEWAY_STATUS)) {
            link.start();
            assertThat(events.awaitConnected()).isEqualTo("5");
            assertThat(link.broker()).isEqualTo(at(a));

            a.kill();
            assertThat(events.awaitConnected()).isEqualTo("5");
            assertThat(link.broker()).isEqualTo(at(b));
            // the birth went to the node it moved to
            subB.awaitMessage(GATEWAY_STATUS, m -> m.payload().equals("online"), Duration.ofSeconds(WAIT_S));
            link.publish("minimeter/m1/pulse", "{}".getBytes(), 1, false).get(WAIT_S, TimeUnit.SECONDS);

            a.start();
            b.kill();
            assertThat(events.awaitConnected()).isEqualTo("5");
            assertThat(link.broker()).isEqualTo(at(a));
            link.publish("minimeter/m1/pulse", "{}".getBytes(), 1, false).get(WAIT_S, TimeUnit.SECONDS);
            assertThat(link.reconnects()).isEqualTo(2);
        }
    }
}
