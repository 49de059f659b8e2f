package org.minimeter.gateway.sparkplug;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.app.SparkplugBridge;
import org.minimeter.gateway.mqtt.MqttSettings;
import org.minimeter.gateway.mqtt.testing.Mosquitto;
import org.minimeter.gateway.mqtt.testing.MosquittoPub;

/**
 * The edge node on its real session ({@code mqtt.SparkplugLink}, HiveMQ client) against a real
 * Mosquitto, observed by {@code mosquitto_sub} and decoded by {@link SparkplugWire}: nothing of the
 * gateway's own code is on the receiving side. Sections are those of Sparkplug 3.0.0.
 */
class SparkplugMosquittoTest {

    static final Duration T = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    final Map<String, FakeMeter> meters = new LinkedHashMap<>();

    EdgeNode start(Mosquitto broker, String protocol, Optional<String> primaryHost) {
        if (meters.isEmpty()) {
            meters.put("m1", new FakeMeter(2));
            meters.put("m2", new FakeMeter(1));
        }
        Map<Quantity, Deadband> d = new EnumMap<>(Quantity.class);
        for (Quantity q : Quantity.values()) {
            d.put(q, Deadband.parse("0.5"));
        }
        EdgeNodeSettings s = new EdgeNodeSettings("plant", "gw", primaryHost, Duration.ofMillis(200),
                Duration.ofMillis(200), 1 << 20, d);
        MqttSettings mqtt = new MqttSettings(broker.host(), broker.port(), "test-gw-sparkplug", protocol,
                Optional.empty(), Optional.empty(), false, Optional.empty(), Optional.empty(), Optional.empty(),
                "minimeter", false, "homeassistant");
        EdgeNode node = new EdgeNode(s, List.copyOf(meters.keySet()), id -> Optional.ofNullable(meters.get(id)),
                SparkplugBridge.transport(mqtt), dir, Clock.systemUTC(), "test");
        node.start();
        return node;
    }

