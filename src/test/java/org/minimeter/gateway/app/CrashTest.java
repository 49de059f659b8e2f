package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;

/**
 * Kills a gateway JVM with SIGKILL at random moments while it accumulates energy at a known
 * rate, restarts it on the same register each time, and checks the persistence promise:
 * the register never decreases, a kill loses at most the documented bound, no pulse seq is
 * skipped (a kill between handing events over and the save repeats them: at least once),
 * and pulses x quantum matches the register.
 */
class CrashTest {

    static final int KILLS = 50;
    static final double SPEED = 20;
    /** 2 elements x 120 V x 100 A, in Wh per wall-clock second at SPEED. */
    static final double WH_PER_SECOND = 2 * 120 * CrashChild.AMPS * SPEED / 3600;
    /**
     * The documented bound (README, persistence): max(save-wh, P x save-interval) plus P x
     * (register tick 0.1 s + window 0.2 s + block 0.05 s, the last two in simulated time),
     * plus 0.1 s of wall time for a save's fsync and scheduling.
     */
    static final double BOUND_WH = Math.max(1, WH_PER_SECOND * 1.0)
            + WH_PER_SECOND * (0.1 + (0.2 + 0.05) / SPEED + 0.1);

    @TempDir
    Path storage;

    record Run(long startMicroWh, long lastLive, long maxDurable, List<String[]> pulses) {
    }

    @Test
    void sigkillAtRandomMoments_neverLosesMoreThanTheBoundNorRepeatsOrSkipsAPulse() throws Exception {
        Random random = new Random(20261123);
        long previous = 0;
        double worstLossWh = 0;
        double lossSum = 0;
        Map<String, TreeSet<Long>> seen = new HashMap<>();
        Map<String, Integer> repeats = new HashMap<>();
        for (int kill = 0; kill < KILLS; kill++) {
            Run run = runAndKill(200 + random.nextInt(900));
            long loaded = loadedDelivered();
            assertThat(run.startMicroWh()).as("kill %d: start equals what the last run left", kill).isEqualTo(previous);
            assertThat(loaded).as("kill %d: the register never decreases", kill).isGreaterThanOrEqualTo(previous);
            assertThat(loaded).as("kill %d: nothing published is lost", kill).isGreaterThanOrEqualTo(run.maxDurable());
            double lossWh = (run.lastLive() - loaded) / 1e6;
            assertThat(lossWh).as("kill %d: loss within %.1f Wh", kill, BOUND_WH).isLessThanOrEqualTo(BOUND_WH);
            worstLossWh = Math.max(worstLossWh, lossWh);
            lossSum += Math.max(0, lossWh);
            for (String[] p : run.pulses()) {
                if (!seen.computeIfAbsent(p[1], k -> new TreeSet<>()).add(Long.parseLong(p[2]))) {
                    repeats.merge(p[1], 1, Integer::sum);
                }
            }
            previous = loaded;
        }
        // Events are handed over just before the save that makes them durable: a kill in
        // between repeats them after restart, never skips them. At most one save's worth per kill.
        int maxRepeatsPerKill = (int) Math.ceil(BOUND_WH / 10) + 1;
        assertThat(repeats.getOrDefault("pulse10", 0)).as("repeated pulse10 seqs")
                .isLessThanOrEqualTo(KILLS * maxRepeatsPerKill);
        Map<String, Long> quantaWh = Map.of("pulse10", 10L, "pulse100", 100L, "pulse1000", 1000L, "counter", 100L);
        RegisterState last = loadedState();
        for (var q : quantaWh.entrySet()) {
            TreeSet<Long> seqs = seen.getOrDefault(q.getKey(), new TreeSet<>());
            long expected = last.energy().deliveredMicroWh(0) / (q.getValue() * 1_000_000L);
            assertThat(seqs).as("%s: every seq from 1 to %d, none skipped", q.getKey(), expected)
                    .hasSize((int) expected);
            if (expected > 0) {
                assertThat(seqs.first()).isEqualTo(1);
                assertThat(seqs.last()).isEqualTo(expected);
            }
            assertThat(last.sequence(q.getKey())).isEqualTo(expected);
        }
        System.out.printf(Locale.ROOT, "%nCrash test: %d SIGKILLs at %.1f Wh/s: register %.3f kWh, worst loss %.2f Wh,"
                        + " mean loss %.2f Wh, bound %.2f Wh; pulse10 seq 1..%d none skipped, %d repeated;"
                        + " counter seq 1..%d%n",
                KILLS, WH_PER_SECOND, last.energy().deliveredKwh(0), worstLossWh, lossSum / KILLS, BOUND_WH,
                last.sequence("pulse10"), repeats.getOrDefault("pulse10", 0), last.sequence("counter"));
    }

    private Run runAndKill(long aliveMillis) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), CrashChild.class.getName(), storage.toString(),
                Double.toString(SPEED)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = in.readLine();
        assertThat(first).as("child start").isNotNull().startsWith("ready ");
        long start = Long.parseLong(first.split(" ")[2]);
        // Read the child's output while it runs: what is in the pipe when it dies is kept.
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            char[] buf = new char[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    output.append(buf, 0, n);
                }
            } catch (java.io.IOException e) {
                // the stream ends with the process
            }
        });
        reader.start();
        Thread.sleep(aliveMillis);
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        // The reader must have drained the pipe: a pulse line still unread when the run is
        // judged would look like a skipped seq (the save after it is durable).
        reader.join(60_000);
        assertThat(reader.isAlive()).as("the child's output was read to its end").isFalse();
        long lastLive = start;
        long maxDurable = start;
        List<String[]> pulses = new ArrayList<>();
        // Only whole lines count: the kill may cut the last one.
        String all = output.toString();
        int end = all.lastIndexOf('\n');
        for (String line : (end < 0 ? "" : all.substring(0, end)).split("\n")) {
            String[] f = line.split(" ");
            if (f[0].equals("live") && f.length == 4) {
                lastLive = Long.parseLong(f[1]);
                maxDurable = Math.max(maxDurable, Long.parseLong(f[3]));
            } else if (f[0].equals("pulse") && f.length == 3) {
                pulses.add(f);
            }
        }
        return new Run(start, lastLive, maxDurable, pulses);
    }

    private RegisterState loadedState() {
        try (RegisterStore store = new RegisterStore(storage, "crash", 3)) {
            RegisterStore.Loaded l = store.load();
            return l.fresh() ? RegisterState.empty(2) : l.state();
        }
    }

    private long loadedDelivered() {
        return loadedState().energy().deliveredMicroWh(0);
    }
}
