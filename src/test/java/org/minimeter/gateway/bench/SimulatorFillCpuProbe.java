package org.minimeter.gateway.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.Metrology;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * The same variants as {@link SimulatorFillBenchmark}, measured in sample pairs per second of
 * this thread's CPU time rather than of wall time: on a machine whose cores are shared, CPU
 * time is what "per core" means, and it does not count the time other processes held the
 * core. 1000 meters (2 elements, 8 kHz, 400-sample blocks, household load) cycle in turn.
 * Variants as the benchmark's, plus {@code metered}: realistic blocks then metered as in
 * production, the whole CPU a simulated gateway spends per meter before publishing.
 * Prints, per variant, the median and range of 5 rounds, nanoseconds per pair, and the share
 * of one core that generating 1000 meters in real time (16 M pairs/s) would take.
 *
 * <p>Run: {@code mvn -B -q -Pbench test-compile exec:exec
 * -Dbench.main=org.minimeter.gateway.bench.SimulatorFillCpuProbe -Djmh.args=2}
 * (the argument: seconds per round).
 */
public final class SimulatorFillCpuProbe {

    static final int METERS = 1000;
    static final double PAIRS_PER_SECOND_1000_METERS = METERS * 2 * 8000.0;

    public static void main(String[] args) throws Exception {
        double roundSeconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        if (args.length == 3) {
            measure(roundSeconds, args[1], args[2]);
            return;
        }
        System.out.printf(Locale.ROOT, "%-8s %-10s %14s %14s %14s %9s %14s%n", "impl", "frontEnd",
                "Mpairs/cpu-s", "min", "max", "ns/pair", "% core @1000");
        // One JVM per variant, as JMH forks: in one JVM the JIT would compile the shared code
        // for whichever variant ran first and the figures would depend on the order.
        for (String impl : new String[] {"legacy", "current"}) {
            for (String frontEnd : new String[] {"ideal", "quantised", "noise", "realistic", "metered"}) {
                Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"), SimulatorFillCpuProbe.class.getName(),
                        String.valueOf(roundSeconds), impl, frontEnd).inheritIO().start();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException(impl + " " + frontEnd + " failed");
                }
            }
        }
    }

    private static void measure(double roundSeconds, String impl, String frontEnd) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Runnable[] fills = meters(impl, frontEnd);
        round(fills, mx, roundSeconds * 1.5); // JIT warm-up
        double[] rates = new double[5];
        for (int r = 0; r < rates.length; r++) {
            rates[r] = round(fills, mx, roundSeconds);
        }
        Arrays.sort(rates);
        double median = rates[rates.length / 2];
        System.out.printf(Locale.ROOT, "%-8s %-10s %14.1f %14.1f %14.1f %9.2f %13.1f%%%n", impl, frontEnd,
                median / 1e6, rates[0] / 1e6, rates[rates.length - 1] / 1e6, 1e9 / median,
                100 * PAIRS_PER_SECOND_1000_METERS / median);
    }

    /**
     * One block-producing step per meter. {@code metered} is {@code realistic} followed by the
     * production metering of each block: the whole per-meter cost of a simulated gateway
     * except pacing and publishing.
     */
    private static Runnable[] meters(String impl, String frontEnd) {
        boolean metered = frontEnd.equals("metered");
        Runnable[] fills = new Runnable[METERS];
        for (int m = 0; m < METERS; m++) {
            SimulatorSettings s = SimulatorFillBenchmark.settings(metered ? "realistic" : frontEnd, m);
            SampleBlock b = new SampleBlock(2, SimulatorFillBenchmark.BLOCK);
            SimulatedSource source = new SimulatedSource(s, MonotonicClock.SYSTEM);
            Runnable fill;
            if (impl.equals("legacy")) {
                SimulatorFillBenchmark.LegacyFill legacy = new SimulatorFillBenchmark.LegacyFill(s);
                fill = () -> legacy.fill(b);
            } else {
                fill = () -> source.fill(b);
            }
            if (metered) {
                Metrology metrology = new Metrology(MeterSpec.of(60, 200, s.sampleRate(),
                        source.frontEnd().calibration()), new EnergyRegister(2), new Metrology.Listener() {
                            @Override
                            public void onMeasurement(Measurement measurement) {
                            }

                            @Override
                            public void onAlarm(AlarmEvent event) {
                            }
                        });
                Runnable generate = fill;
                fill = () -> {
                    generate.run();
                    metrology.process(b);
                };
            }
            fills[m] = fill;
        }
        return fills;
    }

    /** Fills one block of every meter, repeatedly, for about {@code seconds} of CPU; pairs per CPU second. */
    private static double round(Runnable[] fills, ThreadMXBean mx, double seconds) {
        long cpu0 = mx.getCurrentThreadCpuTime();
        long pairs = 0;
        long cpu;
        do {
            for (Runnable f : fills) {
                f.run();
            }
            pairs += (long) fills.length * SimulatorFillBenchmark.BLOCK * 2;
            cpu = mx.getCurrentThreadCpuTime();
        } while (cpu - cpu0 < seconds * 1e9);
        return pairs / ((cpu - cpu0) / 1e9);
    }
}
