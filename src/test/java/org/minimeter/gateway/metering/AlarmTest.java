package org.minimeter.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/** Every condition the metering detects, raised with its value and limit, and cleared. */
class AlarmTest {

    private static List<AlarmEvent> raised(MeterRun r, Condition c) {
        return r.alarms.stream().filter(a -> a.condition() == c && a.raised()).toList();
    }

    private static MeterRun run(SimulatorSettings.Builder b, double seconds) {
        return new MeterRun(b.build()).runSeconds(seconds);
    }

    @Test
    void overVoltage_raisedPerElementWithValueAndBandLimit() {
        MeterRun r = run(SimulatorSettings.builder(60, 2, 200).voltage(140).current(5), 1);
        List<AlarmEvent> a = raised(r, Condition.OVER_VOLTAGE);
        assertThat(a).extracting(AlarmEvent::element).containsExactlyInAnyOrder(1, 2);
        assertThat(a.get(0).value()).isCloseTo(140, within(1e-3));
        assertThat(a.get(0).limit()).isEqualTo(132);
        assertThat(raised(r, Condition.UNDER_VOLTAGE)).isEmpty();
    }

    @Test
    void underVoltage_at50HzBelow216() {
        MeterRun r = run(SimulatorSettings.builder(50, 1, 200).voltage(210).current(5), 1);
        assertThat(raised(r, Condition.UNDER_VOLTAGE)).singleElement()
                .satisfies(a -> assertThat(a.limit()).isEqualTo(216));
    }

    @Test
    void supplyInsideTheBand_raisesNothing() {
        MeterRun r = run(SimulatorSettings.builder(60, 2, 200).voltage(131).current(200).realisticFrontEnd(), 2);
        assertThat(r.alarms).isEmpty();
    }

    @Test
    void overCurrent_aboveRatedPlusTenPercent() {
        MeterRun r = run(SimulatorSettings.builder(60, 2, 100).current(115), 1);
        assertThat(raised(r, Condition.OVER_CURRENT)).hasSize(2)
                .allSatisfy(a -> assertThat(a.limit()).isCloseTo(110, within(1e-9)));
        MeterRun ok = run(SimulatorSettings.builder(60, 2, 100).current(109), 1);
        assertThat(raised(ok, Condition.OVER_CURRENT)).isEmpty();
    }

    @Test
    void clipping_whenCurrentPeaksPassTheConverterRange() {
        // 125 % of a 200 A CT peaks at 354 A, above the 333 A the 12-bit front end can read.
        MeterRun r = run(SimulatorSettings.builder(60, 2, 200).current(250).realisticFrontEnd(), 1);
        assertThat(raised(r, Condition.CLIPPING)).hasSize(2);
        MeterRun ok = run(SimulatorSettings.builder(60, 2, 200).current(220).realisticFrontEnd(), 1);
        assertThat(raised(ok, Condition.CLIPPING)).isEmpty();
    }

    @Test
    void ctReversed_afterSustainedNegativePower() {
        MeterRun r = new MeterRun(SimulatorSettings.builder(60, 2, 200).current(20).phaseDeg(180).build(), 2);
        r.runSeconds(1.5);
        assertThat(raised(r, Condition.CT_REVERSED)).isEmpty();
        r.runSeconds(1.5);
        assertThat(raised(r, Condition.CT_REVERSED)).hasSize(2)
                .allSatisfy(a -> assertThat(a.value()).isCloseTo(-2400, within(0.1)));
    }

    @Test
    void ctReversed_disabledWithZeroSeconds() {
        MeterRun r = new MeterRun(SimulatorSettings.builder(60, 2, 200).current(20).phaseDeg(180).build(), 0);
        r.runSeconds(5);
        assertThat(raised(r, Condition.CT_REVERSED)).isEmpty();
    }

    @Test
    void frequencyOffNominal_beyondTolerance() {
        MeterRun r = run(SimulatorSettings.builder(60, 2, 200).lineFrequency(57).current(5), 1);
        assertThat(raised(r, Condition.FREQUENCY_OFF_NOMINAL)).singleElement()
                .satisfies(a -> {
                    assertThat(a.element()).isZero();
                    assertThat(a.value()).isCloseTo(57, within(1e-3));
                    assertThat(a.limit()).isCloseTo(58.5, within(1e-9));
                });
        assertThat(raised(run(SimulatorSettings.builder(60, 2, 200).lineFrequency(59.93).current(5), 1),
                Condition.FREQUENCY_OFF_NOMINAL)).isEmpty();
    }

    @Test
    void deadLine_reportsNoZeroCrossingAndUnderVoltageButKeepsWindowing() {
        MeterRun r = run(SimulatorSettings.builder(60, 2, 200).voltage(0).current(5), 2);
        assertThat(raised(r, Condition.NO_ZERO_CROSSING)).hasSize(1);
        assertThat(raised(r, Condition.UNDER_VOLTAGE)).hasSize(2);
        assertThat(r.measurements).hasSizeGreaterThanOrEqualTo(4);
        assertThat(r.last().synced()).isFalse();
        assertThat(r.last().frequency()).isNaN();
    }

    @Test
    void alarm_clearsAfterOneQuietSecond() {
        MeterRun r = run(SimulatorSettings.builder(60, 1, 200).voltage(140).current(5), 1);
        // The same meter now sees a normal supply: continue the stream from the next index.
        SimulatedSource normal = new SimulatedSource(
                SimulatorSettings.builder(60, 1, 200).voltage(120).current(5).build(), MonotonicClock.SYSTEM);
        normal.skip(8000);
        for (int k = 0; k < 40; k++) {
            normal.fill(r.block);
            r.metrology.process(r.block);
        }
        List<AlarmEvent> ov = r.alarms.stream().filter(a -> a.condition() == Condition.OVER_VOLTAGE).toList();
        assertThat(ov).extracting(AlarmEvent::raised).containsExactly(true, false);
        assertThat(r.metrology.stats().droppedSamples()).isZero();
    }
}
