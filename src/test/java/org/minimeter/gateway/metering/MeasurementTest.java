package org.minimeter.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minimeter.gateway.hal.simulator.Harmonic;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/** Window readings against the analytic values of known sinusoids. */
class MeasurementTest {

    private static MeterRun run(SimulatorSettings.Builder b) {
        return new MeterRun(b.build()).runSeconds(3);
    }

    @ParameterizedTest(name = "{0} Hz, {1} V, {2} A")
    @CsvSource({"60, 120, 10", "60, 108, 200", "50, 240, 50", "50, 264, 1"})
    void rms_ofKnownSine_isAmplitudeOverRootTwo(int hz, double volts, double amps) {
        MeterRun r = run(SimulatorSettings.builder(hz, 2, 200).voltage(volts).current(amps));
        for (int e = 1; e <= 2; e++) {
            assertThat(r.last().element(e).voltage()).isCloseTo(volts, within(volts * 1e-6));
            assertThat(r.last().element(e).current()).isCloseTo(amps, within(amps * 1e-6));
        }
    }

    @ParameterizedTest(name = "current lag {0} deg")
    @ValueSource(doubles = {0, 60, -30, 25.84, -60})
    void powerFactor_ofKnownAngle_isItsCosine(double lagDeg) {
        MeterRun r = run(SimulatorSettings.builder(60, 2, 200).current(50).phaseDeg(lagDeg));
        ElementReading e1 = r.last().element(1);
        assertThat(e1.powerFactor()).isCloseTo(Math.cos(Math.toRadians(lagDeg)), within(1e-6));
        assertThat(e1.power()).isCloseTo(120 * 50 * Math.cos(Math.toRadians(lagDeg)), within(0.05));
        assertThat(e1.apparent()).isCloseTo(6000, within(0.01));
        assertThat(r.last().powerFactor()).isCloseTo(Math.cos(Math.toRadians(lagDeg)), within(1e-6));
    }

    @ParameterizedTest(name = "{0} Hz, current lag {1} deg")
    @CsvSource({"60, 60", "60, -30", "50, 60", "50, -30", "60, 0"})
    void fundamentalReactive_isPositiveLaggingNegativeLeading(int hz, double lagDeg) {
        MeterRun r = run(SimulatorSettings.builder(hz, 2, 200).current(100).phaseDeg(lagDeg));
        double v = MeterSpec.nominalVoltage(hz);
        double expected = v * 100 * Math.sin(Math.toRadians(lagDeg));
        for (int e = 1; e <= 2; e++) {
            assertThat(r.last().element(e).reactive()).isCloseTo(expected, within(Math.abs(v * 100) * 1e-5));
        }
        assertThat(r.last().reactive()).isCloseTo(2 * expected, within(v * 100 * 2e-5));
        if (lagDeg > 0) {
            assertThat(r.last().element(1).reactive()).isPositive();
        } else if (lagDeg < 0) {
            assertThat(r.last().element(1).reactive()).isNegative();
        }
    }

    @Test
    void reactive_withCorrectedSkew_matchesTheTrueAngle() {
        MeterRun r = run(SimulatorSettings.builder(60, 1, 200).current(100).phaseDeg(60).skewMicros(20));
        assertThat(r.last().element(1).reactive()).isCloseTo(12000 * Math.sin(Math.toRadians(60)), within(0.5));
    }

    @Test
    void voltageConvertedLate_isCorrectedByAVoltageDelay() {
        // Build a source whose voltage is converted 50 us after its label: shift the whole
        // waveform by declaring the current 50 us early instead, then move the delay to V.
        var s = SimulatorSettings.builder(60, 1, 200).current(100).phaseDeg(60).build();
        var src = new org.minimeter.gateway.hal.simulator.SimulatedSource(s, org.minimeter.gateway.hal.MonotonicClock.SYSTEM);
        double rate = s.sampleRate();
        double d = 50e-6 * rate;
        // v sampled late: v'[n] = v(t_n + 50 us) = interpolate the ideal stream ahead by d samples
        SampleBlock raw = new SampleBlock(1, 8000 * 3 + 2);
        src.fill(raw, raw.capacity());
        SampleBlock late = new SampleBlock(1, 8000 * 3);
        double w = 2 * Math.PI * 60 / rate;
        for (int k = 0; k < late.capacity(); k++) {
            double v0 = raw.voltage(0)[k];
            double v1 = raw.voltage(0)[k + 1];
            // exact for a sinusoid: x(k + d) from x(k), x(k+1)
            late.voltage(0)[k] = (Math.sin((1 - d) * w) * v0 + Math.sin(d * w) * v1) / Math.sin(w);
            late.current(0)[k] = raw.current(0)[k];
        }
        late.set(0, late.capacity(), rate);
        for (double declared : new double[] {50, -50}) {
            var cal = new ElementCalibration(new ChannelCalibration(1, declared, Double.POSITIVE_INFINITY),
                    ChannelCalibration.ideal(1));
            var list = new java.util.ArrayList<Measurement>();
            var m = new Metrology(MeterSpec.of(60, 200, rate, java.util.List.of(cal)), new EnergyRegister(1),
                    new Metrology.Listener() {
                        @Override
                        public void onMeasurement(Measurement x) {
                            list.add(x);
                        }

                        @Override
                        public void onAlarm(AlarmEvent e) {
                        }
                    });
            m.process(late);
            double p = list.get(list.size() - 1).element(1).power();
            if (declared > 0) {
                assertThat(p).isCloseTo(6000, within(0.5));
                assertThat(list.get(list.size() - 1).element(1).reactive()).isCloseTo(10392.3, within(1.0));
            } else {
                assertThat(Math.abs(p - 6000)).as("the wrong sign doubles the error").isGreaterThan(100);
            }
        }
    }

