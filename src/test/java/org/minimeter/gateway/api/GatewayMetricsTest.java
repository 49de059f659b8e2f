package org.minimeter.gateway.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.app.Gateway;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.MqttPublisher;
import org.minimeter.gateway.persistence.RegisterState;

/**
 * {@code /q/metrics} of the application on its test configuration
 * (src/test/resources/application.properties): one 2-element 60 Hz meter {@code test-meter} on
 * the simulator at 20 x real time, 120 V and 25 A per element at 30 degrees lag, publishing to
 * the embedded broker. Values are checked against that load, not against the code's own
 * output.
 */
@QuarkusTest
class GatewayMetricsTest {

    private static final String METER = "test-meter";
    private static final double V = 120;
    private static final double I = 25;
    private static final double PF = Math.cos(Math.toRadians(30));

    @Inject
    Gateway gateway;

    private MeterRuntime meter;

    @BeforeEach
    void meterHasMeteredAndSaved() {
        meter = gateway.meter(METER).orElseThrow();
        await().atMost(Duration.ofSeconds(30)).until(() -> meter.latest() != null && meter.saves() > 0);
    }

    /**
     * The Prometheus text format (0.0.4), which promtool reads; without {@code text/plain} in
     * Accept, Quarkus answers in OpenMetrics, which a Prometheus server asks for.
     */
    static String scrapeText() {
        return given().accept("text/plain").when().get("/q/metrics").then().statusCode(200)
                .contentType(startsWith("text/plain; version=0.0.4")).extract().asString();
    }

    static PrometheusText scrape() {
        return PrometheusText.parse(scrapeText());
    }

    @Test
    void readingsPerElement_matchTheSimulatedLoad() {
        PrometheusText s = scrape();
        for (String e : List.of("1", "2")) {
            assertThat(s.value("minimeter_voltage_volts", "meter", METER, "element", e)).isCloseTo(V, within(V * 0.01));
            assertThat(s.value("minimeter_current_amperes", "meter", METER, "element", e))
                    .isCloseTo(I, within(I * 0.01));
            assertThat(s.value("minimeter_power_watts", "meter", METER, "element", e))
                    .isCloseTo(V * I * PF, within(V * I * PF * 0.01));
            assertThat(s.value("minimeter_reactive_power_vars", "meter", METER, "element", e))
                    .isCloseTo(V * I * 0.5, within(V * I * 0.5 * 0.01));
            assertThat(s.value("minimeter_apparent_power_voltamperes", "meter", METER, "element", e))
                    .isCloseTo(V * I, within(V * I * 0.01));
            assertThat(s.value("minimeter_power_factor", "meter", METER, "element", e)).isCloseTo(PF, within(PF * 0.01));
        }
        assertThat(s.value("minimeter_power_watts", "meter", METER, "element", "total"))
                .isCloseTo(2 * V * I * PF, within(2 * V * I * PF * 0.01));
        assertThat(s.value("minimeter_reactive_power_vars", "meter", METER, "element", "total"))
                .isCloseTo(2 * V * I * 0.5, within(V * I * 0.01));
        assertThat(s.value("minimeter_apparent_power_voltamperes", "meter", METER, "element", "total"))
                .isCloseTo(2 * V * I, within(2 * V * I * 0.01));
        assertThat(s.value("minimeter_power_factor", "meter", METER, "element", "total"))
                .isCloseTo(PF, within(PF * 0.01));
        assertThat(s.value("minimeter_frequency_hertz", "meter", METER)).isCloseTo(60, within(0.01));
        assertThat(s.value("minimeter_meter_available", "meter", METER)).isEqualTo(1);
        // exactly the meter's elements, and a total where a total means something
        assertThat(s.family("minimeter_voltage_volts")).hasSize(2);
        assertThat(s.family("minimeter_power_watts")).hasSize(3);
        assertThat(s.types()).containsEntry("minimeter_voltage_volts", "gauge");
    }

