package org.minimeter.gateway.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.outputs.PulseEvent;

/** Payloads against SPEC.md section 4, written out by hand. */
class PayloadsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant TS = Instant.parse("2026-11-23T12:34:56.789123Z");

    static JsonNode parse(byte[] b) throws Exception {
        return JSON.readTree(b);
    }

    @Test
    void energy_isTheExactRegisterInKwhWithElements() throws Exception {
        EnergySnapshot e = new EnergySnapshot(new long[] {12_345_615_757_682L, 41_238_176L, 268_422_246L},
                new long[] {1_500_000L, 0, 1_999_999L}, 8000);
        assertThat(parse(Payloads.energy(e, TS))).isEqualTo(JSON.readTree("""
                {"ts":"2026-11-23T12:34:56.789Z","delivered_kwh":12345.615757,"received_kwh":0.001500,
                 "elements":[{"delivered_kwh":0.041238,"received_kwh":0.000000},
                             {"delivered_kwh":0.268422,"received_kwh":0.001999}]}"""));
    }

    @Test
    void energy_isTruncatedNeverRoundedUp_soAPublishedValueIsNeverAheadOfTheRegister() throws Exception {
        EnergySnapshot e = new EnergySnapshot(new long[] {999_999, 999_999}, new long[] {0, 0}, 1);
        assertThat(parse(Payloads.energy(e, TS)).get("delivered_kwh").decimalValue()).isEqualByComparingTo("0.000999");
    }

    @Test
    void power_hasTotalsAndElementsWithUnitsInTheKeys() throws Exception {
        ElementReading r = new ElementReading(120.004, 12.3456, 1400.04, -700.06, 1481.4, 700.0, 0.945074,
                Set.of());
        Measurement m = new Measurement(0, 0.2, 59.9912, true, List.of(r, r), 2800.08, -1400.12, 2962.8, 0.945074,
                EnumSet.noneOf(Condition.class), EnergySnapshot.zero(2));
        assertThat(parse(Payloads.power(m, TS))).isEqualTo(JSON.readTree("""
                {"ts":"2026-11-23T12:34:56.789Z","power_w":2800.1,"reactive_var":-1400.1,"apparent_va":2962.8,
                 "pf":0.9451,"frequency_hz":59.991,
                 "elements":[{"voltage_v":120.00,"current_a":12.346,"power_w":1400.0,"reactive_var":-700.1,
                              "apparent_va":1481.4,"pf":0.9451},
                             {"voltage_v":120.00,"current_a":12.346,"power_w":1400.0,"reactive_var":-700.1,
                              "apparent_va":1481.4,"pf":0.9451}]}"""));
    }

    @Test
    void power_withoutFrequency_saysNull() throws Exception {
        ElementReading r = new ElementReading(0, 0, 0, 0, 0, 0, 0, Set.of());
        Measurement m = new Measurement(0, 0.4, Double.NaN, false, List.of(r), 0, 0, 0, 0, Set.of(),
                EnergySnapshot.zero(1));
        assertThat(parse(Payloads.power(m, TS)).get("frequency_hz").isNull()).isTrue();
    }

    @Test
    void pulse_isOutputWhSeqTs() throws Exception {
        assertThat(parse(Payloads.pulse(new PulseEvent("pulse100", 100, 42, TS)))).isEqualTo(JSON.readTree(
                "{\"ts\":\"2026-11-23T12:34:56.789Z\",\"output\":\"pulse100\",\"wh\":100,\"seq\":42}"));
    }

    @Test
    void alarm_perElementWithValueAndLimit_andMeterLevelWithout() throws Exception {
        assertThat(parse(Payloads.alarm(new AlarmEvent(Condition.OVER_VOLTAGE, 2, true, 100, 140.0004, 132), TS)))
                .isEqualTo(JSON.readTree("""
                        {"ts":"2026-11-23T12:34:56.789Z","alarm":"over_voltage","state":"raised","element":2,
                         "value":140.000,"limit":132.000}"""));
        assertThat(parse(Payloads.alarm(new AlarmEvent(Condition.SAMPLE_GAP, 0, false, 5, Double.NaN, Double.NaN),
                TS))).isEqualTo(JSON.readTree(
                        "{\"ts\":\"2026-11-23T12:34:56.789Z\",\"alarm\":\"sample_gap\",\"state\":\"cleared\"}"));
    }

    @Test
    void health_saysAlarmWhileAnyIsActive() throws Exception {
        HealthReport h = new HealthReport(TS, 3600.4, 8000, 18000, 0, 1, 0, 2, "5", 0, 0,
                Instant.parse("2026-11-23T12:34:56Z"), 3600, List.of("over_voltage:L1"));
        JsonNode j = parse(Payloads.health(h));
        assertThat(j.get("status").asText()).isEqualTo("alarm");
        assertThat(j.get("uptime_s").asLong()).isEqualTo(3600);
        assertThat(j.get("reconnects").asLong()).isEqualTo(2);
        assertThat(j.get("last_register_save").asText()).isEqualTo("2026-11-23T12:34:56Z");
        assertThat(j.get("active_alarms").get(0).asText()).isEqualTo("over_voltage:L1");
        assertThat(parse(Payloads.health(new HealthReport(TS, 1, 8000, 1, 0, 0, 0, 0, "3.1.1", 0, 0, TS, 1,
                List.of()))).get("status").asText()).isEqualTo("ok");
    }
}
