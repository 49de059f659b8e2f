package org.minimeter.gateway.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.minimeter.gateway.mqtt.testing.MosquittoSub;
import org.minimeter.gateway.mqtt.testing.RabbitCluster;

/**
 * A fleet on this machine: G gateway processes ({@link FleetGateway}) of M simulated meters each
 * (real time, 2 elements, loads 2-150 A, pulse outputs; power every 1 s, energy every 10 s) against a three-node RabbitMQ cluster started here. Each gateway lists the three nodes
 * rotated by its number, so the fleet spreads over the cluster. A subscriber on node 3 counts
 * what arrives. After a measured window, node 1 is killed (SIGKILL of its VM): the gateways that
 * were on it move on, and a second window is measured. At the end every gateway stops cleanly,
 * and the subscriber's pulses are checked per meter and output for gaps and duplicates, and
 * each meter's energy for a decrease.
 *
 * <pre>mvn -B -q -Pbench test-compile exec:exec -Dbench.main=org.minimeter.gateway.bench.FleetBenchmark \
 *     -Djmh.args="5 40 30 2000 5"</pre>
 * Arguments: gateways, meters per gateway, seconds per measured window, sample rate (Hz),
 * register saves per second per gateway ({@code storage.max-saves-per-second}).
 */
public final class FleetBenchmark {

    private static final Pattern SEQ = Pattern.compile("\"output\":\"([a-z0-9]+)\".*\"seq\":(\\d+)");
    private static final Pattern KWH = Pattern.compile("\"delivered_kwh\":([0-9.]+)");

    /** One status line of a gateway. */
    record Status(long ms, String broker, boolean connected, long reconnects, long depth, long acked) {
    }

    public static void main(String[] args) throws Exception {
        int gateways = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int meters = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        int window = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int rate = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
        int savesPerSecond = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        Path work = Files.createTempDirectory("fleet-");
        List<Process> children = new ArrayList<>();
        List<List<Status>> statuses = new ArrayList<>();
        long t0 = System.nanoTime();
        try (RabbitCluster cluster = RabbitCluster.start(3);
                MosquittoSub sub = MosquittoSub.builder(cluster.node(3).clientOptions()).topics("minimeter/#")
                        .startTimeout(Duration.ofSeconds(30)).start()) {
            System.out.printf(Locale.ROOT, "cluster of 3 nodes up in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9,
                    cluster);
            List<RabbitCluster.Node> nodes = cluster.nodes();
            for (int g = 0; g < gateways; g++) {
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-Xmx256m", "-Dfleet.saves-per-second=" + savesPerSecond, "-cp", System.getProperty("java.class.path"),
                        FleetGateway.class.getName(), Integer.toString(g), Integer.toString(meters),
                        Integer.toString(rate), work.resolve("g" + g).toString()));
                for (int k = 0; k < nodes.size(); k++) {
                    cmd.add(RabbitCluster.HOST + ":" + nodes.get((g + k) % nodes.size()).mqttPort());
                }
                Process p = new ProcessBuilder(cmd).redirectErrorStream(false)
                        .redirectError(ProcessBuilder.Redirect.appendTo(work.resolve("g" + g + ".log").toFile()))
                        .start();
                children.add(p);
                List<Status> list = new CopyOnWriteArrayList<>();
                statuses.add(list);
                Thread reader = new Thread(() -> read(p, list), "fleet-g" + g);
                reader.setDaemon(true);
                reader.start();
            }
            Thread.sleep(15_000); // JVM start, every meter past its first windows and pulses
            Window before = measure(window, sub, statuses, children, cluster);
            Map<Integer, String> onBefore = placement(statuses, cluster);

            RabbitCluster.Node victim = cluster.node(1);
            long killedMs = System.currentTimeMillis();
            victim.kill();
            Window after = measure(window, sub, statuses, children, cluster);
            Map<Integer, String> onAfter = placement(statuses, cluster);

            for (Process p : children) {
                p.destroy();
            }
            for (Process p : children) {
                p.waitFor(30, TimeUnit.SECONDS);
            }
            awaitQuiet(sub);

