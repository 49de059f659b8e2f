package org.minimeter.gateway.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.ModbusBridge;
import org.minimeter.gateway.app.PublishingMeter;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.modbus.MeterServer;
import org.minimeter.gateway.modbus.ModbusSettings;
import org.minimeter.gateway.modbus.RegisterMap;
import org.minimeter.gateway.mqtt.testing.Mosquitto;

/**
 * What Modbus clients cost a running gateway: N simulated meters in real time (as the scale
 * benchmark: 2 elements, 8 kHz, 12-bit front end, MQTT to a local Mosquitto) with the Modbus
 * server on, polled by C independent clients (Debian's {@code mbpoll}, separate processes, so
 * their own CPU is not the gateway's), each reading 125 SunSpec registers of one meter per
 * poll. Three runs, each on a fresh gateway whose clients are connected before its meters
 * start (so the worst lag covers the whole time the meters ran under that load): no clients;
 * C clients polling once a second; F clients polling every 10 ms, above their limit of 50
 * requests/s. A first run of the C clients, not reported, warms the JIT. Each reports the
 * gateway's process CPU, the Modbus thread's own CPU, requests answered per second, the worst
 * lateness of a sample block behind its due time and the samples dropped.
 *
 * <pre>mvn -B -q -Pbench test-compile exec:exec -Dbench.main=org.minimeter.gateway.bench.ModbusLoadBenchmark \
 *     -Dbench.jvm="-Xmx384m" -Djmh.args="60 10 100 16"</pre>
 * Arguments: measured seconds, meters N, clients C, flooding clients F.
 */
public final class ModbusLoadBenchmark {

    private static final int RATE = 8000;
    private static final int WARM_UP_SECONDS = 10;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int meters = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int flood = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        try (Mosquitto broker = Mosquitto.builder().anonymous().start()) {
            System.out.println("| Modbus clients | requests answered/s | gateway process CPU (% of one core) |"
                    + " modbus-tcp thread CPU (% of one core) | worst sampling lag, whole run (ms) |"
                    + " worst lag set in the measured window (ms) | dropped samples |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
            run(meters, clients, 1000, 10, broker, "JIT warm-up");
            System.out.println(run(meters, 0, 1000, seconds, broker, "none"));
            System.out.println(run(meters, clients, 1000, seconds, broker, clients + " polling once a second"));
            System.out.println(run(meters, flood, 10, seconds, broker, flood + " polling every 10 ms (over their limit)"));
        }
    }

    private static String run(int n, int clients, int pollMs, int seconds, Mosquitto broker, String label)
            throws Exception {
        Path storage = Files.createTempDirectory("modbus-bench-");
        Map<String, SimulatorSettings> settings = new LinkedHashMap<>();
        Map<String, Integer> units = new LinkedHashMap<>();
        for (int k = 0; k < n; k++) {
            String id = String.format(Locale.ROOT, "m%03d", k);
            settings.put(id, SimulatorSettings.builder(60, 2, 200).sampleRate(RATE).realisticFrontEnd().voltage(120)
                    .current(5 + 3 * k % 150).phaseDeg(15 * (k % 4)).seed(k + 1).build());
            units.put(id, k + 1);
        }
        PublishingMeter gw = new PublishingMeter(settings, storage,
                PublishingMeter.plain(broker.host(), broker.port(), "modbus-bench"), Duration.ofSeconds(10),
                Duration.ofSeconds(1), Duration.ofSeconds(30), false);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ModbusBridge bridge = ModbusBridge.start(new ModbusSettings("127.0.0.1", port, RegisterMap.SUNSPEC,
                Math.max(16, clients + 8), Duration.ofSeconds(60), 50), units,
                id -> gw.meters.stream().filter(m -> m.id().equals(id)).findFirst(), "bench");
        List<Process> polling = new ArrayList<>();
        try {
            for (int c = 0; c < clients; c++) {
                polling.add(new ProcessBuilder("mbpoll", "-m", "tcp", "-p", "" + port, "-a", "" + (1 + c % n), "-0",
                        "-r", "40000", "-c", "125", "-t", "4", "-l", "" + pollMs, "-o", "1", "127.0.0.1")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start());
            }
            long until = System.nanoTime() + 20_000_000_000L;
            while (bridge.stats().open() < clients && System.nanoTime() < until) {
                Thread.sleep(100);
            }
            // the clients poll (answered "no current values" until the first windows) before sampling starts
            gw.start();
            Thread.sleep(WARM_UP_SECONDS * 1000L);
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long server0 = serverThreadCpu();
            long wall0 = System.nanoTime();
            long requests0 = bridge.stats().requests();
            long lag0 = gw.meters.stream().mapToLong(MeterRuntime::maxLagNanos).max().orElse(0);
            Thread.sleep(seconds * 1000L);
            long cpu1 = os.getProcessCpuTime();
            long server1 = serverThreadCpu();
            long wall1 = System.nanoTime();
            MeterServer.Stats stats = bridge.stats();
            long lag = gw.meters.stream().mapToLong(MeterRuntime::maxLagNanos).max().orElse(0);
            long dropped = gw.meters.stream().mapToLong(m -> m.stats().droppedSamples()).sum();
            double wall = wall1 - wall0;
            // maxLagNanos is the worst since the meter started: a new worst in the measured window shows as a rise
            return String.format(Locale.ROOT, "| %s | %.0f | %.1f | %.2f | %d | %s | %d |", label,
                    (stats.requests() - requests0) / (wall / 1e9), 100.0 * (cpu1 - cpu0) / wall,
                    100.0 * (server1 - server0) / wall, lag / 1_000_000,
                    lag > lag0 ? String.valueOf(lag / 1_000_000) : "none above " + lag0 / 1_000_000, dropped)
                    + (clients > 0 ? String.format(Locale.ROOT, " <!-- %d connections accepted, %d refused,"
                            + " %d throttled -->", stats.accepted(), stats.refused(), stats.throttled()) : "");
        } finally {
            for (Process p : polling) {
                p.destroy();
            }
            for (Process p : polling) {
                p.waitFor();
            }
            bridge.close();
            gw.close();
        }
    }

    /** CPU time of the Modbus server's thread. */
    private static long serverThreadCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("modbus-tcp")) {
                total += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
            }
        }
        return total;
    }
}