    @Test
    void nonActivePower_includesDistortionThatQ1LeavesOut() {
        // PF 1 fundamental with 40 % 5th harmonic current and no 5th voltage: Q1 = 0,
        // but S > P because the harmonic current carries no active power.
        var h = List.of(new Harmonic(5, 0, 0.4, 0));
        MeterRun r = run(SimulatorSettings.builder(60, 1, 200).current(100).harmonics(h));
        ElementReading e1 = r.last().element(1);
        double irms = 100 * Math.sqrt(1 + 0.16);
        assertThat(e1.current()).isCloseTo(irms, within(1e-3));
        assertThat(e1.power()).isCloseTo(12000, within(0.1));
        assertThat(e1.reactive()).isCloseTo(0, within(0.1));
        assertThat(e1.nonActive()).isCloseTo(Math.sqrt(Math.pow(120 * irms, 2) - 12000 * 12000), within(0.5));
    }

    @ParameterizedTest(name = "{0} Hz line on a {1} Hz meter")
    @CsvSource({"49, 50", "50, 50", "59.93, 60", "61.2, 60", "58.8, 60", "51, 50"})
    void frequency_fromInterpolatedZeroCrossings(double f, int nominal) {
        MeterRun ideal = run(SimulatorSettings.builder(nominal, 2, 200).current(10).lineFrequency(f));
        assertThat(ideal.last().frequency()).isCloseTo(f, within(1e-4));
        assertThat(ideal.last().synced()).isTrue();
        MeterRun real = run(SimulatorSettings.builder(nominal, 2, 200).current(10).lineFrequency(f).realisticFrontEnd());
        assertThat(real.last().frequency()).isCloseTo(f, within(0.005));
    }

    @Test
    void window_spansTheConfiguredWholeCycles() {
        MeterRun r = run(SimulatorSettings.builder(60, 2, 200).current(10).lineFrequency(59.93));
        // 12 cycles at 59.93 Hz
        assertThat(r.last().seconds()).isCloseTo(12 / 59.93, within(1e-6));
        // 3 s of samples: 15 windows of 0.2 s, less the one the first partial cycle delays
        assertThat(r.measurements).hasSizeBetween(13, 15);
    }

    @Test
    void dcOffset_isRemovedFromRmsPowerAndEnergy() {
        MeterRun r = new MeterRun(SimulatorSettings.builder(60, 2, 200).current(20).phaseDeg(30)
                .dcOffsetLsb(40).build()).runSeconds(5);
        assertThat(r.last().element(1).voltage()).isCloseTo(120, within(1e-4));
        assertThat(r.last().element(1).current()).isCloseTo(20, within(1e-5));
        assertThat(r.totalErrorPercent()).isCloseTo(0, within(0.01));
    }

    @Test
    void export_registersReceivedOnlyAndPowerIsNegative() {
        MeterRun r = new MeterRun(SimulatorSettings.builder(60, 2, 200).current(30).phaseDeg(180).build())
                .runSeconds(5);
        assertThat(r.register.snapshot().deliveredMicroWh(0)).isZero();
        assertThat(r.register.snapshot().deliveredMicroWh(1)).isZero();
        double expectedWh = 2 * 120 * 30 * r.register.committedSamples() / 8000.0 / 3600;
        assertThat(r.register.receivedWh(0)).isCloseTo(expectedWh, within(expectedWh * 5e-4));
        assertThat(r.last().power()).isCloseTo(-7200, within(0.1));
    }

    @Test
    void reactiveOnlyLoad_registersNoActiveEnergy() {
        // PF 0: the instantaneous power swings +-S every half cycle, the net is zero.
        MeterRun r = new MeterRun(SimulatorSettings.builder(60, 2, 200).current(200).phaseDeg(90).build())
                .runSeconds(5);
        assertThat(r.register.deliveredWh(0) + r.register.receivedWh(0)).isLessThan(1e-6 * 48000 * 5 / 3600);
    }

    @Test
    void singleElementMeter_measuresItsOneElement() {
        MeterRun r = run(SimulatorSettings.builder(50, 1, 100).current(25).phaseDeg(60));
        assertThat(r.last().elements()).hasSize(1);
        assertThat(r.last().power()).isCloseTo(240 * 25 * 0.5, within(0.01));
        assertThat(r.totalErrorPercent()).isCloseTo(0, within(0.005));
    }

    @Test
    void splitPhase_elementTwoIsTheOtherLegAndAddsToTheTotal() {
        MeterRun r = run(SimulatorSettings.builder(60, 2, 200).current(10));
        assertThat(r.last().element(2).power()).isCloseTo(1200, within(1e-3));
        assertThat(r.last().power()).isCloseTo(2400, within(1e-3));
        EnergySnapshot e = r.register.snapshot();
        assertThat(e.deliveredMicroWh(0)).isCloseTo(e.deliveredMicroWh(1) + e.deliveredMicroWh(2), within(2L));
    }
}