            System.out.println();
            System.out.printf(Locale.ROOT, "%d gateways x %d meters on 3 RabbitMQ 3.10 nodes, subscriber on %s%n",
                    gateways, meters, cluster.node(3).name());
            System.out.println("| window | msgs/s at subscriber (all) | pulse (QoS 1) | energy (QoS 1) | power (QoS 0) |"
                    + " QoS 1 PUBACKs/s (gateways) | worst outbox depth | CPU, gateways (% of a core) |"
                    + " CPU, RabbitMQ nodes (% of a core) |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            System.out.println(before.row("before the kill"));
            System.out.println(after.row("after killing " + victim.name()));
            System.out.println();
            System.out.println("placement before: " + onBefore + "; after: " + onAfter);
            for (int g = 0; g < gateways; g++) {
                if (onBefore.get(g).equals(victim.name())) {
                    System.out.println("  g" + g + ": " + failover(statuses.get(g), killedMs));
                }
            }
            pulseReport(sub, gateways, meters);
            for (int g = 0; g < gateways; g++) {
                Files.write(work.resolve("g" + g + ".status"), statuses.get(g).stream().map(Status::toString).toList());
            }
            System.out.println("gateway logs and status lines: " + work);
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
            }
        }
    }

    private static void read(Process p, List<Status> into) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ");
                if (f[0].equals("STATUS") && f.length == 7) {
                    into.add(new Status(Long.parseLong(f[1]), f[2], Boolean.parseBoolean(f[3]), Long.parseLong(f[4]),
                            Long.parseLong(f[5]), Long.parseLong(f[6])));
                } else if (f[0].equals("STOPPED")) {
                    System.out.println("  a gateway stopped with " + f[1] + " message(s) left in its outbox");
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
    }

    /** What one measured window saw. */
    record Window(double seconds, long all, long pulse, long energy, long power, long acked, long worstDepth,
            double gatewayCpu, double rabbitCpu) {
        String row(String name) {
            return String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.1f | %.0f | %.0f | %d | %.0f | %.0f |", name,
                    all / seconds, pulse / seconds, energy / seconds, power / seconds, acked / seconds, worstDepth,
                    gatewayCpu, rabbitCpu);
        }
    }

    private static Window measure(int seconds, MosquittoSub sub, List<List<Status>> statuses, List<Process> children,
            RabbitCluster cluster) throws Exception {
        Instant from = Instant.now();
        long ms0 = System.currentTimeMillis();
        long gw0 = children.stream().mapToLong(p -> cpuTicks(p.pid())).sum();
        long rb0 = cluster.nodes().stream().mapToLong(n -> cpuTicks(n.pid())).sum();
        long acked0 = statuses.stream().mapToLong(FleetBenchmark::lastAcked).sum();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        double wall = (System.nanoTime() - t0) / 1e9;
        long gw1 = children.stream().mapToLong(p -> cpuTicks(p.pid())).sum();
        long rb1 = cluster.nodes().stream().mapToLong(n -> cpuTicks(n.pid())).sum();
        long acked1 = statuses.stream().mapToLong(FleetBenchmark::lastAcked).sum();
        Instant to = Instant.now();
        long all = 0;
        long pulse = 0;
        long energy = 0;
        long power = 0;
        for (MosquittoSub.Message m : sub.messages()) {
            if (m.receivedAt().isBefore(from) || m.receivedAt().isAfter(to)) {
                continue;
            }
            all++;
            if (m.topic().endsWith("/pulse")) {
                pulse++;
            } else if (m.topic().endsWith("/energy")) {
                energy++;
            } else if (m.topic().endsWith("/power")) {
                power++;
            }
        }
        long ms1 = System.currentTimeMillis();
        long depth = 0;
        for (List<Status> s : statuses) {
            for (Status st : s) {
                if (st.ms() >= ms0 && st.ms() <= ms1) {
                    depth = Math.max(depth, st.depth());
                }
            }
        }
        // rabbit nodes killed during the window count up to their death only (their ticks are gone)
        return new Window(wall, all, pulse, energy, power, acked1 - acked0, depth, 100.0 * (gw1 - gw0) / 100 / wall,
                100.0 * Math.max(0, rb1 - rb0) / 100 / wall);
    }

    private static long lastAcked(List<Status> s) {
        return s.isEmpty() ? 0 : s.get(s.size() - 1).acked();
    }

    /** Which node each gateway is on now. */
    private static Map<Integer, String> placement(List<List<Status>> statuses, RabbitCluster cluster) {
        Map<Integer, String> on = new java.util.TreeMap<>();
        for (int g = 0; g < statuses.size(); g++) {
            List<Status> s = statuses.get(g);
            Status last = s.get(s.size() - 1);
            int port = Integer.parseInt(last.broker().substring(last.broker().lastIndexOf(':') + 1));
            on.put(g, cluster.nodeWithMqttPort(port).name() + (last.connected() ? "" : " (disconnected)"));
        }
        return on;
    }

    /** From the kill to connected on another node, and the outbox's peak meanwhile. */
    private static String failover(List<Status> s, long killedMs) {
        String firstBroker = null;
        long lostAt = -1;
        long backAt = -1;
        long peak = 0;
        for (Status st : s) {
            if (st.ms() < killedMs) {
                firstBroker = st.broker();
                continue;
            }
            if (lostAt < 0 && !st.connected()) {
                lostAt = st.ms();
            }
            if (backAt < 0 && st.connected() && !st.broker().equals(firstBroker)) {
                backAt = st.ms();
            }
            if (backAt < 0 || st.ms() < backAt + 5000) {
                peak = Math.max(peak, st.depth());
            }
        }
        return String.format(Locale.ROOT, "from %s to %s: connected again %.2f s after the kill (status every 250 ms),"
                + " outbox peak %d", firstBroker, backAt < 0 ? "(never)" : brokerAt(s, backAt),
                backAt < 0 ? Double.NaN : (backAt - killedMs) / 1000.0, peak);
    }

    private static String brokerAt(List<Status> s, long ms) {
        return s.stream().filter(st -> st.ms() == ms).findFirst().map(Status::broker).orElse("?");
    }

    private static void awaitQuiet(MosquittoSub sub) throws InterruptedException {
        int last = -1;
        while (sub.messages().size() != last) {
            last = sub.messages().size();
            Thread.sleep(2000);
        }
    }

    private static void pulseReport(MosquittoSub sub, int gateways, int meters) {
        Map<String, TreeSet<Long>> seqs = new HashMap<>();
        long pulses = 0;
        for (MosquittoSub.Message m : sub.messages("minimeter/+/pulse")) {
            Matcher x = SEQ.matcher(m.payload());
            if (x.find()) {
                seqs.computeIfAbsent(m.topic() + " " + x.group(1), k -> new TreeSet<>()).add(Long.parseLong(x.group(2)));
                pulses++;
            }
        }
        long unique = seqs.values().stream().mapToLong(TreeSet::size).sum();
        long gaps = seqs.values().stream().mapToLong(s -> s.last() - s.first() + 1 - s.size()).sum();
        long notFromOne = seqs.values().stream().filter(s -> s.first() != 1).count();
        Map<String, Double> lastKwh = new HashMap<>();
        long decreases = 0;
        long energies = 0;
        for (MosquittoSub.Message m : sub.messages("minimeter/+/energy")) {
            Matcher x = KWH.matcher(m.payload());
            if (x.find()) {
                double v = Double.parseDouble(x.group(1));
                Double before = lastKwh.put(m.topic(), v);
                if (before != null && v < before) {
                    decreases++;
                }
                energies++;
            }
        }
        long metersSeen = seqs.keySet().stream().map(k -> k.substring(0, k.indexOf(' '))).distinct().count();
        System.out.printf(Locale.ROOT, "pulses: %d meter outputs on %d of %d meters, %d pulse messages, %d distinct"
                + " seqs, %d duplicates, %d missing seqs, %d series not starting at 1; energy: %d messages, %d"
                + " decreases%n", seqs.size(), metersSeen, gateways * meters, pulses, unique, pulses - unique, gaps,
                notFromOne, energies, decreases);
    }

    /** utime + stime of a process in clock ticks (100 per second), 0 once it is gone. */
    private static long cpuTicks(long pid) {
        if (pid <= 0) {
            return 0;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