    @Test
    void energyCounters_areTheDurableRegister_inWattHours_andGrow() {
        RegisterState before = meter.durable();
        PrometheusText first = scrape();
        RegisterState after = meter.durable();
        for (int slot = 0; slot <= 2; slot++) {
            String element = slot == 0 ? "total" : Integer.toString(slot);
            assertThat(first.value("minimeter_energy_delivered_watthours_total", "meter", METER, "element", element))
                    .isBetween(before.energy().deliveredMicroWh(slot) / 1e6, after.energy().deliveredMicroWh(slot) / 1e6);
            assertThat(first.value("minimeter_energy_received_watthours_total", "meter", METER, "element", element))
                    .isZero();
        }
        assertThat(first.types()).containsEntry("minimeter_energy_delivered_watthours_total", "counter");

        long generation = after.generation();
        await().atMost(Duration.ofSeconds(30)).until(() -> meter.durable().generation() >= generation + 2);
        PrometheusText second = scrape();
        for (String element : List.of("total", "1", "2")) {
            assertThat(second.value("minimeter_energy_delivered_watthours_total", "meter", METER, "element", element))
                    .isGreaterThan(first.value("minimeter_energy_delivered_watthours_total", "meter", METER,
                            "element", element));
        }
    }

    @Test
    void pulseCounters_onePerQuantumDelivered() {
        RegisterState before = meter.durable();
        PrometheusText s = scrape();
        RegisterState after = meter.durable();
        // a register that was never seeded: pulse seq = floor(delivered / quantum)
        for (long wh : new long[] {10, 100, 1000}) {
            assertThat(s.value("minimeter_pulses_total", "meter", METER, "output", "pulse" + wh)).isBetween(
                    (double) (before.energy().deliveredMicroWh(0) / (wh * 1_000_000)),
                    (double) (after.energy().deliveredMicroWh(0) / (wh * 1_000_000)));
        }
        assertThat(s.value("minimeter_pulses_total", "meter", METER, "output", "counter")).isNotNegative();
        assertThat(s.family("minimeter_pulses_total")).hasSize(4);
    }

    @Test
    void healthyMeter_countsNoFaults_andTimesItsWork() {
        long saves = meter.saves();
        long blocks = meter.blocks();
        PrometheusText s = scrape();
        assertThat(s.value("minimeter_samples_dropped_total", "meter", METER)).isZero();
        assertThat(s.value("minimeter_blocks_rejected_total", "meter", METER)).isZero();
        assertThat(s.value("minimeter_loop_failures_total", "meter", METER)).isZero();
        assertThat(s.value("minimeter_front_end_faults_total", "meter", METER)).isZero();
        assertThat(s.value("minimeter_register_save_failures_total", "meter", METER)).isZero();
        assertThat(s.value("minimeter_samples_total", "meter", METER)).isPositive();
        assertThat(s.value("minimeter_register_saves_total", "meter", METER)).isGreaterThanOrEqualTo(saves);
        // every successful save is timed, every metered block is timed
        assertThat(s.value("minimeter_register_save_seconds_count", "meter", METER)).isGreaterThanOrEqualTo(saves);
        assertThat(s.value("minimeter_register_save_seconds_sum", "meter", METER)).isPositive();
        assertThat(s.value("minimeter_register_save_longest_seconds", "meter", METER)).isPositive();
        assertThat(s.value("minimeter_block_processing_seconds_count", "meter", METER))
                .isGreaterThanOrEqualTo(blocks);
        assertThat(s.value("minimeter_block_processing_seconds_sum", "meter", METER)).isPositive();
    }

    @Test
    void outboxAndSession_areShown_andPublishLatencyCountsAcknowledgedMessages() {
        MqttPublisher publisher = gateway.publisher().orElseThrow();
        await().atMost(Duration.ofSeconds(30)).until(() -> publisher.connected()
                && publisher.publishLatency().count() > 0);
        PrometheusText s = scrape();
        assertThat(s.value("minimeter_mqtt_connected")).isEqualTo(1);
        assertThat(s.value("minimeter_mqtt_reconnects_total")).isZero();
        assertThat(s.value("minimeter_outbox_dropped_messages_total")).isZero();
        assertThat(s.value("minimeter_outbox_depth_messages")).isNotNegative();
        assertThat(s.value("minimeter_outbox_size_bytes")).isNotNegative();
        assertThat(s.value("minimeter_mqtt_publish_latency_seconds_count")).isPositive();
        assertThat(s.value("minimeter_mqtt_publish_latency_seconds_sum")).isPositive();
    }

    @Test
    void promtool_acceptsTheWholeScrape() {
        String text = scrapeText();
        Promtool.Result result = Promtool.checkMetrics(text);
        assertThat(result.output()).as("promtool check metrics found problems in:\n" + text).isEmpty();
        assertThat(result.exitCode()).isZero();
    }
}
