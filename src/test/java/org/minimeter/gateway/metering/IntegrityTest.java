package org.minimeter.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/** Gaps, bad blocks and the register's integer-plus-carry arithmetic. */
class IntegrityTest {

    private static SimulatorSettings steady() {
        return SimulatorSettings.builder(60, 2, 200).current(50).phaseDeg(30).build();
    }

    @Test
    void aStuckDcInput_stoppedBeforeAnyWindow_commitsNoEnergy() {
        // a front end whose channels all read one code (nothing on MISO, a dead ADC) until stop
        MeterRun r = new MeterRun(steady());
        long index = 0;
        for (int b = 0; b < 6; b++) {
            int n = Math.min(r.block.capacity(), 400);
            r.block.set(index, n, r.spec.sampleRate());
            for (int e = 0; e < 2; e++) {
                double gv = r.spec.calibration().get(e).voltage().gain();
                double gi = r.spec.calibration().get(e).current().gain();
                java.util.Arrays.fill(r.block.voltage(e), 0, n, -100 / gv);
                java.util.Arrays.fill(r.block.current(e), 0, n, -100 / gi);
            }
            r.metrology.process(r.block);
            index += n;
        }
        r.metrology.flush();
        assertThat(r.register.committedSamples()).isEqualTo(index);
        // 100 V DC x 100 A DC on two elements for 0.3 s would be 1.7 Wh: none of it is energy
        assertThat(r.register.deliveredWh(0)).isZero();
        assertThat(r.register.receivedWh(0)).isZero();
    }

    @Test
    void sampleGap_isCountedAlarmedAndEnergyOfPresentSamplesIsExact() {
        MeterRun r = new MeterRun(steady());
        r.runSeconds(2);
        r.source.skip(1234);
        r.runSeconds(3);
        assertThat(r.metrology.stats().droppedSamples()).isEqualTo(1234);
        assertThat(r.alarms).anyMatch(a -> a.condition() == Condition.SAMPLE_GAP && a.raised());
        assertThat(r.alarms).anyMatch(a -> a.condition() == Condition.SAMPLE_GAP && !a.raised());
        // 5 s of samples arrived; the register holds them up to the last closed window, and
        // holds nothing for the gap.
        assertThat(r.metrology.stats().samples()).isEqualTo(5 * 8000L);
        assertThat(r.register.committedSamples()).isBetween(5 * 8000L - 1700, 5 * 8000L);
        assertThat(r.totalErrorPercent()).isCloseTo(0, within(0.05));
        assertThat(r.last().synced()).isTrue();
    }

    @Test
    void nonFiniteSample_rejectsTheBlockFromThereAndMeteringContinues() {
        MeterRun r = new MeterRun(steady());
        r.runSeconds(1);
        r.source.fill(r.block);
        r.block.current(1)[100] = Double.NaN;
        assertThatCode(() -> r.metrology.process(r.block)).doesNotThrowAnyException();
        r.source.fill(r.block);
        r.block.voltage(0)[7] = Double.POSITIVE_INFINITY;
        r.metrology.process(r.block);
        r.runSeconds(2);
        Metrology.Stats stats = r.metrology.stats();
        assertThat(stats.rejectedBlocks()).isEqualTo(2);
        assertThat(stats.lastRejection()).contains("non-finite");
        assertThat(r.alarms).anyMatch(a -> a.condition() == Condition.BAD_BLOCK && a.raised());
        assertThat(Double.isFinite(r.register.deliveredWh(0))).isTrue();
        assertThat(r.totalErrorPercent()).isCloseTo(0, within(0.05));
    }

    @Test
    void absurdSample_overflowingTheSums_isRejectedLikeNaN() {
        MeterRun r = new MeterRun(steady());
        r.runSeconds(1);
        r.source.fill(r.block);
        r.block.voltage(1)[3] = 1e200;
        r.metrology.process(r.block);
        assertThat(r.metrology.stats().rejectedBlocks()).isEqualTo(1);
        r.runSeconds(1);
        assertThat(r.totalErrorPercent()).isCloseTo(0, within(0.05));
    }

    @Test
    void glitchSampleFarBeyondAnyRealSignal_isRejectedNotRegistered() {
        MeterRun r = new MeterRun(steady());
        r.runSeconds(1);
        r.source.fill(r.block);
        r.block.voltage(0)[5] = 1e6;
        r.block.current(0)[5] = 1e6;
        r.metrology.process(r.block);
        assertThat(r.metrology.stats().rejectedBlocks()).isEqualTo(1);
        assertThat(r.metrology.stats().lastRejection()).contains("implausible");
        r.runSeconds(2);
        // a 1e6 V x 1e6 A sample would have added 35 kWh; the register holds ~3 s of 2 x 5.2 kW
        assertThat(r.totalErrorPercent()).isCloseTo(0, within(0.05));
    }

