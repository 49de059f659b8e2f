package org.minimeter.gateway.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.PackagedGateway;
import org.minimeter.gateway.mqtt.testing.MosquittoSub;
import org.minimeter.gateway.mqtt.testing.RabbitCluster;

/**
 * The packaged gateway against a real three-node RabbitMQ cluster (Debian's rabbitmq-server
 * 3.10 with its MQTT plugin, MQTT 3.1.1), started by the test on loopback ports:
 * {@code mqtt.host} lists the three nodes, a subscriber sits on node 3, and the node the
 * gateway is connected to is killed (SIGKILL of its VM) while a meter pulses at 20 x real
 * time. The gateway must carry on at another node with its one session, and the subscriber
 * must see every {@code pulse10} seq from 1 to the last (duplicates allowed: QoS 1, at least
 * once) and never see {@code delivered_kwh} go down. Runs in {@code mvn verify} after packaging.
 */
class ClusterFailoverIT {

    static final Logger LOG = Logger.getLogger(ClusterFailoverIT.class);
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration T = Duration.ofSeconds(30);
    static final Pattern CONNECTED = Pattern.compile("MQTT: connected to 127\\.0\\.0\\.1:(\\d+) with MQTT (\\S+)");
    static final Pattern LISTENING = Pattern.compile("Listening on: http://[^:\\s]+:(\\d+)");

    @TempDir
    Path work;

