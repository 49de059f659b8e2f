package org.minimeter.gateway.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.nio.file.Files;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.SimulatedMeter;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/**
 * CPU used by the real sampling loop in real time: a 2-element meter at 8 kHz fed by the
 * simulator at speed 1 (12-bit front end with noise), the production {@link MeterRuntime}
 * sampling thread (with its outputs and register threads running beside it), its CPU time read from the JVM after the given number of seconds. The simulator's
 * own waveform generation runs on that thread too, so the figure is an upper bound for the
 * loop behind a hardware front end.
 *
 * <p>Run: {@code mvn -B -q -Pbench test-compile exec:exec
 * -Dbench.main=org.minimeter.gateway.bench.SamplingLoopCpuProbe -Djmh.args=60}
 */
public final class SamplingLoopCpuProbe {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 8000;
        SimulatorSettings s = SimulatorSettings.builder(60, 2, 200).sampleRate(rate).realisticFrontEnd().build();
        MeterRuntime meter = SimulatedMeter.build("probe", s, Files.createTempDirectory("probe"));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        meter.start();
        Thread.sleep(5000); // JIT warm-up
        long tid = samplerThreadId("sampler-probe");
        long cpu0 = mx.getThreadCpuTime(tid);
        long wall0 = System.nanoTime();
        long samples0 = meter.stats().samples();
        Thread.sleep(seconds * 1000L);
        long cpu1 = mx.getThreadCpuTime(tid);
        long wall1 = System.nanoTime();
        long samples1 = meter.stats().samples();
        meter.stop();
        double cpuShare = (cpu1 - cpu0) / (double) (wall1 - wall0);
        System.out.printf(Locale.ROOT,
                "sampling loop: %d elements at %d samples/s, %d s: %.0f sample pairs/s metered, "
                        + "thread CPU %.3f %% of one core (%.2f us per 50 ms block), dropped %d%n",
                2, rate, seconds, 2.0 * (samples1 - samples0) / ((wall1 - wall0) / 1e9), cpuShare * 100,
                (cpu1 - cpu0) / 1e3 / ((samples1 - samples0) / (rate * 0.05)), meter.stats().droppedSamples());
    }

    private static long samplerThreadId(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t.getId();
            }
        }
        throw new IllegalStateException("no thread " + name);
    }
}
