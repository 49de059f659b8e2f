package org.minimeter.gateway.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.Harmonic;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.SampleBlock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of the simulator's block generation, {@link SimulatedSource#fill}: sample pairs
 * (one V and one I sample of one element) per second on one core, for the production shape
 * of a simulated meter (2 elements, 8 kHz, 400-sample blocks, household load). 1000 such
 * meters need 16 M pairs/s.
 *
 * <p>{@code impl}: {@code legacy} is the generator as it was before block recurrences and the
 * noise table (one {@code Math.sin} per sample, channel and harmonic, one
 * {@code nextGaussian} per channel-sample), kept here as the baseline; {@code current} is
 * {@link SimulatedSource}. {@code frontEnd} splits the cost: {@code ideal} is the waveform
 * alone, {@code quantised} adds the 12-bit converter (rounding, clipping), {@code noise} adds
 * 0.5 LSB noise to the ideal waveform, {@code realistic} is all of it. Every variant has the
 * 20 us V-to-I skew: without it V and I share one angle and the JIT computes the legacy
 * code's two sin calls as one, which would halve its waveform cost. {@code meters} 1000 cycles through a thousand sources and blocks, so blocks come from
 * memory rather than L1 as they do in a gateway.
 *
 * <p>Run: {@code mvn -B -q -Pbench test-compile exec:exec -Djmh.args=SimulatorFillBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class SimulatorFillBenchmark {

    static final int BLOCK = 400;

    @Param({"legacy", "current"})
    public String impl;

    @Param({"ideal", "quantised", "noise", "realistic"})
    public String frontEnd;

    @Param({"1", "1000"})
    public int meters;

    private Runnable[] fills;
    private SampleBlock[] blocks;

    @Setup(Level.Trial)
    public void setUp() {
        fills = new Runnable[meters];
        blocks = new SampleBlock[meters];
        for (int m = 0; m < meters; m++) {
            SimulatorSettings s = settings(frontEnd, m);
            SampleBlock b = new SampleBlock(2, BLOCK);
            blocks[m] = b;
            if (impl.equals("legacy")) {
                LegacyFill legacy = new LegacyFill(s);
                fills[m] = () -> legacy.fill(b);
            } else {
                SimulatedSource source = new SimulatedSource(s, MonotonicClock.SYSTEM);
                fills[m] = () -> source.fill(b);
            }
        }
    }

    static SimulatorSettings settings(String frontEnd, int meter) {
        SimulatorSettings.Builder b = SimulatorSettings.builder(60, 2, 200).blockSize(BLOCK).seed(meter + 1).skewMicros(20);
        switch (frontEnd) {
            case "ideal" -> b.adcBits(0);
            case "quantised" -> b.adcBits(12);
            case "noise" -> b.adcBits(0).noiseLsb(0.5);
            case "realistic" -> b.realisticFrontEnd();
            default -> throw new IllegalArgumentException(frontEnd);
        }
        return b.build();
    }

    /** One block of every meter: meters x 400 samples x 2 elements sample pairs. */
    @Benchmark
    public void fillBlocks(Blackhole bh, PairsCounter pairs) {
        for (int m = 0; m < fills.length; m++) {
            fills[m].run();
            bh.consume(blocks[m].current(1)[BLOCK - 1]);
        }
        pairs.pairs += (long) fills.length * BLOCK * 2;
    }

    /** Reports sample pairs per second as a secondary result beside blocks-of-all-meters/s. */
    @State(Scope.Thread)
    @org.openjdk.jmh.annotations.AuxCounters(org.openjdk.jmh.annotations.AuxCounters.Type.OPERATIONS)
    public static class PairsCounter {
        public long pairs;

        @Setup(Level.Iteration)
        public void reset() {
            pairs = 0;
        }
    }

    /** The generator before this change, verbatim in its arithmetic: the "before" figures. */
    static final class LegacyFill {
        private final SimulatorSettings settings;
        private final SplittableRandom random;
        private final double cyclesPerSample;
        private final double skewSamples;
        private final double lsbV;
        private final double lsbI;
        private final double codeMax;
        private final double phaseRad;
        private long nextIndex;

        LegacyFill(SimulatorSettings settings) {
            this.settings = settings;
            this.random = new SplittableRandom(settings.seed());
            this.cyclesPerSample = settings.lineFrequency() / settings.sampleRate();
            this.skewSamples = settings.skewMicros() * 1e-6 * settings.sampleRate();
            this.phaseRad = Math.toRadians(settings.phaseDeg());
            boolean ideal = settings.adcBits() == 0;
            double codes = ideal ? 2048 : Math.pow(2, settings.adcBits() - 1);
            this.codeMax = codes - 1;
            this.lsbV = ideal ? 1 : settings.voltageFullScale() / codes;
            this.lsbI = ideal ? 1 : settings.currentFullScale() / codes;
        }

        void fill(SampleBlock block) {
            int length = Math.min(block.capacity(), settings.blockSize());
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
    }
}
