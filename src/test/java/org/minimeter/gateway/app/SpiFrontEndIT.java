package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.PackagedGateway;
import org.minimeter.gateway.mqtt.testing.Mosquitto;
import org.minimeter.gateway.mqtt.testing.MosquittoSub;

/**
 * The packaged gateway with SPI front ends selected by {@code source=}, as a user runs it
 * (by {@link PackagedGateway}): through Pi4J's mock SPI provider a chip that does
 * not answer its set-up stops start-up naming the step, a sampling ADC runs and stops cleanly,
 * and on this machine (no {@code /dev/spidev0.0}) the linuxfs provider stops start-up naming
 * the device and the fix.
 */
class SpiFrontEndIT {

    static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path work;

    private void writeConfig(Mosquitto broker, String... lines) throws IOException {
        List<String> all = new java.util.ArrayList<>(List.of(
                "gateway.id=gw-spi",
                "mqtt.host=" + broker.host(),
                "mqtt.port=" + broker.port(),
                "mqtt.energy-interval=1s",
                "mqtt.health-interval=1s",
                "storage.dir=" + work.resolve("data"), "quarkus.http.port=0"));
        all.addAll(List.of(lines));
        PackagedGateway.writeConfig(work, all);
    }

    @Test
    void ads131m04_onTheMockSpi_stopsStartUpNamingTheSetUpStep() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start()) {
            // the mock SPI answers zeros: the chip never acknowledges its set-up
            writeConfig(broker, "hal.spi.provider=mock", "hal.gpio.provider=mock", "meters.panel.source=ads131m04",
                    "meters.panel.ads131m04.drdy-pin=25");
            String log = PackagedGateway.refusedStartUp(work);
            assertThat(log).contains("meter panel (source=ads131m04): ADS131M04 on mock spidev0.0 mode 1",
                    "set-up step RESET: the answer failed its CRC (output CRC 0000, computed 4EC3)",
                    "check wiring, SPI mode 1 and that CLKIN is running");
            // nothing was created for a meter that never started
            assertThat(work.resolve("data/panel")).doesNotExist();
        }
    }

    @Test
    void mcp3208_onTheMockSpi_runsAndStopsCleanly() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/#")) {
            writeConfig(broker, "hal.spi.provider=mock", "hal.gpio.provider=simulated", "meters.panel.source=mcp3208",
                    "meters.panel.spi.chip-select=1", "meters.panel.frontend.channels=4,5,6,7",
                    "meters.shop.source=mcp3008", "meters.shop.elements=1");
            Process gw = PackagedGateway.start(work);
            try {
                sub.awaitMessage("minimeter/gw-spi/status", m -> m.payload().equals("online"), T);
                // the meters run: their health is published every second
                sub.awaitCount("minimeter/panel/health", 2, T);
                sub.awaitCount("minimeter/shop/health", 2, T);
            } finally {
                assertThat(PackagedGateway.stop(gw)).as("stopped cleanly").isTrue();
            }
            String log = PackagedGateway.log(work);
            assertThat(log).contains("SPI: Pi4J mock SPI provider",
                    "MCP3208_12BIT on mock spidev0.1 mode 0 at 1 MHz", "MCP3008_10BIT on mock spidev0.0 mode 0",
                    "Meter panel: 2 element(s)", "from the mcp3208 source",
                    "Meter panel stopped; register saved", "Meter shop stopped; register saved")
                    // the mock answers zeros: a stuck, clipped channel, never energy
                    .containsPattern("Meter panel stopped; register saved as generation \\d+: delivered 0.000000 kWh")
                    .containsPattern("Meter shop stopped; register saved as generation \\d+: delivered 0.000000 kWh")
                    .doesNotContain("Exception", "\tat ");
            assertThat(work.resolve("data/panel")).isDirectory();
        }
    }

    @Test
    void atm90e32_onTheMockSpi_isPolledOnceASecondAlarmsTheDeadLineAndStopsCleanly() throws Exception {
        try (Mosquitto broker = Mosquitto.builder().anonymous().start();
                MosquittoSub sub = MosquittoSub.start(broker.clientOptions(), "minimeter/#")) {
            // the mock's registers read back what was last written and zeros otherwise: a chip
            // measuring a dead line
            writeConfig(broker, "hal.spi.provider=mock", "hal.gpio.provider=simulated", "meters.ic.source=atm90e32");
            Process gw = PackagedGateway.start(work);
            try {
                sub.awaitMessage("minimeter/gw-spi/status", m -> m.payload().equals("online"), T);
                // polled once a second: one window per poll
                sub.awaitMessage("minimeter/ic/health", m -> m.payload().contains("\"windows\":3,"), T);
                sub.awaitMessage("minimeter/ic/alarm", m -> m.payload().contains("under_voltage")
                        && m.payload().contains("raised"), T);
            } finally {
                assertThat(PackagedGateway.stop(gw)).as("stopped cleanly").isTrue();
            }
            String log = PackagedGateway.log(work);
            assertThat(log).contains("from the atm90e32 source", "atm90e32.ugain=7305,7305 atm90e32.igain=27961,27961")
                    .containsPattern("Meter ic stopped; register saved as generation \\d+: delivered 0.000000 kWh")
                    .doesNotContain("Exception", "\tat ");
        }
    }

    @Test
    void mcp3208_onLinuxfsWithoutSpidev_stopsStartUpNamingTheDeviceAndTheFix() throws Exception {
        assertThat(Path.of("/dev/spidev0.0")).as("this test needs a machine without SPI").doesNotExist();
        try (Mosquitto broker = Mosquitto.builder().anonymous().start()) {
            writeConfig(broker, "hal.spi.provider=linuxfs", "hal.source=mcp3208");
            String log = PackagedGateway.refusedStartUp(work);
            assertThat(log).contains("/dev/spidev0.0", "dtparam=spi=on");
            assertThat(work.resolve("data/minimeter-1")).doesNotExist();
        }
    }
}
