package org.minimeter.gateway.persistence;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minimeter.gateway.persistence.Outbox.Kind;
import org.minimeter.gateway.persistence.Outbox.Message;

class OutboxTest {

    /** Every test message has this topic and a payload of this length, so all records are the same size. */
    static final String TOPIC = "mm/minimeter-1/q";
    static final int PAYLOAD = 100;
    static final int RECORD = OutboxRecords.message(1, (byte) 1, 1, false, TOPIC.getBytes(UTF_8), new byte[PAYLOAD]).length;

    @TempDir
    Path root;

    static Message msg(Kind kind, String name) {
        byte[] payload = String.format("%-" + PAYLOAD + "s", "{\"name\":\"" + name + "\"}").getBytes(UTF_8);
        return Message.of(kind, TOPIC, payload, 1, kind == Kind.ENERGY || kind == Kind.HEALTH);
    }

    static String name(Message m) {
        String s = new String(m.payload(), UTF_8).trim();
        return s.substring("{\"name\":\"".length(), s.length() - 2);
    }

    static List<Long> seqs(List<Message> messages) {
        return messages.stream().map(Message::seq).toList();
    }

    static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    private Outbox open(long maxBytes) {
        return new Outbox(root.resolve("outbox"), maxBytes);
    }

    private Path segment(long first) {
        return root.resolve("outbox").resolve(String.format("seg-%019d.log", first));
    }

