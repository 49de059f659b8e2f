package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.mqtt.MqttSettings;
import org.minimeter.gateway.mqtt.testing.Mosquitto;
import org.minimeter.gateway.mqtt.testing.MosquittoSub;
import org.minimeter.gateway.mqtt.testing.TestCertificates;

/**
 * The gateway against a real Mosquitto, checked by an independent subscriber
 * ({@code mosquitto_sub}): topics, payloads, retained state, last will, broker outages and
 * TLS. Mosquitto is installed by scripts/test.sh.
 */
class MqttIntegrationTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration T = Duration.ofSeconds(20);

    @TempDir
    Path storage;

    static JsonNode json(MosquittoSub.Message m) {
        try {
            return JSON.readTree(m.payload());
        } catch (Exception e) {
            throw new AssertionError("not JSON on " + m.topic() + ": " + m.payload(), e);
        }
    }

    static SimulatorSettings.Builder load(double amps, double speed) {
        return SimulatorSettings.builder(60, 2, 200).current(amps).speed(speed);
    }

    @Test
    void everyTopicAndPayload_asSpecified_andRetainedStateAfterTheSubscriberReconnects() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/#", "homeassistant/#")) {
            // 140 V is over the 60 Hz band: the alarm topic has something to say
            PublishingMeter gw = new PublishingMeter("m1", load(50, 20).voltage(140).build(), storage,
                    PublishingMeter.plain(broker.host(), broker.port(), "gw-m1"), Duration.ofSeconds(1),
                    Duration.ofSeconds(2)).start();
            try {
                assertThat(sub.awaitCount("minimeter/m1/status", 1, T).get(0).payload()).isEqualTo("online");
                List<MosquittoSub.Message> energy = sub.awaitCount("minimeter/m1/energy", 3, T);
                List<MosquittoSub.Message> power = sub.awaitCount("minimeter/m1/power", 2, T);
                List<MosquittoSub.Message> pulses = sub.awaitCount("minimeter/m1/pulse", 3, T);
                List<MosquittoSub.Message> health = sub.awaitCount("minimeter/m1/health", 2, T);
                List<MosquittoSub.Message> alarms = sub.awaitCount("minimeter/m1/alarm", 2, T);
                List<MosquittoSub.Message> discovery = sub.awaitCount("homeassistant/device/m1/config", 1, T);

                JsonNode e = json(sub.awaitMessage("minimeter/m1/energy",
                        m -> json(m).get("delivered_kwh").asDouble() > 0, T));
                assertThat(e.get("ts").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
                assertThat(e.get("delivered_kwh").decimalValue()).isPositive();
                assertThat(e.get("received_kwh").decimalValue()).isZero();
                assertThat(e.get("elements")).hasSize(2);
                assertThat(e.get("elements").get(0).has("delivered_kwh")).isTrue();
                assertThat(energy).allSatisfy(m -> assertThat(m.retained()).isFalse());

                JsonNode p = json(power.get(power.size() - 1));
                for (String key : new String[] {"ts", "power_w", "reactive_var", "apparent_va", "pf", "frequency_hz"}) {
                    assertThat(p.has(key)).as(key).isTrue();
                }
                assertThat(p.get("power_w").asDouble()).isBetween(2 * 140 * 50 * 0.99, 2 * 140 * 50 * 1.01);
                assertThat(p.get("elements").get(1).get("voltage_v").asDouble()).isBetween(139.9, 140.1);
                assertThat(p.get("elements").get(1).get("current_a").asDouble()).isBetween(49.9, 50.1);
                assertThat(p.get("frequency_hz").asDouble()).isBetween(59.99, 60.01);

                JsonNode pulse = json(pulses.get(0));
                assertThat(pulse.get("output").asText()).isIn("pulse10", "pulse100", "pulse1000", "counter");
                assertThat(pulse.get("seq").asLong()).isPositive();
                assertThat(pulses).filteredOn(m -> json(m).get("output").asText().equals("pulse10"))
                        .allSatisfy(m -> assertThat(json(m).get("wh").asInt()).isEqualTo(10));

                JsonNode h = json(sub.awaitMessage("minimeter/m1/health",
                        m -> json(m).get("status").asText().equals("alarm"), T));
                for (String key : new String[] {"status", "uptime_s", "sample_rate_hz", "dropped_samples", "reconnects",
                        "outbox_depth", "last_register_save", "active_alarms"}) {
                    assertThat(h.has(key)).as(key).isTrue();
                }
                assertThat(h.get("active_alarms").toString()).contains("over_voltage:L1", "over_voltage:L2");

                assertThat(alarms).extracting(m -> json(m).get("alarm").asText()).contains("over_voltage");
                JsonNode a = json(alarms.get(0));
                assertThat(a.get("state").asText()).isEqualTo("raised");
                assertThat(a.get("limit").asDouble()).isEqualTo(132.0);

                // a new meter: device-based discovery only, no per-sensor topics to migrate
                assertThat(sub.messages("homeassistant/sensor/#")).isEmpty();
                assertThat(discovery.get(0).retained()).isFalse();
                JsonNode dev = json(discovery.get(0));
                JsonNode d = dev.get("cmps").get("m1_energy_delivered");
                assertThat(d.get("platform").asText()).isEqualTo("sensor");
                assertThat(d.get("device_class").asText()).isEqualTo("energy");
                assertThat(d.get("state_class").asText()).isEqualTo("total_increasing");
                assertThat(d.get("unit_of_measurement").asText()).isEqualTo("kWh");
                assertThat(d.get("state_topic").asText()).isEqualTo("minimeter/m1/energy");
                assertThat(dev.get("availability").toString()).contains("minimeter/m1/status");

                // Home Assistant restarts: discovery is sent again
                sub.clear();
                new ProcessBuilder("mosquitto_pub", "-h", broker.host(), "-p", Integer.toString(broker.port()), "-t",
                        "homeassistant/status", "-m", "online").start().waitFor(5, TimeUnit.SECONDS);
                assertThat(sub.awaitCount("homeassistant/device/m1/config", 1, T)).hasSize(1);
            } finally {
                gw.close();
            }
            // retained for a subscriber that comes later: status (now offline), energy, health, discovery
            List<MosquittoSub.Message> retained = MosquittoSub.fetchRetained(broker.clientOptions(), "#",
                    Duration.ofSeconds(3));
            assertThat(retained).extracting(MosquittoSub.Message::topic)
                    .contains("minimeter/m1/status", "minimeter/m1/energy", "minimeter/m1/health",
                            "homeassistant/device/m1/config")
                    .doesNotContain("minimeter/m1/power", "minimeter/m1/pulse", "minimeter/m1/alarm");
            assertThat(retained).filteredOn(m -> m.topic().equals("minimeter/m1/status"))
                    .singleElement().extracting(MosquittoSub.Message::payload).isEqualTo("offline");
        }
    }

    @Test
    void anEarlierVersionsMeter_itsOutboxIsCarriedOver_andItsPerSensorDiscoveryMigratedOnce() throws Exception {
        // what the single-meter version left: a register, an outbox with unsent messages, and
        // per-sensor discovery configs retained on the broker
        try (var store = new org.minimeter.gateway.persistence.RegisterStore(storage, "m1", 3)) {
            store.save(org.minimeter.gateway.persistence.RegisterState.empty(2));
        }
        try (var old = new org.minimeter.gateway.persistence.Outbox(storage.resolve("m1/outbox"), 1 << 20)) {
            old.append(List.of(org.minimeter.gateway.persistence.Outbox.Message.of(
                    org.minimeter.gateway.persistence.Outbox.Kind.PULSE, "minimeter/m1/pulse",
                    "{\"output\":\"pulse10\",\"wh\":10,\"seq\":7,\"ts\":\"2026-11-01T00:00:00Z\"}"
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, false)));
        }
        try (Mosquitto broker = Mosquitto.builder().anonymous().start()) {
            for (String object : new String[] {"energy_delivered", "power"}) {
                new ProcessBuilder("mosquitto_pub", "-h", broker.host(), "-p", Integer.toString(broker.port()), "-r",
                        "-t", "homeassistant/sensor/m1/" + object + "/config", "-m", "{\"name\":\"old\"}")
                        .start().waitFor(5, TimeUnit.SECONDS);
            }
            try (MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/m1/pulse",
                    "homeassistant/#")) {
                PublishingMeter gw = new PublishingMeter("m1", load(10, 1).build(), storage,
                        PublishingMeter.plain(broker.host(), broker.port(), "gw-m1"), Duration.ofSeconds(1),
                        Duration.ofSeconds(2)).start();
                try {
                    sub.awaitMessage("minimeter/m1/pulse", m -> json(m).get("seq").asLong() == 7, T);
                    sub.awaitMessage("homeassistant/device/m1/config", m -> !m.payload().isEmpty(), T);
                    // HA's documented order on each old topic: migrate, then cleared after the device config
                    List<String> old = sub.payloads("homeassistant/sensor/m1/energy_delivered/config");
                    assertThat(old.get(0)).isEqualTo("{\"name\":\"old\"}");
                    await().atMost(T).until(() -> sub.payloads("homeassistant/sensor/m1/energy_delivered/config")
                            .contains(""));
                    assertThat(sub.payloads("homeassistant/sensor/m1/energy_delivered/config"))
                            .containsSubsequence("{\"name\":\"old\"}", "{\"migrate_discovery\":true}", "");
                    await().atMost(T).until(() -> java.nio.file.Files.exists(storage.resolve("m1/"
                            + PublishedMeter.MIGRATED)));
                } finally {
                    gw.close();
                }
                assertThat(storage.resolve("m1/outbox")).doesNotExist();
                assertThat(MosquittoSub.fetchRetained(broker.clientOptions(), "homeassistant/sensor/#",
                        Duration.ofSeconds(2))).as("no ghost entities").isEmpty();
                // a restart sends the device config only
                sub.clear();
                gw = new PublishingMeter("m1", load(10, 1).build(), storage,
                        PublishingMeter.plain(broker.host(), broker.port(), "gw-m1"), Duration.ofSeconds(1),
                        Duration.ofSeconds(2)).start();
                try {
                    sub.awaitMessage("homeassistant/device/m1/config", m -> !m.payload().isEmpty(), T);
                    Thread.sleep(1000);
                    assertThat(sub.messages("homeassistant/sensor/#")).isEmpty();
                } finally {
                    gw.close();
                }
            }
        }
    }

    @Test
    void anOlderEnergyLeftUnacknowledgedByAPowerCut_isNeverSentAfterANewerOne() throws Exception {
        // What a torn ack journal can leave: an energy message (5 kWh) still waiting, with 300
        // others behind it, though the broker already had a newer one; the register says 10 kWh.
        var registerState = org.minimeter.gateway.persistence.RegisterState.empty(2);
        try (var store = new org.minimeter.gateway.persistence.RegisterStore(storage, "m1", 3)) {
            store.save(registerState);
        }
        var seed = new org.minimeter.gateway.persistence.RegisterSeed("t", java.util.OptionalLong.of(10_000_000_000L),
                java.util.OptionalLong.empty(), false);
        try (var store = new org.minimeter.gateway.persistence.RegisterStore(storage, "m1", 3)) {
            seed.applyTo(store, store.load().state(), java.time.Instant.now());
        }
        try (var outbox = new org.minimeter.gateway.persistence.Outbox(storage.resolve("outbox"), 64L << 20)) {
            List<org.minimeter.gateway.persistence.Outbox.Message> old = new ArrayList<>();
            old.add(org.minimeter.gateway.persistence.Outbox.Message.of(
                    org.minimeter.gateway.persistence.Outbox.Kind.ENERGY, "minimeter/m1/energy",
                    "{\"delivered_kwh\":5.000000}".getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, true));
            for (int k = 0; k < 300; k++) {
                old.add(org.minimeter.gateway.persistence.Outbox.Message.of(
                        org.minimeter.gateway.persistence.Outbox.Kind.PULSE, "minimeter/other/pulse",
                        ("{\"seq\":" + k + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, false));
            }
            outbox.append(old);
        }
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/#")) {
            PublishingMeter gw = new PublishingMeter("m1", load(10, 1).build(), storage,
                    PublishingMeter.plain(broker.host(), broker.port(), "gw-m1"), Duration.ofSeconds(1),
                    Duration.ofSeconds(2)).start();
            try {
                sub.awaitCount("minimeter/other/pulse", 300, T);
                sub.awaitCount("minimeter/m1/energy", 2, T);
                await().atMost(T).until(() -> gw.publisher.outboxStats().depth() == 0);
            } finally {
                gw.close();
            }
            assertThat(sub.messages("minimeter/m1/energy")).extracting(m -> json(m).get("delivered_kwh").asDouble())
                    .allSatisfy(kwh -> assertThat(kwh).isGreaterThanOrEqualTo(10.0));
        }
    }

    @Test
    void lastWillOffline_afterTheGatewayProcessIsKilled() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/child/status")) {
            Process child = startChild(broker);
            try {
                sub.awaitMessage("minimeter/child/status", m -> m.payload().equals("online"), T);
                child.destroyForcibly(); // SIGKILL: no clean offline, the broker's will speaks
                assertThat(sub.awaitMessage("minimeter/child/status", m -> m.payload().equals("offline"), T))
                        .isNotNull();
            } finally {
                child.destroyForcibly();
            }
            assertThat(MosquittoSub.fetchRetained(broker.clientOptions(), "minimeter/child/status", Duration.ofSeconds(3)))
                    .singleElement().extracting(MosquittoSub.Message::payload).isEqualTo("offline");
        }
    }

    private Process startChild(Mosquitto broker) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                MqttChild.class.getName(), storage.toString(), broker.host(), Integer.toString(broker.port()), "5",
                "child-gw").redirectErrorStream(true).start();
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
        String line;
        while ((line = in.readLine()) != null && !line.equals("ready")) {
            // start-up log
        }
        Thread drain = new Thread(() -> {
            try {
                in.transferTo(java.io.Writer.nullWriter());
            } catch (java.io.IOException e) {
                // gone
            }
        });
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    /** Counts warnings and errors of the MQTT link while a test runs. */
    static final class LinkLog extends Handler implements AutoCloseable {
        final List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Logger logger = Logger.getLogger("org.minimeter.gateway.mqtt.MqttLink");

        LinkLog() {
            logger.addHandler(this);
        }

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                records.add(r);
            }
        }

        long errors() {
            return records.stream().filter(r -> r.getLevel().intValue() >= Level.SEVERE.intValue()).count();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    @Test
    void tenBrokerOutagesAndAGatewayRestart_loseNoPulseAndKeepEnergyInOrder() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().persistence(true).start();
                MosquittoSub sub = MosquittoSub.builder(broker.clientOptions()).topics("minimeter/out/#").qos(1)
                        .persistentSession("outage-watcher").start();
                LinkLog log = new LinkLog()) {
            SimulatorSettings s = load(50, 20).build(); // 2 x 6 kW x 20: 67 Wh and ~7 pulse10 a second
            MqttSettings mqtt = PublishingMeter.plain(broker.host(), broker.port(), "gw-out");
            PublishingMeter gw = new PublishingMeter("out", s, storage, mqtt, Duration.ofSeconds(1),
                    Duration.ofSeconds(2)).start();
            for (int outage = 0; outage < 10; outage++) {
                Thread.sleep(1200);
                broker.stop();
                Thread.sleep(800);
                broker.start();
            }
            // the gateway restarts while the broker is away: the outbox carries over
            broker.stop();
            Thread.sleep(1000);
            gw.close();
            long depthAtStop = gw.publisher.outboxStats().depth();
            gw = new PublishingMeter("out", s, storage, mqtt, Duration.ofSeconds(1), Duration.ofSeconds(2)).start();
            Thread.sleep(1000);
            broker.start();
            // the link reconnects on its own backoff (1 s, then doubling): wait for it, then
            // for what waited across the restart to drain, rather than for a fixed time
            PublishingMeter restarted = gw;
            await().atMost(T).until(restarted.publisher::connected);
            await().atMost(T).until(() -> restarted.publisher.outboxStats().depth() <= MqttPublisher.WINDOW);
            gw.close();
            long lastSeq = gw.meter.durable().sequence("pulse10");
            assertThat(depthAtStop).as("messages were waiting across the restart").isPositive();
            assertThat(gw.publisher.outboxStats().depth()).as("outbox empty at the end").isZero();

            await().atMost(T).until(() -> seqs(sub, "pulse10").size() >= lastSeq);
            TreeSet<Long> received = seqs(sub, "pulse10");
            assertThat(received.first()).isEqualTo(1L);
            assertThat(received.last()).isEqualTo(lastSeq);
            assertThat(received).as("every pulse10 seq from 1 to %d", lastSeq).hasSize((int) lastSeq);

            List<Double> delivered = new ArrayList<>();
            for (MosquittoSub.Message m : sub.messages("minimeter/out/energy")) {
                delivered.add(json(m).get("delivered_kwh").asDouble());
            }
            assertThat(delivered).hasSizeGreaterThan(5).isSorted();
            assertThat(log.errors()).as("one clear line per new cause, not a storm").isLessThanOrEqualTo(3);
            assertThat(log.records.size()).isLessThanOrEqualTo(30);
        }
    }

    static TreeSet<Long> seqs(MosquittoSub sub, String output) {
        TreeSet<Long> out = new TreeSet<>();
        for (MosquittoSub.Message m : sub.messages("minimeter/out/pulse")) {
            JsonNode j = json(m);
            if (j.get("output").asText().equals(output)) {
                out.add(j.get("seq").asLong());
            }
        }
        return out;
    }

    private static MqttSettings tls(Mosquitto broker, TestCertificates c, String user, String password,
            Path ca, Path cert, Path key) {
        return new MqttSettings(broker.host(), broker.port(), "gw-tls", "auto", Optional.of(user),
                Optional.of(password), true, Optional.of(ca), Optional.ofNullable(cert), Optional.ofNullable(key),
                "minimeter", true, "homeassistant");
    }

    @Test
    void mutualTls_withCaAndClientCertificate_publishes() throws Exception {
        TestCertificates c = TestCertificates.shared();
        try (Mosquitto broker = Mosquitto.builder().credentials("meter", "s3cret").tls(c, true).start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/tls/#")) {
            PublishingMeter gw = new PublishingMeter("tls", load(10, 10).build(), storage,
                    tls(broker, c, "meter", "s3cret", c.caCert(), c.clientCert(), c.clientKey()),
                    Duration.ofSeconds(1), Duration.ofSeconds(2)).start();
            try {
                assertThat(sub.awaitCount("minimeter/tls/energy", 1, T)).isNotEmpty();
                assertThat(gw.publisher.connected()).isTrue();
            } finally {
                gw.close();
            }
        }
    }

    @Test
    void wrongPassword_givesOneClearErrorAndKeepsRetrying() throws Exception {
        TestCertificates c = TestCertificates.shared();
        try (Mosquitto broker = Mosquitto.builder().credentials("meter", "s3cret").tls(c, true).start();
                LinkLog log = new LinkLog()) {
            PublishingMeter gw = new PublishingMeter("tls", load(10, 10).build(), storage,
                    tls(broker, c, "meter", "wrong", c.caCert(), c.clientCert(), c.clientKey()),
                    Duration.ofSeconds(1), Duration.ofSeconds(2)).start();
            try {
                await().atMost(T).until(() -> log.errors() >= 1);
                Thread.sleep(4000); // several retries later
                assertThat(log.errors()).isEqualTo(1);
                assertThat(log.records.get(0).getMessage() + java.util.Arrays.toString(log.records.get(0).getParameters()))
                        .contains("mqtt.password");
                assertThat(gw.publisher.connected()).isFalse();
                assertThat(gw.meter.stats().windows()).as("metering goes on").isPositive();
            } finally {
                gw.close();
            }
        }
    }

    @Test
    void untrustedCertificates_giveOneClearTlsErrorEach() throws Exception {
        TestCertificates c = TestCertificates.shared();
        try (Mosquitto broker = Mosquitto.builder().anonymous().tls(c, true).start(); LinkLog log = new LinkLog()) {
            // a client certificate from a CA the broker does not trust
            PublishingMeter gw = new PublishingMeter("tls", load(10, 10).build(), storage,
                    new MqttSettings(broker.host(), broker.port(), "gw-untrusted", "auto", Optional.empty(),
                            Optional.empty(), true, Optional.of(c.caCert()), Optional.of(c.untrustedClientCert()),
                            Optional.of(c.untrustedClientKey()), "minimeter", true, "homeassistant"),
                    Duration.ofSeconds(1), Duration.ofSeconds(2)).start();
            try {
                await().atMost(T).until(() -> log.errors() >= 1);
                Thread.sleep(3000);
                assertThat(log.errors()).isEqualTo(1);
                assertThat(gw.publisher.connected()).isFalse();
            } finally {
                gw.close();
            }
        }
        try (Mosquitto broker = Mosquitto.builder().anonymous()
                .tls(TestCertificates.shared().caCert(), c.untrustedServerCert(), c.untrustedServerKey(), false).start();
                LinkLog log = new LinkLog()) {
            // a broker whose certificate does not chain to mqtt.tls-ca
            PublishingMeter gw = new PublishingMeter("tls2", load(10, 10).build(), storage,
                    new MqttSettings(broker.host(), broker.port(), "gw-untrusted2", "auto", Optional.empty(),
                            Optional.empty(), true, Optional.of(c.caCert()), Optional.empty(), Optional.empty(),
                            "minimeter", true, "homeassistant"),
                    Duration.ofSeconds(1), Duration.ofSeconds(2)).start();
            try {
                await().atMost(T).until(() -> log.errors() >= 1);
                Thread.sleep(3000);
                assertThat(log.errors()).isEqualTo(1);
                String line = log.records.get(0).getMessage() + java.util.Arrays.toString(log.records.get(0).getParameters());
                assertThat(line).contains("TLS handshake failed");
            } finally {
                gw.close();
            }
        }
    }
}
