package org.minimeter.gateway.bench;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.PublishingMeter;
import org.minimeter.gateway.app.SparkplugBridge;
import org.minimeter.gateway.app.config.SparkplugSetup;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.mqtt.testing.Mosquitto;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.sparkplug.Deadband;
import org.minimeter.gateway.sparkplug.DeviceView;
import org.minimeter.gateway.sparkplug.EdgeNode;
import org.minimeter.gateway.sparkplug.EdgeNodeSettings;
import org.minimeter.gateway.sparkplug.Quantity;
import org.minimeter.gateway.sparkplug.SparkplugWire;

/**
 * The DDATA round trip at N meters: N simulated meters metering in real time in one gateway
 * (as {@link ScaleBenchmark}: 2 elements, 8 kHz, 12-bit front end with noise, the JSON publisher
 * sending power every second), the Sparkplug edge node scanning them every second with every
 * deadband at 0 (so every meter sends a DDATA at every scan, about 17 changed metrics each), a
 * local Mosquitto, and a subscriber host decoding every DDATA with the independent
 * {@link SparkplugWire}.
 *
 * <p>Round trip: from the moment the edge node read the meter (the metrics' timestamp, when
 * the scan took its snapshot) to the moment the host has the decoded message (same machine, same
 * wall clock, 1 ms resolution). Split at the payload timestamp (when the edge node encoded and
 * handed it to the session): time inside the edge node, then broker transit.
 *
 * <pre>mvn -B -q -Pbench test-compile exec:exec -Dbench.main=org.minimeter.gateway.bench.SparkplugLatencyBenchmark \
 *     -Dbench.jvm="-Xmx1g" -Djmh.args="60 1000"</pre>
 * Arguments: measured seconds (after 15 s of warm-up), the number of meters, then optionally
 * {@code synthetic} (the Sparkplug path alone: views whose values move at every read, no
 * metering, no JSON publisher) and {@code nodelay} (Mosquitto with {@code set_tcp_nodelay true}:
 * by default it leaves Nagle's algorithm on towards subscribers, which holds a small message
 * until the previous one's delayed ACK, about 40 ms).
 */
public final class SparkplugLatencyBenchmark {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        boolean noDelay = java.util.Arrays.asList(args).contains("nodelay");
        boolean synthetic = java.util.Arrays.asList(args).contains("synthetic");
        Path storage = Files.createTempDirectory("sparkplug-bench-");
        Map<String, SimulatorSettings> meters = new LinkedHashMap<>();
        for (int k = 0; k < n; k++) {
            meters.put(String.format(Locale.ROOT, "m%04d", k), SimulatorSettings.builder(60, 2, 200).sampleRate(8000)
                    .realisticFrontEnd().voltage(120).current(ScaleBenchmark.amps(k))
                    .phaseDeg(ScaleBenchmark.phaseDeg(k)).seed(k + 1).build());
        }
        Map<Quantity, Deadband> zero = new EnumMap<>(Quantity.class);
        for (Quantity q : Quantity.values()) {
            zero.put(q, new Deadband(0, false));
        }
        EdgeNodeSettings settings = new EdgeNodeSettings("bench", "gw", Optional.empty(), Duration.ofSeconds(1),
                Duration.ofSeconds(10), 64L << 20, zero);
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