    static void assertSeqContinuous(List<SparkplugSub.Message> session) {
        long expected = 0;
        for (SparkplugSub.Message m : session) {
            if (m.type().equals("NDEATH") || m.type().equals("STATE") || m.type().equals("NCMD")) {
                continue;
            }
            if (m.type().equals("NBIRTH")) {
                expected = 0;
            }
            // 6.4.5 [payloads-sequence-num-incrementing]
            assertThat(m.decoded().seq()).as("seq of %s", m).isEqualTo(expected);
            expected = (expected + 1) % 256;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "3.1.1"})
    void birthDataAndDeath_onARealBroker(String protocol) throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                SparkplugSub sub = SparkplugSub.start(broker.clientOptions(), "spBv1.0/#")) {
            EdgeNode node = start(broker, protocol, Optional.empty());
            try {
                SparkplugSub.Message nbirth = sub.awaitOne(m -> m.type().equals("NBIRTH"), T);
                sub.await(m -> m.type().equals("DBIRTH"), 2, T);
                // 2.4 [principles-birth-certificates-order]: the NBIRTH is the first message
                assertThat(sub.messages().get(0).type()).isEqualTo("NBIRTH");
                // 6.4.19 [payloads-nbirth-qos], 6.4.20 [payloads-dbirth-qos]: QoS 0 (delivered at the lower of both)
                assertThat(sub.messages()).allSatisfy(m -> {
                    assertThat(m.qos()).isZero();
                    assertThat(m.retained()).isFalse();
                });
                // 2.5 [principles-persistence-clean-session-311], [-50]; 6.4.25 [payloads-ndeath-will-message],
                // [payloads-ndeath-will-message-qos], [payloads-ndeath-will-message-retain]: as the broker logged the CONNECT
                assertThat(broker.log()).contains("as test-gw-sparkplug (p" + ("5".equals(protocol) ? "5" : "2")
                        + ", c1, k30)").containsPattern("Will message specified \\(\\d+ bytes\\) \\(r0, q1\\)")
                        .contains(": \tspBv1.0/plant/NDEATH/gw\n");

                meters.get("m1").volts = 123;
                SparkplugSub.Message ddata = sub.awaitOne(m -> m.type().equals("DDATA"), T);
                assertThat(ddata.device()).isEqualTo("m1");
                assertThat(ddata.decoded().metrics()).extracting(SparkplugWire.Metric::alias)
                        .contains(1009L, 1017L);
            } finally {
                node.stop();
            }
            // 5.5 [operational-behavior-edge-node-intentional-disconnect-ndeath]; 6.4.25: on 5 the broker
            // publishes the will ([payloads-ndeath-will-message-publisher-disconnect-mqtt50]), on 3.1.1 the
            // edge node does ([...-disconnect-mqtt311])
            SparkplugSub.Message ndeath = sub.awaitOne(m -> m.type().equals("NDEATH"), T);
            assertThat(ndeath.decoded().seq()).isNull();
            long nbirthBdSeq = sub.messages("NBIRTH").get(0).decoded().metric("bdSeq").asLong();
            assertThat(ndeath.decoded().metric("bdSeq").asLong()).isEqualTo(nbirthBdSeq);
            assertSeqContinuous(sub.messages());
        }
    }

    @Test
    void ncmdRebirth_fromAnotherClient_getsTheWholeBirthSequenceAgain() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                SparkplugSub sub = SparkplugSub.start(broker.clientOptions(), "spBv1.0/#")) {
            EdgeNode node = start(broker, "auto", Optional.empty());
            try {
                sub.await(m -> m.type().equals("DBIRTH"), 2, T);
                Path ncmd = dir.resolve("ncmd.bin");
                Files.write(ncmd, SparkplugWire.rebirthCommand(System.currentTimeMillis(), true));
                // 4.2.1.4.2 [topics-ncmd-mqtt]: a host sends it QoS 0, not retained
                assertThat(MosquittoPub.run(broker.clientOptions(), List.of("-t", "spBv1.0/plant/NCMD/gw", "-q",
                        "0", "-f", ncmd.toString())).succeeded()).isTrue();
                sub.await(m -> m.type().equals("NBIRTH"), 2, T);
                sub.await(m -> m.type().equals("DBIRTH"), 4, T);
                List<SparkplugSub.Message> births = sub.messages("NBIRTH");
                // 5.17 [operational-behavior-data-commands-rebirth-action-3]: the same bdSeq, no new CONNECT
                assertThat(births.get(1).decoded().metric("bdSeq").asLong())
                        .isEqualTo(births.get(0).decoded().metric("bdSeq").asLong());
                assertSeqContinuous(sub.messages());
            } finally {
                node.stop();
            }
        }
    }

    @Test
    void primaryHost_birthsWaitForStateOnline_andItsOfflineEndsTheSessionWithAnNdeath() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                SparkplugSub sub = SparkplugSub.start(broker.clientOptions(), "spBv1.0/#")) {
            String state = "spBv1.0/STATE/scada";
            // 4.2.3 / 6.4.27: STATE is retained JSON
            MosquittoPub.publishOrFail(broker.clientOptions(), state, "{\"online\":false,\"timestamp\":1000}", 1,
                    true);
            EdgeNode node = start(broker, "auto", Optional.of("scada"));
            try {
                Thread.sleep(1500);
                // 5.4 [message-flow-edge-node-birth-publish-phid-wait], 5.10 [operational-behavior-edge-node-birth-sequence-wait]
                assertThat(sub.messages("NBIRTH")).isEmpty();
                assertThat(node.stats().state()).isEqualTo(EdgeNode.State.WAITING_FOR_HOST);
                MosquittoPub.publishOrFail(broker.clientOptions(), state, "{\"online\":true,\"timestamp\":2000}", 1,
                        true);
                long first = sub.awaitOne(m -> m.type().equals("NBIRTH"), T).decoded().metric("bdSeq").asLong();
                sub.await(m -> m.type().equals("DBIRTH"), 2, T);

                // 5.4 [message-flow-edge-node-birth-publish-phid-offline]: NDEATH, disconnect, start over
                MosquittoPub.publishOrFail(broker.clientOptions(), state, "{\"online\":false,\"timestamp\":3000}", 1,
                        true);
                SparkplugSub.Message ndeath = sub.awaitOne(m -> m.type().equals("NDEATH"), T);
                assertThat(ndeath.decoded().metric("bdSeq").asLong()).isEqualTo(first);
                Thread.sleep(2500); // reconnected meanwhile, waiting again
                assertThat(sub.messages("NBIRTH")).hasSize(1);
                MosquittoPub.publishOrFail(broker.clientOptions(), state, "{\"online\":true,\"timestamp\":4000}", 1,
                        true);
                sub.await(m -> m.type().equals("NBIRTH"), 2, T);
                // 4.2.1.1.2 [topics-nbirth-bdseq-increment]: the new CONNECT took the next bdSeq
                assertThat(sub.messages("NBIRTH").get(1).decoded().metric("bdSeq").asLong()).isEqualTo(first + 1);
            } finally {
                node.stop();
            }
        }
    }

    @Test
    void afterABrokerOutage_theNewBirthsAreFollowedByTheHistoryInOrder() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start()) {
            EdgeNode node = start(broker, "auto", Optional.empty());
            SparkplugSub sub = null;
            try {
                FakeMeter m1 = meters.get("m1");
                long t0 = System.currentTimeMillis();
                while (node.stats().state() != EdgeNode.State.ONLINE) {
                    assertThat(System.currentTimeMillis() - t0).isLessThan(T.toMillis());
                    Thread.sleep(50);
                }
                broker.kill();
                while (node.stats().state() == EdgeNode.State.ONLINE) {
                    Thread.sleep(50);
                }
                // five 1 kWh steps while offline, each seen by at least one store
                for (int k = 1; k <= 5; k++) {
                    m1.deliveredMicroWh = k * 1_000_000_000L;
                    Thread.sleep(500);
                }
                assertThat(node.stats().stored()).isGreaterThanOrEqualTo(5);
                broker.start();
                sub = SparkplugSub.start(broker.clientOptions(), "spBv1.0/#");
                SparkplugSub.Message birth = sub.awaitOne(m -> m.type().equals("DBIRTH") && m.device().equals("m1"), T);
                List<SparkplugSub.Message> hist = sub.await(m -> m.type().equals("DDATA")
                        && m.decoded().metrics().stream().anyMatch(SparkplugWire.Metric::historical), 5, T);
                double born = birth.decoded().metric("Energy/Delivered").asDouble();
                List<Double> energy = hist.stream().map(m -> m.decoded().byAlias(1000))
                        .map(SparkplugWire.Metric::asDouble).toList();
                List<Long> at = hist.stream().map(m -> m.decoded().byAlias(1000).timestamp()).toList();
                // in order, with their own timestamps, never above the register the births carry
                assertThat(energy).isSorted().contains(1.0, 2.0, 3.0, 4.0, 5.0);
                assertThat(at).isSorted();
                assertThat(energy.get(energy.size() - 1)).isLessThanOrEqualTo(born);
                int birthAt = sub.messages().indexOf(birth);
                assertThat(sub.messages().indexOf(hist.get(0))).isGreaterThan(birthAt);
                assertSeqContinuous(sub.messages());
            } finally {
                node.stop();
                if (sub != null) {
                    sub.close();
                }
            }
        }
    }
}
