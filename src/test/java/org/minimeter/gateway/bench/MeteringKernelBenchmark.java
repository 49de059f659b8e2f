package org.minimeter.gateway.bench;

import java.util.concurrent.TimeUnit;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.Metrology;
import org.minimeter.gateway.metering.SampleBlock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of the metering kernel: a 2-element meter metering pre-generated blocks from
 * the realistic simulated front end (so block generation is not measured). One operation is
 * one sample pair (one V and one I sample of one element); a block of n samples on 2
 * elements is 2n pairs. Windows close, readings are built and energy is committed as in
 * production.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MeteringKernelBenchmark {

    /** Blocks per invocation: a ring of distinct pre-generated blocks, replayed in order. */
    static final int RING = 64;

    @Param({"4000", "8000"})
    public int sampleRate;

    /** 50 ms at 8 kHz, 100 ms at 4 kHz. */
    static final int BLOCK = 400;

    private SampleBlock[] ring;
    private Metrology metrology;
    private long nextIndex;

    @Setup(Level.Trial)
    public void setUp() {
        SimulatorSettings s = SimulatorSettings.builder(60, 2, 200).sampleRate(sampleRate).current(50)
                .phaseDeg(30).lineFrequency(59.93).realisticFrontEnd().blockSize(BLOCK).build();
        SimulatedSource source = new SimulatedSource(s, MonotonicClock.SYSTEM);
        ring = new SampleBlock[RING];
        for (int k = 0; k < RING; k++) {
            ring[k] = new SampleBlock(2, BLOCK);
            source.fill(ring[k]);
        }
        MeterSpec spec = MeterSpec.of(60, 200, sampleRate, source.frontEnd().calibration());
        metrology = new Metrology(spec, new EnergyRegister(2), new Metrology.Listener() {
            @Override
            public void onMeasurement(org.minimeter.gateway.metering.Measurement m) {
            }

            @Override
            public void onAlarm(AlarmEvent e) {
            }
        });
    }

    /** 64 blocks x 400 samples x 2 elements = 51 200 sample pairs per invocation. */
    @Benchmark
    @OperationsPerInvocation(RING * BLOCK * 2)
    public void meterBlocks(Blackhole bh) {
        for (SampleBlock b : ring) {
            // Renumber the replayed block so the metering sees one contiguous stream.
            b.set(nextIndex, b.length(), b.sampleRate());
            nextIndex += b.length();
            metrology.process(b);
        }
        bh.consume(metrology.latestEnergy());
    }
}
