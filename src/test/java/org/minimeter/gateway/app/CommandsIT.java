package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.PackagedGateway;
import org.minimeter.gateway.mqtt.testing.Mosquitto;
import org.minimeter.gateway.mqtt.testing.MosquittoSub;

/**
 * The packaged gateway's command-line modes as an installer runs them: calibrate a meter
 * against reference values, then start the gateway and read the calibrated values over
 * MQTT; fix a CT wired backwards by configuration; capture a meter's front end (the simulator
 * and an MCP3208 on Pi4J's mock SPI) to WAV.
 */
class CommandsIT {

    static final Duration T = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private void writeConfig(String... lines) throws IOException {
        List<String> all = new ArrayList<>(List.of("storage.dir=" + work.resolve("data"), "quarkus.http.port=0", "mqtt.power-interval=1s"));
        all.addAll(List.of(lines));
        PackagedGateway.writeConfig(work, all);
    }

    record Run(int exit, String output) {
    }

    private Run command(String... args) throws Exception {
        Process p = PackagedGateway.command(work, args).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), output);
    }

    private static void stop(Process gw) throws InterruptedException {
        assertThat(PackagedGateway.stop(gw)).as("stopped cleanly").isTrue();
    }

    /** Element 1 of the newest power message of {@code meter}. */
    private static JsonNode element1(MosquittoSub sub, String meter) throws IOException {
        List<String> p = sub.payloads("minimeter/" + meter + "/power");
        return JSON.readTree(p.get(p.size() - 1)).get("elements").get(0);
    }

    @Test
    void calibrate_thenTheGatewayReadsLikeTheReference_andAStraySignIsFixedByConfiguration() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/#")) {
            // The simulated line is 120 V, 50 A at PF 0.5; the reference meter on the same circuit
            // reads 1 % more voltage and 2 % less current, as if the board's divider and burden
            // were off by that much.
            writeConfig("mqtt.host=" + broker.host(), "mqtt.port=" + broker.port(), "meters.panel.elements=1",
                    "meters.panel.simulator.speed=20", "meters.panel.simulator.voltage=120",
                    "meters.panel.simulator.current=50", "meters.panel.simulator.phase-deg=60");
            double v = 121.2;
            double i = 49;
            double p = v * i * 0.5;

            Run refused = command("calibrate", "--meter", "panel", "--voltage", "121.2", "--current", "lots");
            assertThat(refused.exit()).as(refused.output()).isEqualTo(2);
            assertThat(refused.output()).contains("--current must be a number, was 'lots'")
                    .doesNotContain("\tat ");
            Run unknown = command("calibrate", "--meter", "attic", "--voltage", "121.2", "--current", "49");
            assertThat(unknown.exit()).isEqualTo(2);
            assertThat(unknown.output()).contains("--meter attic is not configured: one of panel");

            Run cal = command("calibrate", "--meter", "panel", "--seconds", "10", "--voltage", "121.2", "--current",
                    "49", "--power", String.valueOf(p));
            assertThat(cal.exit()).as(cal.output()).isZero();
            assertThat(cal.output()).containsPattern("voltage V +121\\.2000 +120\\.0\\d+ +-0\\.99\\d%")
                    .containsPattern("current A +49\\.0000 +50\\.0\\d+ +\\+2\\.04\\d%")
                    .contains("stored in ");
            Path dir = work.resolve("data/panel");
            assertThat(Files.readString(dir.resolve("calibration.properties"))).contains("e1.voltage-factor=1.00");
            assertThat(Files.readString(dir.resolve("audit.log"))).contains("calibration of element 1 against V 121.2");

            Process gw = PackagedGateway.start(work);
            try {
                sub.awaitCount("minimeter/panel/power", 3, T);
                JsonNode e1 = element1(sub, "panel");
                assertThat(e1.get("voltage_v").asDouble()).isCloseTo(v, org.assertj.core.data.Offset.offset(0.1));
                assertThat(e1.get("current_a").asDouble()).isCloseTo(i, org.assertj.core.data.Offset.offset(0.05));
                assertThat(e1.get("power_w").asDouble()).isCloseTo(p, org.assertj.core.data.Offset.offset(p * 0.002));

                // while the gateway runs the meter is locked: the command refuses, the meter is untouched
                Run busy = command("calibrate", "--meter", "panel", "--voltage", "121.2", "--current", "49");
                assertThat(busy.exit()).isEqualTo(1);
                assertThat(busy.output()).contains("in use by another gateway process", "stop the gateway");
            } finally {
                stop(gw);
            }
            assertThat(PackagedGateway.log(work)).contains("Meter panel: calibration of")
                    .doesNotContain("\tat ");

            // The CT turns out clamped the wrong way round on a circuit that really imports:
            // simulate it with an exporting line, then fix it by configuration.
            Files.writeString(work.resolve("config/application.properties"),
                    "meters.panel.simulator.phase-deg=240\nmeters.panel.invert=i1\n", StandardOpenOption.APPEND);
            sub.clear();
            gw = PackagedGateway.start(work, "gateway2.log");
            try {
                sub.awaitCount("minimeter/panel/power", 3, T);
                // 240 degrees is export at PF 0.5; with i1 inverted the meter reads import
                assertThat(element1(sub, "panel").get("power_w").asDouble()).isCloseTo(p,
                        org.assertj.core.data.Offset.offset(p * 0.002));
            } finally {
                stop(gw);
            }
            assertThat(Files.readString(dir.resolve("audit.log")))
                    .contains("channel sign by configuration (invert): inverted none -> i1");
            assertThat(Files.readString(dir.resolve("calibration.properties"))).contains("inverted=i1");
        }
    }

    @Test
    void capture_recordsTheSimulatorAndAnSpiFrontEnd_andRefusesAMissingFile() throws Exception {
        writeConfig("hal.spi.provider=mock", "hal.gpio.provider=simulated",
                "meters.sim.elements=1", "meters.sim.simulator.current=20", "meters.adc.source=mcp3208");
        Run sim = command("capture", "--meter", "sim", "--seconds", "2", "--out", "sim.wav");
        assertThat(sim.exit()).as(sim.output()).isZero();
        assertThat(sim.output()).contains("captured");
        // 2 s at 8000 samples/s, 2 channels of 32-bit float, plus the header
        assertThat(Files.size(work.resolve("sim.wav"))).isGreaterThan(2 * 8000 * 2 * 4);

        Run adc = command("capture", "--meter", "adc", "--seconds", "1", "--out", "adc.wav");
        assertThat(adc.exit()).as(adc.output()).isZero();
        assertThat(adc.output()).contains("captured");
        assertThat(Files.size(work.resolve("adc.wav"))).isGreaterThan(8000 * 4 * 4 / 2);

        Run none = command("capture", "--meter", "sim", "--out", "");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.output()).contains("--out FILE.wav is required");
    }
}
