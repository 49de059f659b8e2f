package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.metering.Measurement;

/**
 * The application on its test configuration (src/test/resources/application.properties):
 * a 2-element 60 Hz meter on the simulator at 20 x real time, 25 A per element, PF 0.866 lag.
 */
@QuarkusTest
class GatewayTest {

    @Inject
    Gateway gateway;

    @Test
    void startsTheConfiguredMeterAndMeasuresTheSimulatedLoad() {
        MeterRuntime meter = gateway.meter("test-meter").orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> meter.latest() != null);
        Measurement m = meter.latest();
        assertThat(m.elements()).hasSize(2);
        assertThat(m.frequency()).isCloseTo(60, within(0.01));
        // 120 V x 25 A x cos 30 deg per element, through the simulated 12-bit front end
        assertThat(m.element(1).power()).isCloseTo(120 * 25 * Math.cos(Math.toRadians(30)), within(5.0));
        assertThat(m.power()).isCloseTo(2 * 120 * 25 * Math.cos(Math.toRadians(30)), within(10.0));
        assertThat(m.element(2).reactive()).isCloseTo(1500, within(5.0));
    }

    @Test
    void registerIsSavedAndPulsesFollowTheDurableRegister() throws Exception {
        MeterRuntime meter = gateway.meter("test-meter").orElseThrow();
        java.util.List<org.minimeter.gateway.outputs.PulseEvent> events =
                new java.util.concurrent.CopyOnWriteArrayList<>();
        meter.addPulseListener(events::add);
        await().atMost(Duration.ofSeconds(20)).until(() -> events.stream().filter(e -> e.output().equals("pulse10"))
                .count() >= 3);
        // one pulse10 event per 10 Wh the durable register gained while we listened
        events.clear();
        var before = meter.durable();
        await().atMost(Duration.ofSeconds(20)).until(() -> meter.durable().generation() >= before.generation() + 3);
        var after = meter.durable();
        long crossed = after.energy().deliveredMicroWh(0) / 10_000_000 - before.energy().deliveredMicroWh(0) / 10_000_000;
        assertThat(crossed).isPositive();
        await().atMost(Duration.ofSeconds(5)).until(() -> events.stream()
                .filter(e -> e.output().equals("pulse10")).count() >= crossed);
        assertThat(after.generation()).isPositive();
        // the register on disk is what the meter calls durable, or newer
        try (var lines = java.nio.file.Files.list(java.nio.file.Path.of("target/gateway-test-data/test-meter"))) {
            assertThat(lines.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("register-"));
        }
    }

    @Test
    void registerGrowsAtTheSimulatedPowerAndSpeed() {
        MeterRuntime meter = gateway.meter("test-meter").orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> meter.energy().committedSamples() > 8000);
        long samples0 = meter.energy().committedSamples();
        long uwh0 = meter.energy().deliveredMicroWh(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> meter.energy().committedSamples() > samples0 + 20 * 8000);
        double seconds = (meter.energy().committedSamples() - samples0) / 8000.0;
        double wh = (meter.energy().deliveredMicroWh(0) - uwh0) / 1e6;
        double expectedWh = 2 * 120 * 25 * Math.cos(Math.toRadians(30)) * seconds / 3600;
        assertThat(wh).isCloseTo(expectedWh, within(expectedWh * 0.005));
        assertThat(meter.energy().receivedMicroWh(0)).isZero();
        assertThat(meter.stats().droppedSamples()).isZero();
        assertThat(meter.loopFailures()).isZero();
    }
}
