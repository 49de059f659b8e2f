package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.PackagedGateway;
import org.minimeter.gateway.mqtt.testing.Mosquitto;
import org.minimeter.gateway.sparkplug.SparkplugSub;
import org.minimeter.gateway.sparkplug.SparkplugWire;

/**
 * The packaged gateway with {@code sparkplug.enabled=true}, run as a user runs it, against a real
 * Mosquitto, observed by {@code mosquitto_sub} and decoded independently of Tahu: the birth
 * sequence, a meter whose front end is unplugged (DDEATH) and plugged back (DBIRTH), kill -9 (the
 * broker publishes the NDEATH will with the session's bdSeq) and a restart whose NBIRTH takes the
 * next bdSeq from disk, energy that never goes down across all of it, and the NDEATH of a clean
 * stop. Sections are those of Sparkplug 3.0.0.
 */
class SparkplugIT {

    static final Duration T = Duration.ofSeconds(40);

    @TempDir
    Path work;

    private void writeConfig(Mosquitto broker, Path fault) throws IOException {
        PackagedGateway.writeConfig(work,
                "gateway.id=gw-sp",
                "mqtt.host=" + broker.host(),
                "mqtt.port=" + broker.port(),
                "storage.dir=" + work.resolve("data"), "quarkus.http.port=0",
                "simulator.speed=20",
                "meters.a.simulator.current=30",
                "meters.b.simulator.current=10",
                "meters.b.simulator.fault-file=" + fault,
                "sparkplug.enabled=true",
                "sparkplug.group-id=plant",
                "sparkplug.scan-interval=500ms");
    }

    static boolean is(SparkplugSub.Message m, String type, String device) {
        return m.type().equals(type) && m.device().equals(device);
    }

    @Test
    void gateway_birthsDeviceDeathAndReturn_kill9WillAndNextBdSeq_energyNeverDown() throws Exception {
        Path fault = work.resolve("b.unplugged");
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                SparkplugSub sub = SparkplugSub.start(broker.clientOptions(), "spBv1.0/#")) {
            writeConfig(broker, fault);
            Process gw = PackagedGateway.start(work);
            long bdSeq;
            try {
                SparkplugSub.Message nbirth = sub.awaitOne(m -> m.type().equals("NBIRTH"), T);
                assertThat(nbirth.topic()).isEqualTo("spBv1.0/plant/NBIRTH/gw-sp");
                bdSeq = nbirth.decoded().metric("bdSeq").asLong();
                assertThat(bdSeq).as("a new edge node's first CONNECT").isZero();
                SparkplugSub.Message birthA = sub.awaitOne(m -> is(m, "DBIRTH", "a"), T);
                sub.awaitOne(m -> is(m, "DBIRTH", "b"), T);
                SparkplugWire.Payload a = birthA.decoded();
                assertThat(a.metric("L1/Voltage").asDouble()).isBetween(119.0, 121.0);
                assertThat(a.metric("Energy/Delivered").properties()).containsEntry("engUnit", "kWh");
                sub.await(m -> is(m, "DDATA", "a"), 2, T);

                // unplug b's front end: its source fails, b alone dies (5.7 [operational-behavior-device-ddeath])
                Files.createFile(fault);
                SparkplugSub.Message death = sub.awaitOne(m -> is(m, "DDEATH", "b"), T);
                int at = sub.messages().indexOf(death);
                sub.await(m -> is(m, "DDATA", "a") && sub.messages().indexOf(m) > at, 2, T);
                Files.delete(fault);
                SparkplugSub.Message back = sub.awaitOne(m -> is(m, "DBIRTH", "b") && sub.messages().indexOf(m) > at, T);
                assertThat(back.decoded().metric("Source/State").value()).isEqualTo("running");

                // kill -9: the broker publishes the will, the NDEATH of this session's bdSeq (6.4.25)
                PackagedGateway.kill(gw);
                SparkplugSub.Message will = sub.awaitOne(m -> m.type().equals("NDEATH"), T);
                assertThat(will.decoded().metric("bdSeq").asLong()).isEqualTo(bdSeq);
                assertThat(will.decoded().seq()).isNull();
                assertThat(will.qos()).isEqualTo(1);

                gw = PackagedGateway.start(work);
                List<SparkplugSub.Message> births = sub.await(m -> m.type().equals("NBIRTH"), 2, T);
                // 4.2.1.1.2 [topics-nbirth-bdseq-increment]: the next CONNECT's bdSeq, read back from disk
                assertThat(births.get(1).decoded().metric("bdSeq").asLong()).isEqualTo((bdSeq + 1) % 256);
                int restart = sub.messages().indexOf(births.get(1));
                sub.await(m -> is(m, "DDATA", "a") && sub.messages().indexOf(m) > restart, 2, T);
            } finally {
                PackagedGateway.stop(gw);
            }
            // 5.5 [operational-behavior-edge-node-intentional-disconnect-ndeath]
            List<SparkplugSub.Message> deaths = sub.await(m -> m.type().equals("NDEATH"), 2, T);
            assertThat(deaths.get(1).decoded().metric("bdSeq").asLong()).isEqualTo((bdSeq + 1) % 256);

            assertThat(PackagedGateway.log(work)).contains("Sparkplug: edge node plant/gw-sp online").doesNotContain("Exception");

            // a's energy, live values in arrival order: never down, across the unplugging, the kill and the restart
            List<Double> energy = new ArrayList<>();
            for (SparkplugSub.Message m : sub.messages()) {
                if (!m.device().equals("a")) {
                    continue;
                }
                SparkplugWire.Payload p = m.decoded();
                if (m.type().equals("DBIRTH")) {
                    energy.add(p.metric("Energy/Delivered").asDouble());
                } else if (m.type().equals("DDATA")) {
                    p.metrics().stream().filter(x -> x.alias() == 1000 && !x.historical()).findFirst()
                            .ifPresent(x -> energy.add(x.asDouble()));
                }
            }
            assertThat(energy).hasSizeGreaterThan(4).isSorted();
        }
    }
}