    @Test
    void sourceThatRestartsItsSampleCount_isResynchronisedNotRejectedForever() {
        MeterRun r = new MeterRun(steady());
        r.runSeconds(2);
        double before = r.register.deliveredWh(0);
        // a new source instance starts again at sample 0
        var fresh = new org.minimeter.gateway.hal.simulator.SimulatedSource(steady(),
                org.minimeter.gateway.hal.MonotonicClock.SYSTEM);
        for (int k = 0; k < 40; k++) {
            fresh.fill(r.block);
            r.metrology.process(r.block);
        }
        assertThat(r.metrology.stats().rejectedBlocks()).isZero();
        assertThat(r.metrology.stats().lastRejection()).contains("restarted");
        double added = r.register.deliveredWh(0) - before;
        double expected = 2 * 120 * 50 * Math.cos(Math.toRadians(30)) * 2.0 / 3600;
        assertThat(added).isCloseTo(expected, within(expected * 0.02));
    }

    @Test
    void flushBeforeTheFirstZeroCrossing_stillRegistersTheEnergy() {
        MeterRun r = new MeterRun(steady());
        r.source.fill(r.block, 40); // 5 ms: less than a cycle
        r.metrology.process(r.block);
        r.metrology.flush();
        assertThat(r.register.committedSamples()).isEqualTo(40);
        assertThat(r.register.deliveredWh(0)).isPositive();
    }

    @Test
    void blockOfWrongShape_isRejectedWithAReason() {
        MeterRun r = new MeterRun(steady());
        r.runSeconds(1);
        SampleBlock wrongRate = new SampleBlock(2, 10);
        wrongRate.set(8000, 10, 4000);
        r.metrology.process(wrongRate);
        assertThat(r.metrology.stats().lastRejection()).contains("sample rate 4000");
        SampleBlock oneElement = new SampleBlock(1, 10);
        oneElement.set(8000, 10, 8000);
        r.metrology.process(oneElement);
        assertThat(r.metrology.stats().lastRejection()).contains("1 elements");
        SampleBlock empty = new SampleBlock(2, 10);
        empty.set(8000, 0, 8000);
        r.metrology.process(empty);
        assertThat(r.metrology.stats().lastRejection()).contains("length 0");
        assertThat(r.metrology.stats().rejectedBlocks()).isEqualTo(3);
        r.runSeconds(1);
        assertThat(r.metrology.stats().droppedSamples()).isZero();
    }

    @Test
    void repeatedBlock_isRejectedAndNotCountedTwice() {
        MeterRun r = new MeterRun(steady());
        r.runSeconds(1);
        r.metrology.process(r.block);
        assertThat(r.metrology.stats().lastRejection()).contains("before the expected");
        r.runSeconds(2);
        assertThat(r.totalErrorPercent()).isCloseTo(0, within(0.05));
    }

    @Test
    void register_carriesFractionsSoTinyWindowsAddUp() {
        EnergyRegister reg = new EnergyRegister(1);
        // one million windows of 1 mJ each: 1000 J = 277.78 mWh, each window far below 1 µWh
        double[] oneMilliJoule = {1e-3};
        for (int k = 0; k < 1_000_000; k++) {
            reg.add(oneMilliJoule, 1);
        }
        assertThat(reg.snapshot().deliveredMicroWh(1)).isEqualTo(277_777L);
        assertThat(reg.deliveredWh(1)).isCloseTo(1000.0 / 3600, within(1e-9));
    }

    @Test
    void register_neverDecreasesAndSplitsBySign() {
        EnergyRegister reg = new EnergyRegister(2);
        reg.add(new double[] {3600, -7200}, 10);
        EnergySnapshot s = reg.snapshot();
        assertThat(s.deliveredMicroWh(1)).isEqualTo(1_000_000);
        assertThat(s.receivedMicroWh(2)).isEqualTo(2_000_000);
        // the total sees the net of both legs: -1 Wh
        assertThat(s.deliveredMicroWh(0)).isZero();
        assertThat(s.receivedMicroWh(0)).isEqualTo(1_000_000);
        reg.add(new double[] {-3600, 0}, 10);
        assertThat(reg.snapshot().deliveredMicroWh(1)).isEqualTo(1_000_000);
        assertThat(reg.snapshot().receivedMicroWh(1)).isEqualTo(1_000_000);
    }

    @Test
    void register_refusesNonFiniteEnergyAndNegativeStart() {
        EnergyRegister reg = new EnergyRegister(1);
        assertThatCode(() -> reg.add(new double[] {Double.NaN}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 1");
        assertThat(reg.snapshot()).isEqualTo(EnergySnapshot.zero(1));
        assertThatCode(() -> new EnergyRegister(new EnergySnapshot(new long[] {0, -1}, new long[] {0, 0}, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }

    @Test
    void register_resumesFromASnapshot() {
        EnergyRegister reg = new EnergyRegister(new EnergySnapshot(new long[] {5, 5}, new long[] {7, 7}, 100));
        reg.add(new double[] {3.6}, 8);
        assertThat(reg.snapshot().deliveredMicroWh(1)).isEqualTo(1005);
        assertThat(reg.committedSamples()).isEqualTo(108);
    }
}