    private static List<Message> appendOneByOne(Outbox o, Kind kind, int count) {
        List<Message> out = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            out.addAll(o.append(List.of(msg(kind, kind.name().charAt(0) + "" + i))));
        }
        return out;
    }

    @Test
    void appendPeekAcknowledge_deliversInSeqOrderAndRemovesOnlyWhatWasAcknowledged() {
        try (Outbox o = open(1 << 20)) {
            List<Message> first = o.append(List.of(msg(Kind.ENERGY, "e1"), msg(Kind.PULSE, "p1")));
            List<Message> second = o.append(List.of(msg(Kind.HEALTH, "h1")));
            List<Message> third = o.append(List.of(new Message(99, Kind.ALARM, TOPIC, "a1".getBytes(UTF_8), 1, false)));

            assertThat(seqs(first)).containsExactly(1L, 2L);
            assertThat(seqs(second)).containsExactly(3L);
            assertThat(seqs(third)).as("the seq given to append is ignored").containsExactly(4L);
            List<Message> all = new ArrayList<>(first);
            all.addAll(second);
            all.addAll(third);
            assertThat(o.peek(10)).containsExactlyElementsOf(all);
            assertThat(o.peek(2)).containsExactlyElementsOf(all.subList(0, 2));
            assertThat(o.peek(2)).as("peek does not remove").containsExactlyElementsOf(all.subList(0, 2));
            assertThat(o.peek(0)).isEmpty();
            assertThat(o.stats().depth()).isEqualTo(4);

            o.acknowledge(1);
            assertThat(seqs(o.peek(10))).containsExactly(2L, 3L, 4L);
            assertThat(o.stats().depth()).isEqualTo(3);

            o.acknowledge(2);
            o.acknowledge(3);
            o.acknowledge(4);
            assertThat(o.peek(10)).isEmpty();
            assertThat(o.stats()).isEqualTo(new Outbox.Stats(0, 0, 0, 0));
        }
    }

    @Test
    void outOfOrderAcknowledgements_removeExactlyThoseMessages() {
        try (Outbox o = open(1 << 20)) {
            appendOneByOne(o, Kind.PULSE, 6);
            o.acknowledge(4);
            o.acknowledge(2);
            o.acknowledge(6);
            assertThat(seqs(o.peek(10))).containsExactly(1L, 3L, 5L);
            o.acknowledge(2);
            assertThat(seqs(o.peek(10))).as("a second ack of the same seq changes nothing").containsExactly(1L, 3L, 5L);
            assertThat(o.stats().depth()).isEqualTo(3);
            assertThat(o.stats().bytes()).isEqualTo(3L * RECORD);
            assertThatThrownBy(() -> o.acknowledge(7)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("seq 7 was never issued (next is 7)");
            assertThatThrownBy(() -> o.acknowledge(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void restart_deliversWhatWasNotAcknowledgedInOrder_andSeqContinues() {
        List<Message> appended;
        try (Outbox o = open(1 << 20)) {
            appended = appendOneByOne(o, Kind.ENERGY, 5);
            o.acknowledge(1);
            o.acknowledge(4);
        }
        try (Outbox o = open(1 << 20)) {
            assertThat(o.peek(10)).containsExactly(appended.get(1), appended.get(2), appended.get(4));
            assertThat(seqs(o.append(List.of(msg(Kind.PULSE, "p"))))).containsExactly(6L);
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(0, 0, 0, false));
            for (long s = 1; s <= 6; s++) {
                o.acknowledge(s);
            }
        }
        try (Outbox o = open(1 << 20)) {
            assertThat(o.peek(10)).isEmpty();
            assertThat(seqs(o.append(List.of(msg(Kind.PULSE, "p"))))).as("seq continues on an empty outbox")
                    .containsExactly(7L);
        }
    }

    @Test
    void appendCutShortByACrash_isDiscarded_andTheNextAppendFollowsTheLastGoodRecord() throws IOException {
        Path copy = root.resolve("copy");
        List<Message> appended;
        try (Outbox o = open(1 << 20)) {
            appended = appendOneByOne(o, Kind.PULSE, 10);
            // the files as a kill -9 in the middle of writing record 10 would leave them
            OutboxCrashTest.copyDirectory(o.directory(), copy);
        }
        Path seg = copy.resolve(segment(1).getFileName());
        truncate(seg, Files.size(seg) - 7);
        try (Outbox o = new Outbox(copy, 1 << 20)) {
            assertThat(o.peek(100)).containsExactlyElementsOf(appended.subList(0, 9));
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(0, 0, RECORD - 7, false));
            assertThat(Files.size(seg)).isEqualTo(9L * RECORD);
            assertThat(seqs(o.append(List.of(msg(Kind.PULSE, "again"))))).containsExactly(10L);
        }
        try (Outbox o = new Outbox(copy, 1 << 20)) {
            assertThat(o.peek(100)).extracting(OutboxTest::name)
                    .containsExactly("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "again");
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(0, 0, 0, false));
        }
    }

    @Test
    void garbageAfterTheLastRecord_isCutOff_soLaterAppendsAreNotHiddenBehindIt() throws IOException {
        Path copy = root.resolve("copy");
        List<Message> appended;
        try (Outbox o = open(1 << 20)) {
            appended = appendOneByOne(o, Kind.ALARM, 10);
            OutboxCrashTest.copyDirectory(o.directory(), copy);
        }
        byte[] garbage = new byte[100];
        new Random(7).nextBytes(garbage);
        Files.write(copy.resolve(segment(1).getFileName()), garbage, java.nio.file.StandardOpenOption.APPEND);
        try (Outbox o = new Outbox(copy, 1 << 20)) {
            assertThat(o.peek(100)).containsExactlyElementsOf(appended);
            assertThat(o.integrity().tornBytes()).isEqualTo(100);
            o.append(List.of(msg(Kind.ALARM, "A11")));
        }
        try (Outbox o = new Outbox(copy, 1 << 20)) {
            assertThat(seqs(o.peek(100))).isEqualTo(range(1, 11));
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(0, 0, 0, false));
        }
    }

    @Test
    void lastRecordMissingAfterACleanClose_isReportedLost() throws IOException {
        List<Message> appended;
        try (Outbox o = open(1 << 20)) {
            appended = appendOneByOne(o, Kind.PULSE, 10);
        }
        truncate(segment(1), 9L * RECORD + 20);
        try (Outbox o = open(1 << 20)) {
            assertThat(o.peek(100)).containsExactlyElementsOf(appended.subList(0, 9));
            assertThat(o.integrity()).as("its append had returned: the checkpoint knew seq 10")
                    .isEqualTo(new Outbox.Integrity(1, 0, 20, false));
        }
    }

    /** A byte flipped in the magic, the length, the seq, the payload and the CRC of record 5 (negative: from its end). */
    @ParameterizedTest
    @ValueSource(ints = {0, 5, 14, -10, -1})
    void flippedByteInAMiddleRecord_skipsAndCountsThatRecordOnly(int at) throws IOException {
        List<Message> appended;
        try (Outbox o = open(1 << 20)) {
            appended = appendOneByOne(o, Kind.PULSE, 10);
        }
        flip(segment(1), 4L * RECORD + (at < 0 ? RECORD + at : at));
        try (Outbox o = open(1 << 20)) {
            List<Message> expected = new ArrayList<>(appended);
            expected.remove(4);
            assertThat(o.peek(100)).containsExactlyElementsOf(expected);
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(1, RECORD, 0, false));
            assertThat(seqs(o.append(List.of(msg(Kind.PULSE, "next"))))).containsExactly(11L);
        }
    }

    @Test
    void damagedLastRecordOfAnOlderSegment_isCountedFromTheNextSegmentsName() throws IOException {
        Path dir = root.resolve("outbox");
        try (Outbox o = new Outbox(dir, 1 << 20, 3L * RECORD, 64 * 1024, Outbox.CrashPoint.NONE)) {
            appendOneByOne(o, Kind.ENERGY, 10);
        }
        assertThat(Files.exists(segment(4))).isTrue();
        assertThat(Files.exists(segment(7))).isTrue();
        flip(segment(4), 2L * RECORD + 30);
        try (Outbox o = new Outbox(dir, 1 << 20, 3L * RECORD, 64 * 1024, Outbox.CrashPoint.NONE)) {
            assertThat(seqs(o.peek(100))).containsExactly(1L, 2L, 3L, 4L, 5L, 7L, 8L, 9L, 10L);
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(1, RECORD, 0, false));
        }
    }

    @Test
    void damagedAckJournal_resendsRatherThanLoses() throws IOException {
        try (Outbox o = open(1 << 20)) {
            appendOneByOne(o, Kind.PULSE, 10);
            for (long s = 1; s <= 5; s++) {
                o.acknowledge(s);
            }
        }
        flip(root.resolve("outbox/acks.log"), 20);
        try (Outbox o = open(1 << 20)) {
            assertThat(seqs(o.peek(100))).as("unsure what was acknowledged: everything on disk goes again")
                    .isEqualTo(range(1, 10));
            assertThat(o.integrity().ackJournalDamaged()).isTrue();
        }
        try (Outbox o = open(1 << 20)) {
            assertThat(o.integrity().ackJournalDamaged()).as("the journal was rewritten whole").isFalse();
        }
    }

    // ------------------------------------------------------------------ bound policy

    @Test
    void bound_dropsHealthThenOlderEnergyThenAlarmsThenPulses_oldestFirst() throws IOException {
        Path killed = root.resolve("killed");
        try (Outbox o = open(10L * RECORD)) {
            List<Kind> fill = List.of(Kind.HEALTH, Kind.ENERGY, Kind.PULSE, Kind.ALARM, Kind.HEALTH, Kind.ENERGY,
                    Kind.PULSE, Kind.ALARM, Kind.HEALTH, Kind.ENERGY);
            int[] counts = new int[Kind.values().length];
            for (Kind k : fill) {
                o.append(List.of(msg(k, k.name().charAt(0) + "" + ++counts[k.ordinal()])));
            }
            assertThat(o.stats()).isEqualTo(new Outbox.Stats(10, 10L * RECORD, 0, 0));
            assertThat(o.peek(100)).extracting(OutboxTest::name)
                    .containsExactly("H1", "E1", "P1", "A1", "H2", "E2", "P2", "A2", "H3", "E3");

            // each further pulse needs exactly one message's room
            List<String> droppedInOrder = new ArrayList<>();
            for (int p = 3; p <= 12; p++) {
                List<String> before = o.peek(100).stream().map(OutboxTest::name).toList();
                o.append(List.of(msg(Kind.PULSE, "P" + p)));
                List<String> after = o.peek(100).stream().map(OutboxTest::name).toList();
                assertThat(after).hasSize(10).endsWith("P" + p);
                droppedInOrder.addAll(before.stream().filter(n -> !after.contains(n)).toList());
            }
            assertThat(droppedInOrder).containsExactly("H1", "H2", "H3", "E1", "E2", "A1", "A2", "P1", "P2", "P3");
            assertThat(o.stats()).isEqualTo(new Outbox.Stats(10, 10L * RECORD, 10, 3));
            assertThat(o.peek(100)).extracting(OutboxTest::name)
                    .containsExactly("E3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11", "P12");
            OutboxCrashTest.copyDirectory(o.directory(), killed);
        }
        // killed, restarted with a larger bound: a drop that was not durable would be back
        try (Outbox o = new Outbox(killed, 100L * RECORD)) {
            assertThat(o.peek(100)).as("drops are durable").extracting(OutboxTest::name)
                    .containsExactly("E3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11", "P12");
            assertThat(o.stats().dropped()).as("counted since open").isZero();
        }
    }

    @Test
    void bound_neverDropsTheMessageBeingAppended() {
        try (Outbox o = open(10L * RECORD)) {
            appendOneByOne(o, Kind.PULSE, 10);
            o.append(List.of(msg(Kind.HEALTH, "H1")));
            assertThat(o.peek(100)).extracting(OutboxTest::name).startsWith("P2").endsWith("H1").hasSize(10);
            o.append(List.of(msg(Kind.HEALTH, "H2")));
            assertThat(o.peek(100)).as("H1 is superseded; pulses stay").extracting(OutboxTest::name)
                    .startsWith("P2").endsWith("P10", "H2").hasSize(10);
            assertThat(o.stats()).isEqualTo(new Outbox.Stats(10, 10L * RECORD, 2, 1));
        }
    }

    @Test
    void bound_keepsTheNewestEnergyEvenWhenPulsesMustGo() {
        try (Outbox o = open(10L * RECORD)) {
            o.append(List.of(msg(Kind.ENERGY, "E1")));
            appendOneByOne(o, Kind.PULSE, 9);
            o.append(List.of(msg(Kind.PULSE, "P10")));
            assertThat(o.peek(100)).extracting(OutboxTest::name).startsWith("E1", "P2").endsWith("P10");
            o.append(List.of(msg(Kind.ENERGY, "E2")));
            assertThat(o.peek(100)).as("E2 carries everything E1 did").extracting(OutboxTest::name)
                    .startsWith("P2").endsWith("P10", "E2").doesNotContain("E1");
            assertThat(o.stats()).isEqualTo(new Outbox.Stats(10, 10L * RECORD, 2, 1));
        }
    }

    /** Two meters' energy topics, the same length as {@link #TOPIC} so every record is the same size. */
    static final String ENERGY_A = "mm/minimeter-a/e";
    static final String ENERGY_B = "mm/minimeter-b/e";

    static Message energy(String topic, String name) {
        return Message.of(Kind.ENERGY, topic, msg(Kind.ENERGY, name).payload(), 1, true);
    }

    @Test
    void bound_dropsOnlyEnergySupersededOnItsOwnTopic_andKeepsEveryTopicsNewest() {
        try (Outbox o = open(10L * RECORD)) {
            o.append(List.of(energy(ENERGY_B, "B1"), energy(ENERGY_A, "A1")));
            appendOneByOne(o, Kind.PULSE, 8);
            assertThat(o.stats().depth()).isEqualTo(10);

            o.append(List.of(msg(Kind.PULSE, "P9")));
            assertThat(o.peek(100)).as("each meter's only energy is its newest: pulses go first")
                    .extracting(OutboxTest::name).startsWith("B1", "A1", "P2").endsWith("P9");

            o.append(List.of(energy(ENERGY_A, "A2")));
            assertThat(o.peek(100)).as("A2 supersedes A1; B1 is older but the newest of its meter")
                    .extracting(OutboxTest::name).startsWith("B1", "P2").endsWith("P9", "A2").doesNotContain("A1");

            o.append(List.of(energy(ENERGY_B, "B2")));
            assertThat(o.peek(100)).extracting(OutboxTest::name).startsWith("P2").endsWith("P9", "A2", "B2");

            o.append(List.of(msg(Kind.ALARM, "A-alarm")));
            assertThat(o.peek(100)).extracting(OutboxTest::name).startsWith("P3").contains("A2", "B2")
                    .endsWith("A-alarm");
            assertThat(o.stats()).isEqualTo(new Outbox.Stats(10, 10L * RECORD, 4, 2));
        }
    }

    @Test
    void bound_afterATopicsNewestEnergyIsAcknowledged_theOneBeforeItIsKept() {
        try (Outbox o = open(10L * RECORD)) {
            List<Message> e = o.append(List.of(energy(ENERGY_A, "A1"), energy(ENERGY_A, "A2")));
            appendOneByOne(o, Kind.PULSE, 8);
            // a broker that acknowledged the newer one first: A1 is now the newest waiting for meter A
            o.acknowledge(e.get(1).seq());
            o.append(List.of(msg(Kind.PULSE, "P9"), msg(Kind.PULSE, "P10")));
            assertThat(o.peek(100)).extracting(OutboxTest::name).startsWith("A1", "P2").endsWith("P10");
            assertThat(o.stats().droppedPulses()).isEqualTo(1);
        }
    }

    @Test
    void bound_aCallLargerThanTheBoundKeepsItsNewestMessages() {
        try (Outbox o = open(10L * RECORD)) {
            List<Message> batch = new ArrayList<>();
            for (int i = 1; i <= 12; i++) {
                batch.add(msg(Kind.HEALTH, "H" + i));
            }
            assertThat(seqs(o.append(batch))).isEqualTo(range(1, 12));
            assertThat(seqs(o.peek(100))).isEqualTo(range(3, 12));
            assertThat(o.stats()).isEqualTo(new Outbox.Stats(10, 10L * RECORD, 2, 0));
        }
    }

    @Test
    void bound_acknowledgedMessagesDoNotCount() {
        try (Outbox o = open(10L * RECORD)) {
            appendOneByOne(o, Kind.PULSE, 10);
            for (long s = 1; s <= 5; s++) {
                o.acknowledge(s);
            }
            appendOneByOne(o, Kind.HEALTH, 5);
            assertThat(o.stats()).isEqualTo(new Outbox.Stats(10, 10L * RECORD, 0, 0));
            assertThat(seqs(o.peek(100))).isEqualTo(range(6, 15));
        }
    }

    @Test
    void messageLargerThanHalfTheBound_isRefusedAndNothingIsAppended() {
        try (Outbox o = open(2048)) {
            List<Message> batch = List.of(msg(Kind.PULSE, "small"),
                    Message.of(Kind.ENERGY, TOPIC, new byte[1100], 1, true));
            assertThatThrownBy(() -> o.append(batch)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot fit an outbox bounded to 2048 bytes");
            assertThat(o.stats().depth()).isZero();
            assertThat(seqs(o.append(List.of(msg(Kind.PULSE, "p"))))).containsExactly(1L);
        }
        assertThatThrownBy(() -> open(100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1024 bytes");
    }

    @Test
    void longOutage_keepsDiskUseBounded_thenDrainsInOrder() throws IOException {
        long max = 64 * 1024;
        long segmentBytes = 4 * 1024;
        Path ram = OutboxCrashTest.ramDirectory(root);
        Path dir = ram.resolve("outbox");
        try {
            longOutage(dir, max, segmentBytes);
        } finally {
            if (!ram.equals(root)) {
                OutboxCrashTest.deleteDirectory(ram);
            }
        }
    }

    private static void longOutage(Path dir, long max, long segmentBytes) throws IOException {
        Random rnd = new Random(3);
        long largestDisk = 0;
        int pulses = 0;
        try (Outbox o = new Outbox(dir, max, segmentBytes, 2048, Outbox.CrashPoint.NONE)) {
            // a broker that is away for a long time: energy, health and pulses keep coming
            for (int round = 0; round < 600; round++) {
                List<Message> batch = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    int r = rnd.nextInt(20);
                    Kind k = r < 9 ? Kind.ENERGY : r < 13 ? Kind.HEALTH : r < 19 ? Kind.PULSE : Kind.ALARM;
                    pulses += k == Kind.PULSE ? 1 : 0;
                    batch.add(Message.of(k, TOPIC, new byte[20 + rnd.nextInt(150)], 1, false));
                }
                o.append(batch);
                largestDisk = Math.max(largestDisk, directorySize(dir));
                assertThat(o.stats().bytes()).isLessThanOrEqualTo(max);
            }
            Outbox.Stats s = o.stats();
            assertThat(s.dropped()).isGreaterThan(4000);
            assertThat(s.droppedPulses()).as("pulses go last").isLessThan(pulses);
            assertThat(largestDisk).as("segments at least half alive, plus journal").isLessThan(2 * max + 4 * segmentBytes);
        }
        List<Message> waiting;
        try (Outbox o = new Outbox(dir, max, segmentBytes, 2048, Outbox.CrashPoint.NONE)) {
            waiting = o.peek(Integer.MAX_VALUE);
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(0, 0, 0, false));
            assertThat(waiting.stream().filter(m -> m.kind() == Kind.ENERGY)).hasSize(1);
            List<Message> delivered = new ArrayList<>();
            for (List<Message> next = o.peek(50); !next.isEmpty(); next = o.peek(50)) {
                delivered.addAll(next);
                next.forEach(m -> o.acknowledge(m.seq()));
            }
            assertThat(delivered).containsExactlyElementsOf(waiting);
            assertThat(o.stats().depth()).isZero();
            assertThat(segmentFiles(dir)).as("everything delivered: only the current segment remains").hasSize(1);
        }
    }

    @Test
    void tensOfThousandsOfMessages_flowThroughInOrder() throws IOException {
        Path dir = root.resolve("outbox");
        int total = 20_000;
        long delivered = 0;
        long expectedSeq = 1;
        Random rnd = new Random(11);
        Outbox o = new Outbox(dir, 16L << 20, 64 * 1024, 64 * 1024, Outbox.CrashPoint.NONE);
        try {
            int appended = 0;
            while (delivered < total) {
                if (appended < total) {
                    List<Message> batch = new ArrayList<>();
                    for (int i = 0; i < 100; i++, appended++) {
                        batch.add(Message.of(Kind.values()[appended % 4], "mm/m1/x", ("#" + appended).getBytes(UTF_8), 1, false));
                    }
                    o.append(batch);
                }
                List<Message> window = o.peek(60);
                assertThat(seqs(window)).isEqualTo(range(expectedSeq, expectedSeq + window.size() - 1));
                for (Message m : window) {
                    assertThat(new String(m.payload(), UTF_8)).isEqualTo("#" + (m.seq() - 1));
                }
                // acks come back in any order within the in-flight window
                List<Message> shuffled = new ArrayList<>(window);
                java.util.Collections.shuffle(shuffled, rnd);
                for (Message m : shuffled) {
                    o.acknowledge(m.seq());
                }
                delivered += window.size();
                expectedSeq += window.size();
                if (appended == total / 2) {
                    o.close();
                    o = new Outbox(dir, 16L << 20, 64 * 1024, 64 * 1024, Outbox.CrashPoint.NONE);
                }
            }
            assertThat(delivered).isEqualTo(total);
            assertThat(o.stats().depth()).isZero();
            assertThat(segmentFiles(dir)).hasSizeLessThanOrEqualTo(2);
        } finally {
            o.close();
        }
    }

    // ------------------------------------------------------------------ errors

    @Test
    void directoryThatCannotBeCreated_givesAClearStorageException() throws IOException {
        Path file = Files.writeString(root.resolve("plain-file"), "x");
        Path dir = file.resolve("m1/outbox");
        assertThatThrownBy(() -> new Outbox(dir, 1 << 20)).isInstanceOf(StorageException.class)
                .hasMessageStartingWith("storage.dir: cannot create outbox " + dir.toAbsolutePath() + ": ");
    }

    @Test
    void readOnlyDirectory_givesAClearStorageException() throws Exception {
        Path dir = root.resolve("outbox");
        Files.createDirectories(dir);
        boolean readOnly = makeReadOnly(dir);
        Assumptions.assumeTrue(readOnly, "cannot make a read-only directory on this file system");
        try {
            assertThatThrownBy(() -> new Outbox(dir, 1 << 20)).isInstanceOf(StorageException.class)
                    .hasMessageStartingWith("storage.dir: outbox " + dir.toAbsolutePath() + " is not writable: ");
        } finally {
            undoReadOnly(dir);
        }
    }

    @Test
    void secondOutboxOnTheSameDirectory_isRefused_andClosedOutboxRefusesWork() {
        Outbox first = open(1 << 20);
        assertThatThrownBy(() -> open(1 << 20)).isInstanceOf(StorageException.class)
                .hasMessageContaining("is in use by another gateway process");
        first.close();
        first.close();
        assertThatThrownBy(() -> first.peek(1)).isInstanceOf(IllegalStateException.class);
        open(1 << 20).close();
    }

    @Test
    void failedStartOnAnUnreadableSegment_releasesLockAndFiles_soTheNextStartReportsTheSameError() throws IOException {
        Path dir = root.resolve("outbox");
        try (Outbox o = open(1 << 20)) {
            appendOneByOne(o, Kind.PULSE, 3);
        }
        // a segment that cannot be read: a directory where the file should be
        Files.createDirectories(dir.resolve(String.format("seg-%019d.log", 2)));
        long filesBefore = openFiles();
        StorageException first = catchStorageException(() -> open(1 << 20));
        assertThat(first.getMessage()).startsWith("storage.dir: outbox " + dir.toAbsolutePath() + " cannot be read or written: ");
        assertThat(openFiles()).as("no file left open").isEqualTo(filesBefore);
        StorageException second = catchStorageException(() -> open(1 << 20));
        assertThat(second.getMessage()).as("the real error again, not 'in use'").isEqualTo(first.getMessage());

        Files.delete(dir.resolve(String.format("seg-%019d.log", 2)));
        try (Outbox o = open(1 << 20)) {
            assertThat(o.peek(10)).extracting(OutboxTest::name).containsExactly("P1", "P2", "P3");
        }
    }

    @Test
    void failedStartOnASegmentTooLargeToRead_releasesLockAndFiles_soTheNextStartReportsTheSameError() throws IOException {
        Path dir = root.resolve("outbox");
        try (Outbox o = open(1 << 20)) {
            appendOneByOne(o, Kind.PULSE, 3);
        }
        // 3 GiB, sparse: no array can hold it
        try (var f = new java.io.RandomAccessFile(dir.resolve(String.format("seg-%019d.log", 4)).toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        long filesBefore = openFiles();
        StorageException first = catchStorageException(() -> open(1 << 20));
        assertThat(first.getMessage()).contains("more than any outbox file can be");
        assertThat(openFiles()).as("no file left open").isEqualTo(filesBefore);
        StorageException second = catchStorageException(() -> open(1 << 20));
        assertThat(second.getMessage()).as("the real error again, not 'in use'").isEqualTo(first.getMessage());
    }

    @Test
    void failedStartOnADirectoryThatCannotBeWritten_releasesLockAndFiles() throws IOException {
        Path dir = root.resolve("outbox");
        try (Outbox o = open(1 << 20)) {
            appendOneByOne(o, Kind.PULSE, 3);
        }
        // the start-up checkpoint cannot replace the journal (as on a card that turned read-only)
        Outbox.CrashPoint readOnly = (file, pending) -> {
            if (file.getFileName().toString().equals("acks.tmp")) {
                throw new StorageException("storage.dir: read-only file system " + file);
            }
        };
        long filesBefore = openFiles();
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> new Outbox(dir, 1 << 20, 1 << 16, 64 * 1024, readOnly))
                    .isInstanceOf(StorageException.class).hasMessageContaining("read-only file system");
            assertThat(openFiles()).as("attempt %d left no file open", attempt).isEqualTo(filesBefore);
        }
        try (Outbox o = open(1 << 20)) {
            assertThat(o.peek(10)).hasSize(3);
        }
    }

    private static StorageException catchStorageException(Runnable r) {
        try {
            r.run();
        } catch (StorageException e) {
            return e;
        }
        throw new AssertionError("expected a StorageException");
    }

    /** Open file descriptors of this JVM; -1 where /proc is not there, which makes the check vacuous. */
    /**
     * Descriptors of this process open on files under the test's directory. Only those: other
     * tests' gateways in the same JVM open and close their own files meanwhile.
     */
    long openFiles() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        Path under = root.toRealPath();
        try (Stream<Path> s = Files.list(fds)) {
            return s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).startsWith(under);
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        }
    }

    // ------------------------------------------------------------------ helpers

    static void truncate(Path p, long size) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static void flip(Path p, long at) throws IOException {
        byte[] b = Files.readAllBytes(p);
        b[(int) at] ^= 0x5A;
        Files.write(p, b);
    }

    static long directorySize(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("seg-")).toList();
        }
    }

    static boolean makeReadOnly(Path dir) throws Exception {
        return RegisterStoreTest.makeReadOnly(dir);
    }

    static void undoReadOnly(Path dir) throws Exception {
        RegisterStoreTest.undoReadOnly(dir);
    }
}
