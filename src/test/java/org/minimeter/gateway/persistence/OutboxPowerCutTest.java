package org.minimeter.gateway.persistence;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.persistence.Outbox.Kind;
import org.minimeter.gateway.persistence.Outbox.Message;

/**
 * A power cut keeps only what was forced: a file's bytes up to its last fsync, and directory
 * entries (creations, renames, deletions) up to the last fsync of the directory. Unsynced
 * writes may also arrive torn or out of order (SD cards). These tests build such states and
 * open them as the gateway would after the power comes back.
 */
class OutboxPowerCutTest {

    private static final long MAX = 1 << 20;
    private static final long SEGMENT = 2048;
    private static final long JOURNAL = 1024;
    private static final List<String> METERS = List.of("m1", "m2", "m3", "m4", "m5");

    @TempDir
    Path disk;

    Path root;

    @BeforeEach
    void useRamDiskIfThereIsOne() throws IOException {
        root = OutboxCrashTest.ramDirectory(disk);
    }

    @AfterEach
    void removeRamDirectory() throws IOException {
        if (!root.equals(disk)) {
            OutboxCrashTest.deleteDirectory(root);
        }
    }

    /**
     * Follows what a power cut would keep of one outbox directory, from the outbox's own
     * reports of every fsync, rename and deletion.
     */
    static final class DurableDisk {
        /** A file's identity: survives renames, carries what was forced of it. */
        private static final class Inode {
            byte[] forced = new byte[0];
        }

        private final Path dir;
        private final Map<String, Inode> entries = new HashMap<>();
        private Map<String, Inode> syncedEntries = new HashMap<>();

        DurableDisk(Path dir) {
            this.dir = dir;
        }

