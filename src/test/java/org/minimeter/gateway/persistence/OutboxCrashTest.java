package org.minimeter.gateway.persistence;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.persistence.Outbox.Kind;
import org.minimeter.gateway.persistence.Outbox.Message;

/**
 * A kill -9 leaves the files exactly as they are at that instant (the page cache survives
 * the process). These tests take copies of the outbox directory at such instants and open
 * them as a restarted gateway would.
 */
class OutboxCrashTest {

    private static final long MAX = 1 << 20;
    private static final long SEGMENT = 2048;
    private static final long JOURNAL = 1024;

    @TempDir
    Path disk;

    /** Where the runs and their copies live. */
    Path root;

    @BeforeEach
    void useRamDiskIfThereIsOne() throws IOException {
        root = ramDirectory(disk);
    }

    @AfterEach
    void removeRamDirectory() throws IOException {
        if (!root.equals(disk)) {
            deleteDirectory(root);
        }
    }

    /**
     * A kill -9 leaves the page cache behind, so what these tests check does not depend on
     * fsync; on a RAM disk their hundreds of restarts take a second instead of ten.
     */
    static Path ramDirectory(Path fallback) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, "outbox-test-");
        }
        return fallback;
    }

    /** What the test has been told by calls that returned. */
    private static final class Model {
        final TreeMap<Long, Message> confirmed = new TreeMap<>();
        final TreeSet<Long> unacked = new TreeSet<>();
        final Set<Long> acked = new HashSet<>();
        List<Message> appending = List.of();
        long appendingFirst;
        long acking = -1;
        long nextSeq = 1;
    }

    @Test
    void killBeforeAnyStepThatChangesTheDisk_losesNothingAppended_andResendsNothingAcknowledged() throws IOException {
        Random rnd = new Random(20261123);
        Random crashRnd = new Random(42);
        Path dir = root.resolve("outbox");
        Model model = new Model();
        Map<String, Integer> steps = new TreeMap<>();
        int[] snapshots = {0};
        Outbox.CrashPoint crash = (file, pending) -> {
            steps.merge(step(file, pending), 1, Integer::sum);
            if (crashRnd.nextInt(100) < 15) {
                snapshots[0]++;
                Path copy = root.resolve("kill-" + snapshots[0]);
                try {
                    copyDirectory(dir, copy);
                    if (pending != null && crashRnd.nextBoolean()) {
                        // killed part-way through this write
                        Files.write(copy.resolve(file.getFileName()),
                                Arrays.copyOf(pending, crashRnd.nextInt(pending.length + 1)),
                                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                    verifyRestart(copy, model);
                    deleteDirectory(copy);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        Outbox o = new Outbox(dir, MAX, SEGMENT, JOURNAL, crash);
        try {
            for (int op = 0; op < 1200; op++) {
                int r = rnd.nextInt(100);
                if (r < 40 || model.unacked.isEmpty()) {
                    List<Message> batch = randomBatch(rnd, () -> "m1");
                    model.appending = batch;
                    model.appendingFirst = model.nextSeq;
                    List<Message> got = o.append(batch);
                    model.appending = List.of();
                    for (Message m : got) {
                        assertThat(m.seq()).isEqualTo(model.nextSeq++);
                        model.confirmed.put(m.seq(), m);
                        model.unacked.add(m.seq());
                    }
                } else if (r < 98) {
                    long seq = pick(model.unacked, rnd);
                    model.acking = seq;
                    o.acknowledge(seq);
                    model.acking = -1;
                    model.unacked.remove(seq);
                    model.acked.add(seq);
                } else {
                    o.close();
                    o = new Outbox(dir, MAX, SEGMENT, JOURNAL, crash);
                    assertThat(o.peek(Integer.MAX_VALUE)).extracting(Message::seq).containsExactlyElementsOf(model.unacked);
                }
            }
            assertThat(o.peek(Integer.MAX_VALUE)).extracting(Message::seq).containsExactlyElementsOf(model.unacked);
        } finally {
            o.close();
        }
        assertThat(snapshots[0]).as("kill points tried").isGreaterThan(150);
        assertThat(steps).as("every kind of disk step was interrupted somewhere: " + steps)
                .containsKeys("append", "ack", "new segment", "compaction write", "compaction rename",
                        "checkpoint write", "checkpoint rename", "segment delete");
    }

    /** One to three messages of random kinds, payloads and retain flags, each for {@code meter}'s topics. */
    static List<Message> randomBatch(Random rnd, Supplier<String> meter) {
        List<Message> batch = new ArrayList<>();
        for (int i = rnd.nextInt(3); i >= 0; i--) {
            Kind k = Kind.values()[rnd.nextInt(4)];
            byte[] payload = new byte[5 + rnd.nextInt(120)];
            rnd.nextBytes(payload);
            batch.add(Message.of(k, "mm/" + meter.get() + "/" + k.name().toLowerCase(), payload, 1, rnd.nextBoolean()));
        }
        return batch;
    }

    /**
     * The oldest most of the time, else one of the next few. Every 29th message lingers (a
     * broker slow to acknowledge it), so segments behind it drain while it holds on and get
     * compacted.
     */
    static long pick(TreeSet<Long> unacked, Random rnd) {
        List<Long> candidates = new ArrayList<>(8);
        for (Iterator<Long> it = unacked.iterator(); it.hasNext() && candidates.size() < 8;) {
            long seq = it.next();
            if (seq % 29 != 0 || rnd.nextInt(100) < 2) {
                candidates.add(seq);
            }
        }
        if (candidates.isEmpty()) {
            return unacked.first();
        }
        return candidates.get(rnd.nextInt(100) < 75 ? 0 : rnd.nextInt(candidates.size()));
    }

    /**
     * Which step of the outbox's disk work {@link Outbox.CrashPoint#before} is about to take on
     * {@code file}: {@code pending} is what it will write, {@code null} for a rename or deletion.
     */
    static String step(Path file, byte[] pending) {
        String name = file.getFileName().toString();
        if (name.endsWith(".log.tmp")) {
            return "compaction write";
        }
        if (name.equals("acks.tmp")) {
            return "checkpoint write";
        }
        if (name.equals("acks.log")) {
            return pending != null ? "ack" : "checkpoint rename";
        }
        if (pending != null) {
            return "append";
        }
        if (!Files.exists(file)) {
            return "new segment";
        }
        return Files.exists(file.resolveSibling(name + ".tmp")) ? "compaction rename" : "segment delete";
    }

    private static void verifyRestart(Path copy, Model model) {
        try (Outbox o = new Outbox(copy, MAX, SEGMENT, JOURNAL, Outbox.CrashPoint.NONE)) {
            // the acknowledgement the kill interrupted may or may not have reached the file
            List<Long> kept = model.unacked.stream().filter(seq -> seq != model.acking).toList();
            new AfterRestart(model.confirmed, model.appending, model.appendingFirst,
                    model.acked, "acknowledged before the kill", kept, "appended, not acknowledged",
                    model.confirmed.isEmpty() ? 0 : model.confirmed.lastKey()).verify(o);
        }
    }

    @Test
    void copyingTheFilesWhileItRuns_neverLosesAnAppendedMessage() throws Exception {
        Path dir = root.resolve("outbox");
        Map<Long, Message> confirmed = new ConcurrentHashMap<>();
        // an acknowledgement may be on disk before its call returns: "begun" bounds what may be
        // gone, "returned" what must be
        Set<Long> ackBegun = ConcurrentHashMap.newKeySet();
        Set<Long> ackReturned = ConcurrentHashMap.newKeySet();
        AtomicLong lastConfirmed = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Outbox o = new Outbox(dir, MAX, SEGMENT, JOURNAL, Outbox.CrashPoint.NONE);
        Thread writer = new Thread(() -> {
            Random rnd = new Random(5);
            TreeSet<Long> unacked = new TreeSet<>();
            try {
                while (!stop.get()) {
                    if (unacked.size() < 200 || rnd.nextInt(100) < 45) {
                        List<Message> batch = new ArrayList<>();
                        for (int i = rnd.nextInt(3); i >= 0; i--) {
                            batch.add(Message.of(Kind.PULSE, "mm/m1/pulse", ("p" + rnd.nextLong()).getBytes(UTF_8), 1, false));
                        }
                        for (Message m : o.append(batch)) {
                            confirmed.put(m.seq(), m);
                            unacked.add(m.seq());
                            lastConfirmed.set(m.seq());
                        }
                    } else {
                        long seq = pick(unacked, rnd);
                        ackBegun.add(seq);
                        o.acknowledge(seq);
                        ackReturned.add(seq);
                        unacked.remove(seq);
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "outbox-writer");
        writer.start();
        int copies = 0;
        long checked = 0;
        try {
            while (lastConfirmed.get() < 500) {
                Thread.sleep(1);
            }
            while (copies < 8 && writer.isAlive()) {
                long appendedBefore = lastConfirmed.get();
                Set<Long> ackedBefore = Set.copyOf(ackReturned);
                Path copy = root.resolve("copy-" + copies++);
                copyDirectory(dir, copy);
                Set<Long> ackedAfter = Set.copyOf(ackBegun);
                try (Outbox c = new Outbox(copy, MAX, SEGMENT, JOURNAL, Outbox.CrashPoint.NONE)) {
                    Set<Long> present = new HashSet<>();
                    List<Long> resent = new ArrayList<>();
                    List<Long> altered = new ArrayList<>();
                    for (Message m : c.peek(Integer.MAX_VALUE)) {
                        present.add(m.seq());
                        if (ackedBefore.contains(m.seq())) {
                            resent.add(m.seq());
                        }
                        if (m.seq() <= appendedBefore && !m.equals(confirmed.get(m.seq()))) {
                            altered.add(m.seq());
                        }
                    }
                    List<Long> lost = new ArrayList<>();
                    for (long seq = 1; seq <= appendedBefore; seq++) {
                        if (!ackedAfter.contains(seq) && !present.contains(seq)) {
                            lost.add(seq);
                        }
                    }
                    assertThat(lost).as("copy %d: appended, not acknowledged, missing", copies).isEmpty();
                    assertThat(resent).as("copy %d: acknowledged before the copy, back again", copies).isEmpty();
                    assertThat(altered).as("copy %d: content changed", copies).isEmpty();
                    checked += appendedBefore;
                }
                deleteDirectory(copy);
            }
        } finally {
            stop.set(true);
            writer.join();
            o.close();
        }
        assertThat(failure.get()).isNull();
        assertThat(copies).isEqualTo(8);
        assertThat(checked).as("appended messages checked in copies").isGreaterThan(4_000);
    }

    /** The directory's files as they are on disk now; a file deleted meanwhile is simply not there. */
    static void copyDirectory(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        List<Path> files;
        try (Stream<Path> s = Files.list(from)) {
            files = s.toList();
        }
        for (Path f : files) {
            try {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            } catch (NoSuchFileException gone) {
                // deleted between the listing and the copy
            }
        }
    }

    static void deleteDirectory(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
