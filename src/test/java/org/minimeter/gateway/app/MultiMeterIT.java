package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.PackagedGateway;
import org.minimeter.gateway.mqtt.testing.Mosquitto;
import org.minimeter.gateway.mqtt.testing.MosquittoSub;

/**
 * The packaged gateway ({@code target/quarkus-app/quarkus-run.jar}, run as a user runs it,
 * from a directory holding {@code config/application.properties}) with three meters of
 * different configurations, against a real Mosquitto, checked by {@code mosquitto_sub}:
 * per-meter topics and device discovery, one meter's source failing and coming back while
 * the others stay available, and kill -9 and restart with every meter's register monotonic
 * and no pulse seq skipped, per meter. Runs in {@code mvn verify} after packaging.
 */
class MultiMeterIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration T = Duration.ofSeconds(30);
    static final List<String> METERS = List.of("house-a", "house-b", "shop");

    @TempDir
    Path work;

    static JsonNode json(MosquittoSub.Message m) {
        try {
            return JSON.readTree(m.payload());
        } catch (IOException e) {
            throw new AssertionError("not JSON on " + m.topic() + ": " + m.payload(), e);
        }
    }

    private void writeConfig(Mosquitto broker, Path fault) throws IOException {
        PackagedGateway.writeConfig(work,
                "gateway.id=gw-test",
                "mqtt.host=" + broker.host(),
                "mqtt.port=" + broker.port(),
                "mqtt.energy-interval=1s",
                "mqtt.health-interval=2s",
                "storage.dir=" + work.resolve("data"), "quarkus.http.port=0",
                "hal.gpio.provider=simulated",
                "simulator.speed=20",
                // a household on a 200 A service, with pulse outputs and counter on GPIO
                "meters.house-a.simulator.current=40",
                "meters.house-a.gpio.pulse10=17",
                "meters.house-a.gpio.pulse100=27",
                "meters.house-a.gpio.pulse1000=22",
                "meters.house-a.gpio.counter=23",
                // a second household at a lagging power factor, whose source the test unplugs
                "meters.house-b.simulator.current=25",
                "meters.house-b.simulator.phase-deg=30",
                "meters.house-b.simulator.seed=2",
                "meters.house-b.simulator.fault-file=" + fault,
                // a single-element 50 Hz 240 V meter on a 100 A CT
                "meters.shop.frequency=50",
                "meters.shop.elements=1",
                "meters.shop.ct-rating=100",
                "meters.shop.simulator.current=20");
    }

    @Test
    void threeMeters_topicsDiscoveryAvailability_andKill9RestartKeepsEveryRegisterAndPulseSeq() throws Exception {
        Path fault = work.resolve("house-b.unplugged");
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/#", "homeassistant/#")) {
            writeConfig(broker, fault);
            Process gw = PackagedGateway.start(work);
            try {
                sub.awaitMessage("minimeter/gw-test/status", m -> m.payload().equals("online"), T);
                for (String id : METERS) {
                    sub.awaitMessage("minimeter/" + id + "/status", m -> m.payload().equals("online"), T);
                    sub.awaitCount("minimeter/" + id + "/energy", 2, T);
                    sub.awaitCount("minimeter/" + id + "/power", 2, T);
                    sub.awaitCount("minimeter/" + id + "/pulse", 1, T);
                    JsonNode device = json(sub.awaitMessage("homeassistant/device/" + id + "/config",
                            m -> !m.payload().isEmpty(), T));
                    assertThat(device.get("dev").get("identifiers").toString()).contains("minimeter_" + id);
                    assertThat(device.toString()).contains("minimeter/gw-test/status", "minimeter/" + id + "/status");
                }
                JsonNode shopPower = json(sub.awaitMessage("minimeter/shop/power", m -> true, T));
                assertThat(shopPower.get("elements")).hasSize(1);
                assertThat(shopPower.get("frequency_hz").asDouble()).isBetween(49.9, 50.1);
                assertThat(shopPower.get("power_w").asDouble()).isBetween(240 * 20 * 0.99, 240 * 20 * 1.01);
                JsonNode bPower = json(sub.awaitMessage("minimeter/house-b/power", m -> true, T));
                assertThat(bPower.get("pf").asDouble()).isBetween(0.86, 0.87);

                // unplug house-b's front end: it alone goes unavailable, with its alarm
                Files.createFile(fault);
                sub.awaitMessage("minimeter/house-b/status", m -> m.payload().equals("offline"), T);
                sub.awaitMessage("minimeter/house-b/alarm", m -> json(m).get("alarm").asText().equals("source_failed")
                        && json(m).get("state").asText().equals("raised"), T);
                Instant since = Instant.now();
                for (String id : List.of("house-a", "shop")) {
                    for (int k = 0; k < 2; k++) {
                        int n = k;
                        sub.awaitMessage("minimeter/" + id + "/power", m -> m.receivedAt().isAfter(since.plusSeconds(n)), T);
                    }
                }
                assertThat(sub.messages("minimeter/+/status")).filteredOn(m -> m.receivedAt().isAfter(since))
                        .noneMatch(m -> m.payload().equals("offline"));
                assertThat(sub.messages("minimeter/house-b/power"))
                        .noneMatch(m -> m.receivedAt().isAfter(since.plusSeconds(1)));
                Files.delete(fault);
                sub.awaitMessage("minimeter/house-b/status", m -> m.payload().equals("online"), T);
                sub.awaitCount("minimeter/house-b/power", 1, T);

                // kill -9: the broker's will speaks for the gateway; the restart resumes every register
                PackagedGateway.kill(gw);
                Instant killed = Instant.now();
                sub.awaitMessage("minimeter/gw-test/status", m -> m.payload().equals("offline"), T);
                gw = PackagedGateway.start(work);
                sub.awaitMessage("minimeter/gw-test/status",
                        m -> m.payload().equals("online") && m.receivedAt().isAfter(killed), T);
                for (String id : METERS) {
                    sub.awaitMessage("minimeter/" + id + "/energy", m -> m.receivedAt().isAfter(killed), T);
                    sub.awaitMessage("minimeter/" + id + "/pulse", m -> m.receivedAt().isAfter(killed), T);
                }
            } finally {
                PackagedGateway.stop(gw);
            }
            assertThat(PackagedGateway.log(work)).doesNotContain("Exception");

            for (String id : METERS) {
                // energy never goes down, across the kill and the restart
                List<Double> delivered = new ArrayList<>();
                for (MosquittoSub.Message m : sub.messages("minimeter/" + id + "/energy")) {
                    delivered.add(json(m).get("delivered_kwh").asDouble());
                }
                assertThat(delivered).as(id + " energy").isSorted().isNotEmpty();
                // every pulse seq per output from the first seen to the last, none skipped
                Map<String, TreeSet<Long>> seqs = new TreeMap<>();
                for (MosquittoSub.Message m : sub.messages("minimeter/" + id + "/pulse")) {
                    JsonNode p = json(m);
                    seqs.computeIfAbsent(p.get("output").asText(), k -> new TreeSet<>()).add(p.get("seq").asLong());
                }
                assertThat(seqs).as(id + " pulse outputs").containsKey("pulse10");
                seqs.forEach((output, s) -> assertThat(s.last() - s.first() + 1).as(id + " " + output + " seqs " + s)
                        .isEqualTo(s.size()));
                assertThat(seqs.get("pulse10").first()).as(id + " first pulse10").isEqualTo(1);
            }
            // a clean stop leaves every meter and the gateway offline, retained
            List<MosquittoSub.Message> retained = MosquittoSub.fetchRetained(broker.clientOptions(),
                    "minimeter/+/status", Duration.ofSeconds(3));
            assertThat(retained).hasSize(4).allSatisfy(m -> assertThat(m.payload()).isEqualTo("offline"));
        }
    }

    @Test
    void aBadValue_stopsStartUpWithOnlyItsMessage_andLeavesNothingLocked() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start()) {
            writeConfig(broker, work.resolve("never"));
            Files.writeString(work.resolve("config/application.properties"),
                    "meters.shop.frequency=55\nmeters.house-b.gpio.pulse10=17\n", StandardOpenOption.APPEND);
            String log = PackagedGateway.refusedStartUp(work);
            assertThat(log).contains("meters.shop.frequency=55 is not allowed: allowed 50 or 60")
                    .contains("meters.house-b.gpio.pulse10").doesNotContain("Exception");
            assertThat(work.resolve("data")).doesNotExist();
        }
    }

    @Test
    void aReplayedRecording_isMeteredToItsEnergy_thenEndsKeepingTheRegister() throws Exception {
        // 20 s of 120 V, 10 A at PF 0.866 lag, 60 Hz, 8 kHz, one element: 1039.23 W, 5.7735 Wh
        Path csv = work.resolve("recording.csv");
        StringBuilder b = new StringBuilder("# a field capture, 8 kHz\n# rate=8000\nv1,i1\n");
        double w = 2 * Math.PI * 60 / 8000;
        for (int n = 0; n < 20 * 8000; n++) {
            b.append(String.format(java.util.Locale.ROOT, "%.6f,%.6f%n", 120 * Math.sqrt(2) * Math.sin(w * n),
                    10 * Math.sqrt(2) * Math.sin(w * n - Math.toRadians(30))));
        }
        Files.writeString(csv, b);
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/#")) {
            PackagedGateway.writeConfig(work,
                    "mqtt.host=" + broker.host(), "mqtt.port=" + broker.port(), "mqtt.energy-interval=1s",
                    "storage.dir=" + work.resolve("data"), "quarkus.http.port=0", "hal.gpio.provider=simulated",
                    "meters.field.source=replay", "meters.field.elements=1", "meters.field.replay.file=" + csv,
                    "meters.field.replay.speed=10");
            Process gw = PackagedGateway.start(work);
            try {
                sub.awaitMessage("minimeter/field/alarm", m -> json(m).get("alarm").asText().equals("source_ended"), T);
                sub.awaitMessage("minimeter/field/status", m -> m.payload().equals("offline"), T);
                JsonNode power = json(sub.awaitMessage("minimeter/field/power", m -> true, T));
                assertThat(power.get("power_w").asDouble()).isBetween(1039.23 * 0.999, 1039.23 * 1.001);
                assertThat(power.get("pf").asDouble()).isBetween(0.865, 0.867);
            } finally {
                PackagedGateway.stop(gw);
            }
            assertThat(PackagedGateway.log(work)).contains("source=replay").doesNotContain("Exception");
            // the clean stop committed the last part-window: the whole recording is in the register
            JsonNode energy = json(MosquittoSub.fetchRetained(broker.clientOptions(), "minimeter/field/energy",
                    Duration.ofSeconds(3)).get(0));
            assertThat(energy.get("delivered_kwh").asDouble() * 1000).isBetween(5.7735 * 0.999, 5.7735 * 1.001);
        }
    }

    @Test
    void aMalformedRecording_stopsStartUpNamingTheFileLineAndReason() throws Exception {
        Path csv = work.resolve("bad.csv");
        Files.writeString(csv, "# rate=8000\nv1,i1\n1.0,2.0\n3.0,oops\n");
        PackagedGateway.writeConfig(work, "mqtt.port=18893",
                "storage.dir=" + work.resolve("data"), "quarkus.http.port=0", "meters.field.source=replay", "meters.field.elements=1",
                "meters.field.replay.file=" + csv);
        assertThat(PackagedGateway.refusedStartUp(work)).contains(csv.toString(), "line 4");
    }
}