    @Test
    void theNodeInUseIsKilled_theGatewayCarriesOnAtAnother_andASurvivorsSubscriberMissesNoPulse() throws Exception {
        try (RabbitCluster cluster = RabbitCluster.start(3);
                MosquittoSub sub = MosquittoSub.builder(cluster.node(3).clientOptions()).topics("minimeter/#")
                        .startTimeout(T).start()) {
            PackagedGateway.writeConfig(work,
                    "gateway.id=gw-cluster",
                    "mqtt.host=" + cluster.mqttHosts(),
                    // RabbitMQ 3.10 cannot parse an MQTT 5 CONNECT and hangs up without a CONNACK,
                    // which auto rightly does not take for a refusal (a restarting broker does the same)
                    "mqtt.protocol=3.1.1",
                    "mqtt.energy-interval=1s",
                    "mqtt.health-interval=5s",
                    "storage.dir=" + work.resolve("data"),
                    "quarkus.http.port=0",
                    "hal.gpio.provider=simulated",
                    "simulator.speed=20",
                    "meters.m1.simulator.current=20");
            Process gw = PackagedGateway.start(work);
            try {
                sub.awaitMessage("minimeter/gw-cluster/status", m -> m.payload().equals("online"), T);
                awaitPulses(sub, 5, m -> json(m).get("output").asText().equals("pulse10"));

                // the gateway is on the first node listed
                List<Integer> ports = connectedPorts();
                assertThat(ports).as(log()).hasSize(1);
                RabbitCluster.Node first = cluster.nodeWithMqttPort(ports.get(0));
                assertThat(first.index()).isEqualTo(1);
                assertThat(gatewayView().get("mqtt").get("broker").asText()).isEqualTo("127.0.0.1:"
                        + first.mqttPort());

                first.kill();
                Instant killed = Instant.now();
                // QoS 1 may bring pulses of before the kill again through node 2: only higher seqs
                // are new ones
                long seenBefore = sub.messages("minimeter/m1/pulse").stream()
                        .filter(m -> json(m).get("output").asText().equals("pulse10"))
                        .mapToLong(m -> json(m).get("seq").asLong()).max().orElse(0);

                long deadline = System.nanoTime() + T.toNanos();
                while (connectedPorts().size() < 2) {
                    assertThat(System.nanoTime()).as("reconnected to another node; " + log()).isLessThan(deadline);
                    Thread.sleep(100);
                }
                RabbitCluster.Node second = cluster.nodeWithMqttPort(connectedPorts().get(1));
                assertThat(second.index()).as("the next node in the list").isEqualTo(2);
                JsonNode mqtt = gatewayView().get("mqtt");
                assertThat(mqtt.get("broker").asText()).isEqualTo("127.0.0.1:" + second.mqttPort());
                assertThat(mqtt.get("connected").asBoolean()).isTrue();
                assertThat(mqtt.get("reconnects").asLong()).isEqualTo(1);

                // it goes on publishing through node 2 to the subscriber on node 3
                awaitPulses(sub, 10, m -> m.receivedAt().isAfter(killed)
                        && json(m).get("output").asText().equals("pulse10") && json(m).get("seq").asLong() > seenBefore);
                sub.awaitMessage("minimeter/m1/energy", m -> m.receivedAt().isAfter(killed.plusSeconds(2)), T);
            } finally {
                PackagedGateway.stop(gw); // a clean stop sends what the outbox holds
                // kept beside the nodes' logs (target/rabbitmq-logs) for a failed CI run
                Files.copy(work.resolve(PackagedGateway.LOG), cluster.node(1).logFile().resolveSibling(
                        "gateway-" + cluster.node(1).mqttPort() + ".log"));
            }
            // the clean stop's offline comes after everything the outbox held, on the same session
            sub.awaitMessage("minimeter/gw-cluster/status", m -> m.payload().equals("offline"), T);
            String log = log();
            assertThat(log).contains("MQTT: connection to 127.0.0.1:" + cluster.node(1).mqttPort() + " lost")
                    .contains("MQTT: stopped; 0 message(s) left in the outbox").doesNotContain("\tat ");

            // every pulse10 seq from 1 to the last, none skipped (some may come twice)
            TreeSet<Long> seqs = new TreeSet<>();
            int pulses = 0;
            for (MosquittoSub.Message m : sub.messages("minimeter/m1/pulse")) {
                JsonNode p = json(m);
                if (p.get("output").asText().equals("pulse10")) {
                    seqs.add(p.get("seq").asLong());
                    pulses++;
                }
            }
            assertThat(seqs.first()).as("first pulse10 seq").isEqualTo(1);
            assertThat(seqs.last() - seqs.first() + 1).as("pulse10 seqs without a gap: " + seqs).isEqualTo(seqs.size());
            assertThat(seqs.size()).isGreaterThanOrEqualTo(15);

            // energy in the order received never goes down
            List<Double> delivered = new ArrayList<>();
            for (MosquittoSub.Message m : sub.messages("minimeter/m1/energy")) {
                delivered.add(json(m).get("delivered_kwh").asDouble());
            }
            assertThat(delivered).as("energy received").isNotEmpty().isSorted();
            LOG.infof("ClusterFailoverIT: %d pulse10 seqs (1..%d), %d pulse10 messages (%d duplicates),"
                    + " %d energy messages, moved from %s to %s", seqs.size(), seqs.last(), pulses,
                    pulses - seqs.size(), delivered.size(), cluster.node(1).name(), cluster.node(2).name());
        }
    }

    private void awaitPulses(MosquittoSub sub, int n, Predicate<MosquittoSub.Message> which) {
        long deadline = System.nanoTime() + T.toNanos();
        while (sub.messages("minimeter/m1/pulse").stream().filter(which).count() < n) {
            assertThat(System.nanoTime()).as(n + " pulses; " + sub).isLessThan(deadline);
            sleep(100);
        }
    }

    private String log() {
        return PackagedGateway.log(work);
    }

    /** The MQTT ports the gateway reported connecting to, in order. */
    private List<Integer> connectedPorts() {
        List<Integer> ports = new ArrayList<>();
        Matcher m = CONNECTED.matcher(log());
        while (m.find()) {
            ports.add(Integer.parseInt(m.group(1)));
        }
        return ports;
    }

    /** {@code GET /api/gateway} on the port the gateway logged. */
    private JsonNode gatewayView() throws Exception {
        Matcher m = LISTENING.matcher(log());
        assertThat(m.find()).as("the HTTP port in the log: " + log()).isTrue();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + m.group(1) + "/api/gateway")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static JsonNode json(MosquittoSub.Message m) {
        try {
            return JSON.readTree(m.payload());
        } catch (IOException e) {
            throw new AssertionError("not JSON on " + m.topic() + ": " + m.payload(), e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
