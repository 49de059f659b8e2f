package org.minimeter.gateway.hal.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.ChannelCalibration;
import org.minimeter.gateway.metering.ElementCalibration;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * Synthetic line voltage and CT current for 1 or 2 elements, through a modelled ADC.
 *
 * <p>Element 2 is the other leg of a split-phase service: its voltage and current are those
 * of element 1 shifted by 180 degrees. The phase of every sample is computed from its index
 * (not accumulated), so a simulation that runs for years stays on frequency.
 */
public final class SimulatedSource implements WaveformSource {

    private final SimulatorSettings settings;
    private final MonotonicClock clock;
    private final FrontEnd frontEnd;
    private final SplittableRandom random;
    private final double cyclesPerSample;
    private final double skewSamples;
    private final double lsbV;
    private final double lsbI;
    private final double codeMax;
    private final double phaseRad;
    private final double blockNanos;
    private long nextIndex;
    private long startNanos = -1;

    public SimulatedSource(SimulatorSettings settings, MonotonicClock clock) {
        this.settings = settings;
        this.clock = clock;
        this.random = new SplittableRandom(settings.seed());
        this.cyclesPerSample = settings.lineFrequency() / settings.sampleRate();
        this.skewSamples = settings.skewMicros() * 1e-6 * settings.sampleRate();
        this.phaseRad = Math.toRadians(settings.phaseDeg());
        boolean ideal = settings.adcBits() == 0;
        double codes = ideal ? 2048 : Math.pow(2, settings.adcBits() - 1);
        this.codeMax = codes - 1;
        // Raw units: ADC codes (signed, mid-scale at zero) or, for an ideal front end, volts
        // and amps themselves.
        this.lsbV = ideal ? 1 : settings.voltageFullScale() / codes;
        this.lsbI = ideal ? 1 : settings.currentFullScale() / codes;
        double delayI = settings.correctSkew() ? settings.skewMicros() : 0;
        double clip = ideal ? Double.POSITIVE_INFINITY : codeMax;
        List<ElementCalibration> cal = new ArrayList<>();
        for (int e = 0; e < settings.elements(); e++) {
            cal.add(new ElementCalibration(
                    new ChannelCalibration(lsbV, 0, clip),
                    new ChannelCalibration(lsbI, delayI, clip)));
        }
        this.frontEnd = new FrontEnd(settings.sampleRate(), cal);
        this.blockNanos = settings.blockSize() / settings.sampleRate() * 1e9 / settings.speed();
    }

    public SimulatorSettings settings() {
        return settings;
    }

    @Override
    public String name() {
        return "simulator";
    }

    @Override
    public FrontEnd frontEnd() {
        return frontEnd;
    }

    @Override
    public int blockSize() {
        return settings.blockSize();
    }

    /** Paces blocks to {@code simulator.speed} simulated seconds per wall-clock second. */
    @Override
    public void read(SampleBlock block) throws InterruptedException {
        if (startNanos < 0) {
            startNanos = clock.nanoTime();
        }
        long blocksSoFar = nextIndex / settings.blockSize();
        clock.sleepUntil(startNanos + (long) ((blocksSoFar + 1) * blockNanos));
        fill(block);
    }

    /** Produces the next block at once, without pacing (tests, benchmarks). */
    public void fill(SampleBlock block) {
        fill(block, Math.min(block.capacity(), settings.blockSize()));
    }

    /** Produces the next {@code length} samples at once. */
    public void fill(SampleBlock block, int length) {
        long first = nextIndex;
        double t = first / settings.sampleRate();
        double twoPi = 2 * Math.PI;
        for (int e = 0; e < settings.elements(); e++) {
            double legShift = e == 0 ? 0 : Math.PI;
            double vPeak = Math.sqrt(2) * settings.voltage();
            double iPeak = Math.sqrt(2) * settings.load().current(t, e + 1);
            double[] v = block.voltage(e);
            double[] i = block.current(e);
            for (int k = 0; k < length; k++) {
                long n = first + k;
                double angV = twoPi * fraction(n * cyclesPerSample) + legShift;
                double angI = twoPi * fraction((n + skewSamples) * cyclesPerSample) + legShift;
                double vv = vPeak * Math.sin(angV);
                double ii = iPeak * Math.sin(angI - phaseRad);
                for (Harmonic h : settings.harmonics()) {
                    vv += vPeak * h.voltageFraction() * Math.sin(h.order() * angV);
                    ii += iPeak * h.currentFraction()
                            * Math.sin(h.order() * (angI - phaseRad) - Math.toRadians(h.currentLagDeg()));
                }
                v[k] = adc(vv, lsbV);
                i[k] = adc(ii, lsbI);
            }
        }
        block.set(first, length, settings.sampleRate());
        nextIndex += length;
    }

    /** Skips {@code samples} samples, as a front end that lost them would. */
    public void skip(long samples) {
        nextIndex += samples;
    }

    private double adc(double value, double lsb) {
        double code = value / lsb + settings.dcOffsetLsb();
        if (settings.noiseLsb() > 0) {
            code += settings.noiseLsb() * random.nextGaussian();
        }
        if (settings.adcBits() == 0) {
            return code;
        }
        return Math.max(-codeMax - 1, Math.min(codeMax, Math.rint(code)));
    }

    private static double fraction(double cycles) {
        return cycles - Math.floor(cycles);
    }

    @Override
    public void close() {
        // nothing held
    }
}
