package org.minimeter.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.SimulatedMeter;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/**
 * A meter that has not metered a window yet (built, not hosted), on a registry of its own:
 * what it does not know is NaN, not a made-up 0, and the output is still valid for
 * Prometheus.
 */
class GatewayMetricsBeforeFirstWindowTest {

    @TempDir
    Path storage;

    private MeterRuntime meter;
    private PrometheusMeterRegistry registry;
    /** Micrometer holds the series' state weakly: the test keeps it. */
    private List<GatewayMetrics.MeterRef> refs;

    @BeforeEach
    void freshMeterOnItsOwnRegistry() {
        meter = SimulatedMeter.build("fresh", SimulatorSettings.builder(50, 2, 100).build(), storage);
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        refs = GatewayMetrics.bind(registry, List.of(meter), Optional.empty());
    }

    @AfterEach
    void release() {
        registry.close();
        SimulatedMeter.release(meter);
    }

    @Test
    void readingsAreNaN_andCountersZero_beforeTheFirstWindow() {
        PrometheusText s = PrometheusText.parse(registry.scrape());
        for (String e : List.of("1", "2")) {
            assertThat(s.value("minimeter_voltage_volts", "meter", "fresh", "element", e)).isNaN();
            assertThat(s.value("minimeter_current_amperes", "meter", "fresh", "element", e)).isNaN();
        }
        for (String e : List.of("1", "2", "total")) {
            assertThat(s.value("minimeter_power_watts", "meter", "fresh", "element", e)).isNaN();
            assertThat(s.value("minimeter_reactive_power_vars", "meter", "fresh", "element", e)).isNaN();
            assertThat(s.value("minimeter_apparent_power_voltamperes", "meter", "fresh", "element", e)).isNaN();
            assertThat(s.value("minimeter_power_factor", "meter", "fresh", "element", e)).isNaN();
            assertThat(s.value("minimeter_energy_delivered_watthours_total", "meter", "fresh", "element", e)).isZero();
            assertThat(s.value("minimeter_energy_received_watthours_total", "meter", "fresh", "element", e)).isZero();
        }
        assertThat(s.value("minimeter_frequency_hertz", "meter", "fresh")).isNaN();
        for (String output : List.of("pulse10", "pulse100", "pulse1000", "counter")) {
            assertThat(s.value("minimeter_pulses_total", "meter", "fresh", "output", output)).isZero();
        }
        assertThat(s.value("minimeter_samples_total", "meter", "fresh")).isZero();
        assertThat(s.value("minimeter_block_processing_seconds_count", "meter", "fresh")).isZero();
        assertThat(s.value("minimeter_register_save_seconds_count", "meter", "fresh")).isZero();
        assertThat(s.value("minimeter_register_save_longest_seconds", "meter", "fresh")).isZero();
        // no publisher given: no gateway-wide series
        assertThat(s.family("minimeter_outbox_depth_messages")).isEmpty();
    }

    @Test
    void promtool_acceptsTheOutputBeforeTheFirstWindow() {
        String text = registry.scrape();
        Promtool.Result result = Promtool.checkMetrics(text);
        assertThat(result.output()).as("promtool check metrics found problems in:\n" + text).isEmpty();
        assertThat(result.exitCode()).isZero();
    }
}
