package org.minimeter.gateway.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.jboss.logging.Logger;
import org.minimeter.gateway.persistence.Outbox;
import org.minimeter.gateway.persistence.Outbox.Kind;
import org.minimeter.gateway.persistence.Outbox.Message;

/**
 * Throughput of the one gateway outbox with 1000 meters (1000 distinct energy topics): each
 * tick every meter appends one message without an fsync, then one sync makes the tick
 * durable. Reports messages/s and fsyncs per 1000 messages for: a broker outage (nothing
 * acknowledged), a connected broker (each tick's messages acknowledged before the next
 * sync), four threads of 250 meters each syncing their own appends (shared fsyncs), and,
 * for contrast, one fsync per message ({@link Outbox#append} per message). The figures
 * depend on the disk: run it on the storage the gateway will use.
 *
 * <p>Run: {@code mvn -B -q -Pbench test-compile exec:exec
 * -Dbench.main=org.minimeter.gateway.bench.OutboxGroupCommitBenchmark -Djmh.args="<dir> <ticks>"}
 */
public final class OutboxGroupCommitBenchmark {

    private static final Logger LOG = Logger.getLogger(OutboxGroupCommitBenchmark.class);
    private static final int METERS = 1000;

    public static void main(String[] args) throws Exception {
        Path base = args.length > 0 ? Path.of(args[0]) : Path.of(System.getProperty("java.io.tmpdir"));
        int ticks = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        Files.createDirectories(base);
        Path work = Files.createTempDirectory(base, "outbox-bench-");
        try {
            run(work.resolve("warm-up"), Math.max(5, ticks / 5), false, "warm-up");
            run(work.resolve("outage"), ticks, false, "outage: appendLater x1000 + sync per tick");
            run(work.resolve("connected"), ticks, true, "connected: appendLater x1000 + acks + sync per tick");
            threads(work.resolve("threads"), ticks);
            perMessage(work.resolve("per-message"), 2000);
        } finally {
            deleteDirectory(work);
        }
    }

    private static List<Message> tick(int t) {
        List<Message> out = new ArrayList<>(METERS);
        for (int m = 0; m < METERS; m++) {
            out.add(energy(m, t));
        }
        return out;
    }

    private static Message energy(int meter, int tick) {
        String payload = "{\"ts\":\"2026-11-30T02:00:" + String.format("%02d", tick % 60)
                + "Z\",\"delivered_kwh\":" + (1000 + tick) + ".123,\"received_kwh\":0.000}";
        return Message.of(Kind.ENERGY, "mm/meter-" + String.format("%04d", meter) + "/energy", payload.getBytes(UTF_8), 1, true);
    }

    private static void run(Path dir, int ticks, boolean acknowledge, String label) {
        try (Outbox o = new Outbox(dir, 256L << 20)) {
            long f0 = o.fsyncs();
            long t0 = System.nanoTime();
            long messages = 0;
            for (int t = 0; t < ticks; t++) {
                for (Message m : tick(t)) {
                    o.appendLater(List.of(m));
                }
                messages += METERS;
                if (acknowledge) {
                    for (Message m : o.peek(METERS)) {
                        o.acknowledge(m.seq());
                    }
                }
                o.sync();
            }
            report(label, messages, System.nanoTime() - t0, o.fsyncs() - f0);
        }
    }

    private static void threads(Path dir, int ticks) throws InterruptedException {
        int threads = 4;
        try (Outbox o = new Outbox(dir, 256L << 20)) {
            long f0 = o.fsyncs();
            long t0 = System.nanoTime();
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                int from = w * (METERS / threads);
                Thread th = new Thread(() -> {
                    for (int t = 0; t < ticks; t++) {
                        for (int m = from; m < from + METERS / threads; m++) {
                            o.appendLater(List.of(energy(m, t)));
                        }
                        o.sync();
                    }
                }, "bench-" + w);
                workers.add(th);
                th.start();
            }
            for (Thread th : workers) {
                th.join();
            }
            report(threads + " threads x 250 meters, each appendLater + sync per tick", (long) ticks * METERS,
                    System.nanoTime() - t0, o.fsyncs() - f0);
        }
    }

    private static void perMessage(Path dir, int messages) {
        try (Outbox o = new Outbox(dir, 256L << 20)) {
            long f0 = o.fsyncs();
            long t0 = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                o.append(List.of(energy(i % METERS, i / METERS)));
            }
            report("contrast: append (one fsync) per message", messages, System.nanoTime() - t0, o.fsyncs() - f0);
        }
    }

    private static void report(String label, long messages, long nanos, long fsyncs) {
        double seconds = nanos / 1e9;
        LOG.infof("%-62s %9d msgs %8.2f s %10.0f msgs/s %7.2f fsyncs/1000 msgs %7.1f fsyncs/s", label, messages,
                seconds, messages / seconds, 1000.0 * fsyncs / messages, fsyncs / seconds);
    }

    private static void deleteDirectory(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
