package org.minimeter.gateway.metering;

import java.util.ArrayList;
import java.util.List;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.Harmonic;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/** Drives the metering from the simulator, unpaced, and keeps everything it reported. */
final class MeterRun implements Metrology.Listener {

    final SimulatorSettings settings;
    final SimulatedSource source;
    final MeterSpec spec;
    final EnergyRegister register;
    final Metrology metrology;
    final SampleBlock block;
    final List<Measurement> measurements = new ArrayList<>();
    final List<AlarmEvent> alarms = new ArrayList<>();

    MeterRun(SimulatorSettings settings) {
        this(settings, MeterSpec.DEFAULT_REVERSE_SECONDS);
    }

    MeterRun(SimulatorSettings settings, double reverseSeconds) {
        this.settings = settings;
        this.source = new SimulatedSource(settings, MonotonicClock.SYSTEM);
        this.spec = MeterSpec.of(settings.nominalFrequency(), settings.ctRating(), settings.sampleRate(),
                source.frontEnd().calibration())
                .withThresholds(MeterSpec.DEFAULT_CREEP_FRACTION, MeterSpec.DEFAULT_FREQUENCY_TOLERANCE,
                        reverseSeconds);
        this.register = new EnergyRegister(settings.elements());
        this.metrology = new Metrology(spec, register, this);
        this.block = new SampleBlock(settings.elements(), settings.blockSize());
    }

    MeterRun runSeconds(double seconds) {
        long target = Math.round(seconds * settings.sampleRate());
        long done = 0;
        while (done < target) {
            int n = (int) Math.min(block.capacity(), target - done);
            source.fill(block, n);
            metrology.process(block);
            done += n;
        }
        return this;
    }

    @Override
    public void onMeasurement(Measurement measurement) {
        measurements.add(measurement);
    }

    @Override
    public void onAlarm(AlarmEvent event) {
        alarms.add(event);
    }

    /** Analytic active power of one element: sum over harmonics of V_h I_h cos(phi_h). */
    double analyticPowerPerElement() {
        double v = settings.voltage();
        double i = settings.load().current(0, 1);
        double phi = Math.toRadians(settings.phaseDeg());
        double p = v * i * Math.cos(phi);
        for (Harmonic h : settings.harmonics()) {
            p += v * h.voltageFraction() * i * h.currentFraction()
                    * Math.cos(h.order() * phi + Math.toRadians(h.currentLagDeg()));
        }
        return p;
    }

    /** Analytic energy in Wh over the samples the register has committed, all elements. */
    double analyticTotalWh() {
        return analyticPowerPerElement() * settings.elements() * register.committedSamples()
                / settings.sampleRate() / 3600.0;
    }

    /** Registered net energy (delivered minus received) of the total, in Wh. */
    double registeredTotalWh() {
        return register.deliveredWh(0) - register.receivedWh(0);
    }

    /** Relative error of the total register against the analytic energy, in percent. */
    double totalErrorPercent() {
        double ref = analyticTotalWh();
        return (registeredTotalWh() - ref) / Math.abs(ref) * 100;
    }

    /** Relative error of element e's register, in percent. */
    double elementErrorPercent(int e) {
        double ref = analyticTotalWh() / settings.elements();
        double reg = register.deliveredWh(e) - register.receivedWh(e);
        return (reg - ref) / Math.abs(ref) * 100;
    }

    Measurement last() {
        return measurements.get(measurements.size() - 1);
    }
}
