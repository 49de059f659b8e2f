package org.minimeter.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/**
 * The calibration procedure against the simulator as the "panel": the front end declares
 * gains that are off by a few percent (component tolerances) and does not know its 40 us V/I
 * skew, as a board would before calibration. The reference values are the simulator's true
 * line values, as a reference meter would read them.
 */
class CalibrationRunTest {

    static final double V = 120;
    static final double I = 50;
    /** The declared gains read 2.5 % high on voltage and 3 % low on current. */
    static final double V_ERROR = 1.025;
    static final double I_ERROR = 0.97;
    static final double SKEW_US = 40;

    static SimulatorSettings panel(double phaseDeg) {
        return SimulatorSettings.builder(60, 1, 200).voltage(V).current(I).phaseDeg(phaseDeg).adcBits(12)
                .noiseLsb(0.5).skewMicros(SKEW_US).correctSkew(false).seed(7).build();
    }

    /** The board's declared calibration: wrong gains, no knowledge of its skew. */
    static List<ElementCalibration> declared(SimulatedSource s) {
        ElementCalibration c = s.frontEnd().calibration().get(0);
        return List.of(new ElementCalibration(c.voltage().trimmed(V_ERROR, 0), c.current().trimmed(I_ERROR, 0)));
    }

    /** Meters {@code seconds} of the panel with {@code calibration}; returns the run and the register. */
    static Result meter(SimulatorSettings settings, CalibrationTrim trim, double seconds) {
        SimulatedSource source = new SimulatedSource(settings, MonotonicClock.SYSTEM);
        MeterSpec spec = MeterSpec.of(60, 200, settings.sampleRate(), trim.applyTo(declared(source)));
        return meter(source, spec, seconds);
    }

    static Result meter(SimulatedSource source, MeterSpec spec, double seconds) {
        EnergyRegister register = new EnergyRegister(1);
        CalibrationRun run = new CalibrationRun(1);
        Metrology metrology = new Metrology(spec, register, new Metrology.Listener() {
            @Override
            public void onMeasurement(Measurement m) {
                run.add(m);
            }

            @Override
            public void onAlarm(AlarmEvent event) {
            }
        });
        SampleBlock block = new SampleBlock(1, source.blockSize());
        long target = Math.round(seconds * spec.sampleRate());
        for (long done = 0; done < target; done += block.capacity()) {
            source.fill(block, block.capacity());
            metrology.process(block);
        }
        return new Result(run, register);
    }

    record Result(CalibrationRun run, EnergyRegister register) {
    }

    static CalibrationRun.Reference truth(double phaseDeg, boolean withPower, boolean withReactive) {
        double phi = Math.toRadians(phaseDeg);
        return new CalibrationRun.Reference(V, I,
                withPower ? OptionalDouble.of(V * I * Math.cos(phi)) : OptionalDouble.empty(),
                withReactive ? OptionalDouble.of(V * I * Math.sin(phi)) : OptionalDouble.empty());
    }

    @Test
    void aPf05LoadFixesGainsAndThePhaseSoEveryPointMeetsClass05() {
        CalibrationTrim none = CalibrationTrim.none(1);
        CalibrationRun before = meter(panel(60), none, 10).run();
        CalibrationRun.Result r = before.solve(truth(60, true, false), CalibrationTrim.ElementTrim.NONE);

        // before: the component errors and the skew's 40 us = 0.86 degrees at PF 0.5
        assertThat(r.before().voltage()).isCloseTo(0.025, within(0.001));
        assertThat(r.before().current()).isCloseTo(-0.03, within(0.001));
        // the current, converted later, looks less lagging: P reads cos(60 - 0.864 deg) / cos(60) high
        double skewDeg = 360 * 60 * SKEW_US * 1e-6;
        double expected = V_ERROR * I_ERROR * Math.cos(Math.toRadians(60 - skewDeg)) / Math.cos(Math.toRadians(60)) - 1;
        assertThat(r.before().power()).isCloseTo(expected, within(0.001));
        assertThat(r.phaseSolved()).isTrue();
        // the current converted 40 us after the voltage must be delayed by 40 us
        assertThat(r.trim().phaseMicros()).isCloseTo(SKEW_US, within(1.0));
        assertThat(r.trim().voltageFactor()).isCloseTo(1 / V_ERROR, within(0.001));
        assertThat(r.trim().currentFactor()).isCloseTo(1 / I_ERROR, within(0.001));

        // after: the trim, found at one point, holds at lagging, leading and unity PF
        CalibrationTrim trim = none.with(1, r.trim());
        for (double phase : new double[] {60, 0, -60, 30}) {
            Result after = meter(panel(phase), trim, 5);
            CalibrationRun.Averages a = after.run().averages();
            double p = V * I * Math.cos(Math.toRadians(phase));
            assertThat(a.voltage() / V - 1).as("V at %s deg", phase).isCloseTo(0, within(0.001));
            assertThat(a.current() / I - 1).as("I at %s deg", phase).isCloseTo(0, within(0.001));
            assertThat(a.power() / p - 1).as("P at %s deg", phase).isCloseTo(0, within(0.002));
            double registeredWh = after.register().deliveredWh(1) - after.register().receivedWh(1);
            double expectedWh = p * after.register().committedSamples() / panel(phase).sampleRate() / 3600;
            assertThat(registeredWh / expectedWh - 1).as("energy at %s deg", phase).isCloseTo(0, within(0.005));
        }
    }