        void forced(Path file) {
            try {
                entries.computeIfAbsent(file.getFileName().toString(), n -> new Inode()).forced = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void moved(Path from, Path to) {
            Inode i = entries.remove(from.getFileName().toString());
            entries.put(to.getFileName().toString(), i == null ? new Inode() : i);
        }

        void deleted(Path file) {
            entries.remove(file.getFileName().toString());
        }

        void directorySynced() {
            try (Stream<Path> s = Files.list(dir)) {
                s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("outbox.lock"))
                        .forEach(n -> entries.computeIfAbsent(n, x -> new Inode()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            syncedEntries = new HashMap<>(entries);
        }

        /**
         * Writes what a power cut now could leave: the directory's entries as of its last
         * fsync, or as they are now (the file system committed them anyway), each file with
         * only its forced bytes.
         */
        void image(boolean entriesAsSynced, Path to) throws IOException {
            Files.createDirectories(to);
            for (Map.Entry<String, Inode> e : (entriesAsSynced ? syncedEntries : entries).entrySet()) {
                Files.write(to.resolve(e.getKey()), e.getValue().forced);
            }
        }

        /**
         * Writes what a power cut now could leave on a card that reorders unsynced writes:
         * each file's forced bytes, then its unsynced bytes with each 512-byte block either
         * written, left as zeros or scrambled.
         */
        void tornImage(Path to, Random rnd) throws IOException {
            Files.createDirectories(to);
            for (Map.Entry<String, Inode> e : entries.entrySet()) {
                byte[] forced = e.getValue().forced;
                Path now = dir.resolve(e.getKey());
                byte[] current = Files.exists(now) ? Files.readAllBytes(now) : forced;
                if (current.length <= forced.length
                        || !Arrays.equals(current, 0, forced.length, forced, 0, forced.length)) {
                    Files.write(to.resolve(e.getKey()), forced);
                    continue;
                }
                byte[] torn = current.clone();
                for (int block = forced.length; block < torn.length; block += 512 - block % 512) {
                    int end = Math.min(torn.length, block + 512 - block % 512);
                    int how = rnd.nextInt(3);
                    for (int i = block; i < end && how > 0; i++) {
                        torn[i] = how == 1 ? 0 : (byte) rnd.nextInt();
                    }
                }
                Files.write(to.resolve(e.getKey()), torn);
            }
        }
    }

    /** What the test has been told by calls that returned. */
    private static final class Model {
        final TreeMap<Long, Message> appended = new TreeMap<>();
        /** Appended before a sync that then returned: must survive unless acknowledged. */
        final Set<Long> synced = new HashSet<>();
        final TreeSet<Long> unacked = new TreeSet<>();
        /** Acknowledged before a sync that then returned: must not come back. */
        final Set<Long> ackSynced = new HashSet<>();
        final Set<Long> ackBegun = new HashSet<>();
        List<Message> appending = List.of();
        long appendingFirst;
    }

    @Test
    void powerCutBeforeAnyStepThatChangesTheDisk_evenWithTornUnsyncedWrites_startsWithoutFalseAlarms_andKeepsEverythingSynced() throws IOException {
        Random rnd = new Random(20261130);
        Random cutRnd = new Random(7);
        Path dir = root.resolve("outbox");
        Model model = new Model();
        DurableDisk durable = new DurableDisk(dir);
        Map<String, Integer> steps = new TreeMap<>();
        int[] images = {0};
        boolean[] compacted = {false};
        int[] imagesAfterCompaction = {0};
        Outbox.CrashPoint power = new Outbox.CrashPoint() {
            @Override
            public void before(Path file, byte[] pending) {
                String step = OutboxCrashTest.step(file, pending);
                steps.merge(step, 1, Integer::sum);
                if (step.equals("compaction rename")) {
                    compacted[0] = true;
                }
                if (cutRnd.nextInt(100) < 12) {
                    for (boolean asSynced : new boolean[] {true, false}) {
                        Path image = root.resolve("cut-" + images[0]++);
                        try {
                            durable.image(asSynced, image);
                            verifyRestart(image, model);
                            OutboxCrashTest.deleteDirectory(image);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                    Path image = root.resolve("cut-" + images[0]++);
                    try {
                        durable.tornImage(image, cutRnd);
                        verifyRestart(image, model);
                        OutboxCrashTest.deleteDirectory(image);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    if (compacted[0]) {
                        imagesAfterCompaction[0]++;
                    }
                }
            }

            @Override
            public void forced(Path file) {
                durable.forced(file);
            }

            @Override
            public void moved(Path from, Path to) {
                durable.moved(from, to);
            }

            @Override
            public void deleted(Path file) {
                durable.deleted(file);
            }

            @Override
            public void directorySynced() {
                durable.directorySynced();
            }
        };
        Outbox o = new Outbox(dir, MAX, SEGMENT, JOURNAL, power);
        try {
            for (int op = 0; op < 1500; op++) {
                int r = rnd.nextInt(100);
                if (r < 40 || model.unacked.isEmpty()) {
                    List<Message> batch = OutboxCrashTest.randomBatch(rnd,
                            () -> METERS.get(rnd.nextInt(METERS.size())));
                    model.appending = batch;
                    model.appendingFirst = model.appended.isEmpty() ? 1 : model.appended.lastKey() + 1;
                    for (Message m : o.appendLater(batch)) {
                        model.appended.put(m.seq(), m);
                        model.unacked.add(m.seq());
                    }
                    model.appending = List.of();
                } else if (r < 50) {
                    Set<Long> appendedBefore = Set.copyOf(model.appended.keySet());
                    Set<Long> ackedBefore = Set.copyOf(model.ackBegun);
                    o.sync();
                    model.synced.addAll(appendedBefore);
                    model.ackSynced.addAll(ackedBefore);
                } else if (r < 99) {
                    long seq = OutboxCrashTest.pick(model.unacked, rnd);
                    model.ackBegun.add(seq);
                    o.acknowledge(seq);
                    model.unacked.remove(seq);
                } else {
                    Set<Long> appendedBefore = Set.copyOf(model.appended.keySet());
                    Set<Long> ackedBefore = Set.copyOf(model.ackBegun);
                    o.close();
                    model.synced.addAll(appendedBefore);
                    model.ackSynced.addAll(ackedBefore);
                    o = new Outbox(dir, MAX, SEGMENT, JOURNAL, power);
                    assertThat(o.peek(Integer.MAX_VALUE)).extracting(Message::seq).containsExactlyElementsOf(model.unacked);
                }
            }
        } finally {
            o.close();
        }
        assertThat(steps).as("every kind of disk step was cut before somewhere: " + steps)
                .containsKeys("append", "ack", "new segment", "compaction write", "compaction rename",
                        "checkpoint write", "checkpoint rename", "segment delete");
        assertThat(imagesAfterCompaction[0]).as("power cuts tried once compactions had happened").isGreaterThan(50);
    }

    private static void verifyRestart(Path image, Model model) {
        try (Outbox o = new Outbox(image, MAX, SEGMENT, JOURNAL, Outbox.CrashPoint.NONE)) {
            // an acknowledgement begun but not synced may or may not have reached the disk
            List<Long> kept = model.synced.stream().filter(seq -> !model.ackBegun.contains(seq)).toList();
            new AfterRestart(model.appended, model.appending, model.appendingFirst,
                    model.ackSynced, "acknowledged and synced before the cut",
                    kept, "appended and synced, not acknowledged",
                    model.synced.stream().mapToLong(Long::longValue).max().orElse(0)).verify(o);
        }
    }

    // ------------------------------------------------------------------ torn and reordered writes

    @Test
    void tornAndReorderedAckJournal_resendsOnlyWhatItCannotRead_andKeepsCountingLosses() throws IOException {
        Path dir = root.resolve("outbox");
        List<Message> appended;
        try (Outbox o = new Outbox(dir, MAX)) {
            appended = new ArrayList<>(o.append(batch(10)));
        }
        Path copy = root.resolve("copy");
        long checkpoint;
        try (Outbox o = new Outbox(dir, MAX)) {
            checkpoint = Files.size(dir.resolve("acks.log"));
            for (long s = 1; s <= 6; s++) {
                o.acknowledge(s);
            }
            OutboxCrashTest.copyDirectory(dir, copy);
        }
        byte[] journal = Files.readAllBytes(copy.resolve("acks.log"));
        int record = OutboxRecords.gone(List.of(1L)).length;
        assertThat(journal.length).isEqualTo(checkpoint + 6L * record);
        // the unsynced acknowledgements as a power cut let them reach the card: 5 and 6 first,
        // a run of zeros where 1 was, 4, garbage where 2 was, 3 never written
        byte[] garbage = new byte[record];
        new Random(3).nextBytes(garbage);
        ByteBuffer torn = ByteBuffer.allocate(journal.length);
        torn.put(journal, 0, (int) checkpoint)
                .put(OutboxRecords.gone(List.of(5L))).put(OutboxRecords.gone(List.of(6L)))
                .put(new byte[record])
                .put(OutboxRecords.gone(List.of(4L)))
                .put(garbage);
        Files.write(copy.resolve("acks.log"), Arrays.copyOf(torn.array(), torn.position()));
        // and one message really damaged on the card
        OutboxTest.flip(copy.resolve(String.format("seg-%019d.log", 1)), 7L * recordOf(appended.get(7)) + 30);

        try (Outbox o = new Outbox(copy, MAX)) {
            assertThat(o.peek(100)).extracting(Message::seq).as("1-3 go again; 4-6 stay acknowledged; 8 is lost")
                    .containsExactly(1L, 2L, 3L, 7L, 9L, 10L);
            assertThat(o.integrity()).as("the journal is trusted past its gaps, so the loss is counted")
                    .isEqualTo(new Outbox.Integrity(1, recordOf(appended.get(7)), 0, false));
        }
        try (Outbox o = new Outbox(copy, MAX)) {
            assertThat(o.integrity().ackJournalDamaged()).isFalse();
            assertThat(o.integrity().lost()).isZero();
        }
    }

    @Test
    void tornUnsyncedAppends_areDiscardedAsTorn_notCountedAsDamageOrLoss_atThisStartOrTheNext() throws IOException {
        Path dir = root.resolve("outbox");
        try (Outbox o = new Outbox(dir, MAX)) {
            o.append(batch(5));
        }
        Path copy = root.resolve("copy");
        List<Message> later;
        try (Outbox o = new Outbox(dir, MAX)) {
            later = o.appendLater(batch(5));
            OutboxCrashTest.copyDirectory(dir, copy);
        }
        // a power cut before the sync: the card wrote the pages of 8-10 but not that of 7
        Path seg = copy.resolve(String.format("seg-%019d.log", 1));
        byte[] d = Files.readAllBytes(seg);
        long at = 0;
        for (long s = 1; s < 7; s++) {
            at += recordOf(later.get(0));
        }
        Arrays.fill(d, (int) at, (int) (at + recordOf(later.get(1))), (byte) 0);
        Files.write(seg, d);

        try (Outbox o = new Outbox(copy, MAX)) {
            assertThat(o.peek(100)).extracting(Message::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 8L, 9L, 10L);
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(0, 0, recordOf(later.get(1)), false));
            assertThat(o.append(batch(1)).get(0).seq()).isEqualTo(11);
        }
        try (Outbox o = new Outbox(copy, MAX)) {
            assertThat(o.peek(100)).extracting(Message::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 8L, 9L, 10L, 11L);
            assertThat(o.integrity()).as("nothing left behind to be taken for damage later")
                    .isEqualTo(new Outbox.Integrity(0, 0, 0, false));
        }
    }

    private static List<Message> batch(int n) {
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Message.of(Kind.PULSE, "mm/m1/pulse", String.format("{\"n\":%06d}", i).getBytes(UTF_8), 1, false));
        }
        return out;
    }

    private static int recordOf(Message m) {
        return OutboxRecords.message(m.seq(), m.kind().code, m.qos(), m.retain(), m.topic().getBytes(UTF_8),
                m.payload()).length;
    }
}
