package org.minimeter.gateway.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.PublishingMeter;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.mqtt.testing.Mosquitto;

/**
 * Cost per meter: N simulated meters (2 elements, 8 kHz, 12-bit front end with noise and
 * skew, constant loads that differ per meter) in real time in one gateway, publishing power
 * every 1 s and energy every 10 s through the one outbox and MQTT session to a local
 * Mosquitto. Measures the whole process (CPU, RSS, threads, bytes written), the fsyncs
 * (outbox group commits and register saves) and, per meter, the registered energy against
 * V x I x cos(phi) x t over exactly the samples metered.
 *
 * <pre>mvn -B -q -Pbench test-compile exec:exec -Dbench.main=org.minimeter.gateway.bench.ScaleBenchmark \
 *     -Dbench.jvm="-Xmx256m -Xss256k" -Djmh.args="60 1 10 100 1000"</pre>
 * Arguments: measured seconds, then the values of N.
 */
public final class ScaleBenchmark {

    private static final int RATE = 8000;
    private static final double VOLTS = 120;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int[] ns = new int[Math.max(1, args.length - 1)];
        ns[0] = 1;
        for (int k = 1; k < args.length; k++) {
            ns[k - 1] = Integer.parseInt(args[k]);
        }
        try (Mosquitto broker = Mosquitto.builder().anonymous().start()) {
            System.out.println("| meters | process CPU (% of one core) | RSS (MiB) | threads | fsyncs/s | disk written"
                    + " per day (MiB) | dropped samples | worst sampling lag (ms) | worst energy error |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            for (int n : ns) {
                System.out.println(run(n, seconds, broker));
            }
        }
    }

    static double amps(int k) {
        return 2 + (k * 7.3) % 150;
    }

    static double phaseDeg(int k) {
        return (k % 4) * 15.0;
    }

    private static String run(int n, int seconds, Mosquitto broker) throws Exception {
        Path storage = Files.createTempDirectory("scale-" + n);
        Map<String, SimulatorSettings> meters = new LinkedHashMap<>();
        for (int k = 0; k < n; k++) {
            meters.put(String.format(Locale.ROOT, "m%04d", k), SimulatorSettings.builder(60, 2, 200)
                    .sampleRate(RATE).realisticFrontEnd().voltage(VOLTS).current(amps(k)).phaseDeg(phaseDeg(k))
                    .seed(k + 1).build());
        }
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        PublishingMeter gw = new PublishingMeter(meters, storage,
                PublishingMeter.plain(broker.host(), broker.port(), "scale-" + n), Duration.ofSeconds(10),
                Duration.ofSeconds(1), Duration.ofSeconds(30), false).start();
        try {
            Thread.sleep(10_000); // JIT warm-up, every meter past its first windows
            long cpu0 = os.getProcessCpuTime();
            long wall0 = System.nanoTime();
            long io0 = writeBytes();
            long fsync0 = fsyncs(gw);
            long dropped0 = dropped(gw);
            Thread.sleep(seconds * 1000L);
            long cpu1 = os.getProcessCpuTime();
            long wall1 = System.nanoTime();
            long io1 = writeBytes();
            long fsync1 = fsyncs(gw);
            long dropped1 = dropped(gw);
            double wallS = (wall1 - wall0) / 1e9;
            long threads = ManagementFactory.getThreadMXBean().getThreadCount();
            long rss = rssKib();
            double worst = 0;
            long lag = 0;
            int k = 0;
            for (MeterRuntime m : gw.meters) {
                // The registered energy of exactly the samples metered so far, against the analytic value.
                var e = m.energy();
                double t = e.committedSamples() / (double) RATE;
                double expectedUwh = 2 * VOLTS * amps(indexOf(m.id())) * Math.cos(Math.toRadians(phaseDeg(indexOf(m.id()))))
                        * t / 3600 * 1e6;
                double err = Math.abs(e.deliveredMicroWh(0) - expectedUwh) / expectedUwh;
                worst = Math.max(worst, err);
                lag = Math.max(lag, m.maxLagNanos());
                k++;
            }
            return String.format(Locale.ROOT, "| %d | %.1f | %d | %d | %.1f | %.0f | %d | %d | %.4f %% |", n,
                    100.0 * (cpu1 - cpu0) / (wall1 - wall0), rss / 1024, threads, (fsync1 - fsync0) / wallS,
                    (io1 - io0) / wallS * 86400 / (1 << 20), dropped1 - dropped0 + dropped0, lag / 1_000_000,
                    worst * 100);
        } finally {
            gw.close();
        }
    }

    private static int indexOf(String id) {
        return Integer.parseInt(id.substring(1));
    }

    private static long dropped(PublishingMeter gw) {
        return gw.meters.stream().mapToLong(m -> m.stats().droppedSamples()).sum();
    }

    private static long fsyncs(PublishingMeter gw) {
        // Each register save forces the new file and its directory.
        return gw.publisher.outboxFsyncs() + 2 * gw.meters.stream().mapToLong(MeterRuntime::saves).sum();
    }

    private static long writeBytes() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
            if (line.startsWith("write_bytes:")) {
                return Long.parseLong(line.substring(12).trim());
            }
        }
        return 0;
    }

    private static long rssKib() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