        long[] total = new long[4_000_000];
        long[] inside = new long[total.length];
        long[] transit = new long[total.length];
        int[] count = {0};
        AtomicBoolean measuring = new AtomicBoolean();
        Mosquitto.Builder b = Mosquitto.builder().anonymous();
        if (noDelay) {
            b.configLine("set_tcp_nodelay true");
        }
        try (Mosquitto broker = b.start()) {
            Mqtt5AsyncClient host = MqttClient.builder().useMqttVersion5().identifier("bench-host")
                    .serverHost(broker.host()).serverPort(broker.port()).buildAsync();
            host.connect().get(10, TimeUnit.SECONDS);
            host.subscribeWith().topicFilter("spBv1.0/bench/DDATA/#").qos(MqttQos.AT_MOST_ONCE).callback(p -> {
                long now = System.currentTimeMillis();
                SparkplugWire.Payload d = SparkplugWire.decode(p.getPayloadAsBytes());
                if (!measuring.get() || d.metrics().isEmpty()) {
                    return;
                }
                long read = d.metrics().get(0).timestamp();
                synchronized (count) {
                    if (count[0] < total.length) {
                        total[count[0]] = now - read;
                        inside[count[0]] = d.timestamp() - read;
                        transit[count[0]] = now - d.timestamp();
                        count[0]++;
                    }
                }
            }).send().get(10, TimeUnit.SECONDS);

            PublishingMeter gw = synthetic ? null : new PublishingMeter(meters, storage,
                    PublishingMeter.plain(broker.host(), broker.port(), "bench-gw"), Duration.ofSeconds(10),
                    Duration.ofSeconds(1), Duration.ofSeconds(30), false).start();
            java.util.List<String> ids = java.util.List.copyOf(meters.keySet());
            SparkplugBridge sparkplug;
            if (synthetic) {
                // The Sparkplug path alone: views whose every value moves at every read, no metering.
                Map<String, DeviceView> views = new LinkedHashMap<>();
                ids.forEach(id -> views.put(id, new MovingView()));
                EdgeNode node = new EdgeNode(settings, ids, id -> Optional.ofNullable(views.get(id)),
                        SparkplugBridge.transport(PublishingMeter.plain(broker.host(), broker.port(), "bench-sp")),
                        storage.resolve("sparkplug"), java.time.Clock.systemUTC(), "bench");
                node.start();
                sparkplug = SparkplugBridge.wrap(node);
            } else {
                Map<String, MeterRuntime> byId = new LinkedHashMap<>();
                gw.meters.forEach(m -> byId.put(m.id(), m));
                sparkplug = SparkplugBridge.start(new SparkplugSetup(true, settings),
                        PublishingMeter.plain(broker.host(), broker.port(), "bench-gw"), storage, ids,
                        id -> Optional.ofNullable(byId.get(id)), "bench");
            }
            try {
                Thread.sleep(15_000);
                long cpu0 = os.getProcessCpuTime();
                long wall0 = System.nanoTime();
                long sent0 = sparkplug.stats().messages();
                sparkplug.node().resetLongestScan();
                measuring.set(true);
                Thread.sleep(seconds * 1000L);
                measuring.set(false);
                long cpu1 = os.getProcessCpuTime();
                long wall1 = System.nanoTime();
                long sent1 = sparkplug.stats().messages();
                int c;
                synchronized (count) {
                    c = count[0];
                }
                double wallS = (wall1 - wall0) / 1e9;
                long dropped = gw == null ? 0 : gw.meters.stream().mapToLong(m -> m.stats().droppedSamples()).sum();
                System.out.println("| meters | DDATA/s sent | DDATA/s received | round trip p50 / p95 / p99 / max (ms)"
                        + " | longest scan (ms) | encoded to received p99 (ms) | process CPU (% of one core)"
                        + " | dropped samples |");
                System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
                System.out.printf(Locale.ROOT, "| %d%s | %.0f | %.0f | %d / %d / %d / %d | %d | %d | %.1f | %d |%n", n,
                        (synthetic ? " (synthetic, no metering)" : "") + (noDelay ? " (broker: set_tcp_nodelay)" : ""),
                        (sent1 - sent0) / wallS, c / wallS, pct(total, c, 50), pct(total, c, 95), pct(total, c, 99), pct(total, c, 100),
                        sparkplug.stats().longestScanNanos() / 1_000_000, pct(transit, c, 99),
                        100.0 * (cpu1 - cpu0) / (wall1 - wall0), dropped);
            } finally {
                sparkplug.stop();
                if (gw != null) {
                    gw.close();
                }
                host.disconnect();
            }
        }
    }

    /** A meter whose every analog value moves at every read: a DDATA per scan with 17 metrics. */
    private static final class MovingView implements DeviceView {
        private final java.util.SplittableRandom random = new java.util.SplittableRandom();
        private long microWh;

        @Override
        public boolean available() {
            return true;
        }

        @Override
        public int elements() {
            return 2;
        }

        @Override
        public Measurement latest() {
            double v = 120 + random.nextDouble();
            double a = 10 + random.nextDouble();
            java.util.List<ElementReading> el = java.util.List.of(
                    new ElementReading(v, a, v * a, 1, v * a, 0, 0.99, java.util.Set.of()),
                    new ElementReading(v, a, v * a, 1, v * a, 0, 0.99, java.util.Set.of()));
            return new Measurement(0, 0.2, 60 + random.nextDouble() / 10, true, el, 2 * v * a, 2, 2 * v * a, 0.99,
                    java.util.Set.of(), energy());
        }

        @Override
        public EnergySnapshot energy() {
            microWh += 1_000_000;
            return new EnergySnapshot(new long[] {microWh, microWh / 2, microWh / 2}, new long[3], 0);
        }

        @Override
        public Map<String, Long> pulses() {
            return Map.of();
        }

        @Override
        public java.util.Collection<String> activeAlarms() {
            return java.util.List.of();
        }

        @Override
        public String sourceState() {
            return "running";
        }
    }

    private static long pct(long[] v, int n, int p) {
        if (n == 0) {
            return -1;
        }
        long[] s = Arrays.copyOf(v, n);
        Arrays.sort(s);
        return s[Math.min(n - 1, (int) Math.ceil(p / 100.0 * n) - 1)];
    }
}