    @Test
    void theReferencesReactivePowerSolvesTheSignOfTheAngleOnALeadingLoad() {
        CalibrationRun.Result r = meter(panel(-60), CalibrationTrim.none(1), 10).run()
                .solve(truth(-60, true, true), CalibrationTrim.ElementTrim.NONE);
        assertThat(r.phaseSolved()).isTrue();
        assertThat(r.trim().phaseMicros()).isCloseTo(SKEW_US, within(1.0));
        assertThat(r.before().reactive()).isNotNaN();
    }

    @Test
    void nearUnityPowerFactorTheGainsAreCorrectedAndThePhaseIsLeftAlone() {
        CalibrationTrim.ElementTrim old = new CalibrationTrim.ElementTrim(1, 1, 12.5);
        CalibrationRun.Result r = meter(panel(0), CalibrationTrim.none(1).with(1, old), 5).run()
                .solve(truth(0, true, false), old);
        assertThat(r.phaseSolved()).isFalse();
        assertThat(r.phaseNote()).contains("PF 1.000").contains("PF 0.5 load");
        assertThat(r.trim().phaseMicros()).isEqualTo(12.5);
        assertThat(r.trim().voltageFactor()).isCloseTo(1 / V_ERROR, within(0.001));
    }

    @Test
    void aSecondRunComposesWithTheFirstTrim() {
        CalibrationTrim none = CalibrationTrim.none(1);
        CalibrationRun.Result first = meter(panel(60), none, 5).run().solve(truth(60, true, false),
                CalibrationTrim.ElementTrim.NONE);
        CalibrationTrim trim = none.with(1, first.trim());
        CalibrationRun.Result second = meter(panel(60), trim, 5).run().solve(truth(60, true, false), first.trim());
        // already calibrated: the second run finds almost nothing left to correct
        assertThat(second.before().power()).isCloseTo(0, within(0.002));
        assertThat(second.trim().voltageFactor()).isCloseTo(first.trim().voltageFactor(), within(0.0005));
        assertThat(second.trim().phaseMicros()).isCloseTo(first.trim().phaseMicros(), within(1.0));
    }

    @Test
    void aCtWiredBackwardsExportsUntilItsChannelIsInverted() {
        SimulatorSettings s = SimulatorSettings.builder(60, 1, 200).voltage(V).current(I).phaseDeg(180).build();
        SimulatedSource source = new SimulatedSource(s, MonotonicClock.SYSTEM);
        ElementCalibration c = source.frontEnd().calibration().get(0);
        for (boolean inverted : new boolean[] {false, true}) {
            MeterSpec spec = MeterSpec.of(60, 200, s.sampleRate(),
                    List.of(new ElementCalibration(c.voltage(), c.current().withInverted(inverted))));
            Result r = meter(source, spec, 2);
            EnergyRegister register = r.register();
            CalibrationRun.Averages a = r.run().averages();
            assertThat(a.voltage()).isCloseTo(V, within(0.05));
            assertThat(a.current()).isCloseTo(I, within(0.05));
            if (inverted) {
                assertThat(a.power()).isCloseTo(V * I, within(V * I * 0.001));
                assertThat(register.deliveredWh(1)).isPositive();
                assertThat(register.receivedWh(1)).isZero();
            } else {
                assertThat(a.power()).isCloseTo(-V * I, within(V * I * 0.001));
                assertThat(register.receivedWh(1)).isPositive();
                assertThat(register.deliveredWh(1)).isZero();
            }
        }
    }

    @Test
    void refusesWhatCannotBeCalibration() {
        CalibrationRun empty = new CalibrationRun(1);
        assertThatThrownBy(() -> empty.solve(truth(60, true, false), CalibrationTrim.ElementTrim.NONE))
                .hasMessageContaining("no usable measurement window");
        // a reference that is 40 % off the reading: wrong CT ratio or wrong circuit
        CalibrationRun run = meter(panel(60), CalibrationTrim.none(1), 2).run();
        assertThatThrownBy(() -> run.solve(new CalibrationRun.Reference(V, I * 1.4, OptionalDouble.empty(),
                OptionalDouble.empty()), CalibrationTrim.ElementTrim.NONE))
                .hasMessageContaining("current factor").hasMessageContaining("wrong wiring");
        assertThatThrownBy(() -> new CalibrationRun.Reference(V, I, OptionalDouble.of(V * I * 1.5),
                OptionalDouble.empty())).hasMessageContaining("cannot exceed V x I");
        assertThatThrownBy(() -> new CalibrationRun.Reference(0, I, OptionalDouble.empty(), OptionalDouble.empty()))
                .hasMessageContaining("reference voltage");
        assertThatThrownBy(() -> new CalibrationRun(3)).hasMessageContaining("element must be 1 or 2");
    }
}
