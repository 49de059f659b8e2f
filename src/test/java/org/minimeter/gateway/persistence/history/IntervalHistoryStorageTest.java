package org.minimeter.gateway.persistence.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.persistence.StorageException;
import org.minimeter.gateway.persistence.history.IntervalHistory.Interval;

/** The history on disk: its size, its files, and what damage, crashes and time do to it. */
class IntervalHistoryStorageTest {

    /** 2026-11-23T00:00Z is minute 22 * 1440 of November. */
    private static final Instant T = Instant.parse("2026-11-23T00:00:00Z");
    private static final int T_MINUTE_OF_MONTH = 22 * 1440;

    @TempDir
    Path dir;

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("history.lock")).sorted().toList();
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String n : names(from)) {
            Files.copy(from.resolve(n), to.resolve(n));
        }
        return to;
    }

    private static long slotOffset(int elements, int minuteOfMonth) {
        return 32 + (long) minuteOfMonth * (8 + 16 * (elements + 1));
    }

    @ParameterizedTest
    @CsvSource({
        "1, 40, 1785632, 23040000",
        "2, 56, 2499872, 32256000",
    })
    void fullMonth_fileHasTheStatedSize_andEveryDayIsComplete(int elements, int slotBytes, long monthBytes,
            long fourHundredDays) throws IOException {
        YearMonth december = YearMonth.of(2026, 12);
        Instant start = Instant.parse("2026-12-01T00:00:00Z");
        try (IntervalHistory h = IntervalHistory.open(dir, elements, 400)) {
            RecordedMeter meter = new RecordedMeter(h, start, 9);
            // Every minute of December; the one ending 2027-01-01T00:00 is December's last.
            meter.runAndRecord(31 * 1440);
            h.flush();
            assertThat(names(dir)).containsExactly("2026-12.hist");
            assertThat(Files.size(dir.resolve("2026-12.hist"))).isEqualTo(monthBytes);
            assertThat(h.stats().bytesOnDisk()).isEqualTo(monthBytes);
            assertThat(new MonthFormat(elements).slotBytes).isEqualTo(slotBytes);
            assertThat(400L * 1440 * slotBytes).isEqualTo(fourHundredDays);

            List<Interval> days = h.intervals(start, start.plus(Duration.ofDays(31)), Duration.ofDays(1));
            // The month's first minute has no reading before it.
            assertThat(days.get(0).minutesCovered()).isEqualTo(1439);
            assertThat(days.subList(1, 31)).allSatisfy(d -> assertThat(d.complete()).isTrue());
            meter.assertAgrees(days);
            assertThat(h.monthly(december, december, java.time.ZoneOffset.UTC).get(0).deliveredMicroWh(1))
                    .isEqualTo(RecordedMeter.delivered(meter.recorded.firstEntry().getValue(),
                            meter.recorded.lastEntry().getValue(), 1));
        }
    }

    @Test
    void monthRollover_theMinuteEndingAtMidnightOfTheFirstClosesThePreviousMonth() throws IOException {
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            RecordedMeter meter = new RecordedMeter(h, Instant.parse("2026-11-30T23:57:00Z"), 2);
            meter.runAndRecord(5); // minutes ending 23:58, 23:59, 00:00, 00:01, 00:02
            h.flush();
            assertThat(names(dir)).containsExactly("2026-11.hist", "2026-12.hist");
            assertThat(Files.size(dir.resolve("2026-11.hist"))).isEqualTo(32 + 30 * 1440 * 56L);
            assertThat(Files.size(dir.resolve("2026-12.hist"))).isEqualTo(32 + 2 * 56L);
            List<Interval> minutes = h.intervals(Instant.parse("2026-11-30T23:58:00Z"),
                    Instant.parse("2026-12-01T00:02:00Z"), Duration.ofMinutes(1));
            assertThat(minutes).allSatisfy(i -> assertThat(i.complete()).isTrue());
            meter.assertAgrees(minutes);
        }
    }

    @Test
    void reopenAfterClose_readsBackEverything_andStillRefusesOlderMinutes() {
        RecordedMeter meter;
        List<Interval> before;
        Instant from = T;
        Instant to = T.plus(Duration.ofDays(2));
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            meter = new RecordedMeter(h, T, 4);
            meter.runAndRecord(900);
            meter.runUnrecorded(45);
            meter.runAndRecord(1500);
            before = h.intervals(from, to, Duration.ofMinutes(15));
        }
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            List<Interval> after = h.intervals(from, to, Duration.ofMinutes(15));
            meter.assertAgrees(after);
            assertThat(after).isEqualTo(before);
            assertThat(h.stats().newestMinuteEnd()).isEqualTo(meter.now());
            assertThat(h.stats().slotsWritten()).isZero();

            h.record(meter.now().minus(Duration.ofMinutes(1)), meter.at(meter.now()));
            assertThat(h.stats().olderIgnored()).isEqualTo(1);
            meter.recordInto(h);
            meter.runAndRecord(10);
            meter.assertAgrees(h.intervals(from, meter.now(), Duration.ofHours(1)));
        }
    }

    @Test
    void killMinus9_withoutFlush_losesNothingWritten() throws IOException {
        RecordedMeter meter;
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            meter = new RecordedMeter(h, T, 6);
            meter.runAndRecord(200);
            // The process dies here: what it wrote is in the page cache, which survives it.
            Path after = copy(dir, dir.resolveSibling(dir.getFileName() + "-killed"));
            try (IntervalHistory reopened = IntervalHistory.open(after, 2, 400)) {
                List<Interval> minutes = reopened.intervals(T.plus(Duration.ofMinutes(1)), meter.now(),
                        Duration.ofMinutes(1));
                assertThat(minutes).hasSize(199).allSatisfy(i -> assertThat(i.complete()).isTrue());
                meter.assertAgrees(minutes);
                assertThat(reopened.stats().newestMinuteEnd()).isEqualTo(meter.now());
            }
        }
    }

    @Test
    void powerCut_losesOnlyMinutesSinceTheLastFlush_andTotalsStayConsistentAcrossThem() throws IOException {
        RecordedMeter meter;
        Path after = dir.resolveSibling(dir.getFileName() + "-power-cut");
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            meter = new RecordedMeter(h, T, 8);
            meter.runAndRecord(100);
            h.flush();
            meter.runAndRecord(100);
            copy(dir, after);
        }
        // The device kept minutes 0..149 of the unflushed 100..199 and tore minute 150.
        Path file = after.resolve("2026-11.hist");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(slotOffset(2, T_MINUTE_OF_MONTH + 150) + 30);
        }
        Instant lastKept = T.plus(Duration.ofMinutes(150));
        meter.recorded.tailMap(lastKept, false).clear();

        try (IntervalHistory h = IntervalHistory.open(after, 2, 400)) {
            assertThat(h.stats().newestMinuteEnd()).isEqualTo(lastKept);
            assertThat(h.stats().damagedSlots()).isEqualTo(1);
            // The gateway comes back 70 minutes after the cut; the register had counted on
            // meanwhile (here it never stopped), so minutes 150..269 are unknown.
            meter.recordInto(h);
            meter.runUnrecorded(70);
            meter.runAndRecord(30);

            List<Interval> minutes = h.intervals(T, meter.now(), Duration.ofMinutes(1));
            meter.assertAgrees(minutes);
            assertThat(minutes.subList(150, 270)).allSatisfy(i -> assertThat(i.minutesCovered()).isZero());
            assertThat(minutes.get(270).complete()).isTrue();
            long sum = minutes.stream().mapToLong(i -> i.receivedMicroWh(2)).sum();
            assertThat(sum).isEqualTo(RecordedMeter.received(meter.recorded.firstEntry().getValue(),
                    meter.recorded.lastEntry().getValue(), 2));
        }
    }

    enum Damage {
        /** A bit error in a stored value. */
        FLIPPED_VALUE,
        /** A slot written at the wrong place: its neighbour's bytes. */
        NEIGHBOUR_COPIED,
        /** Erased flash. */
        ALL_ONES
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void damagedSlot_isAbsentAndCountedOnce_andTotalsStayConsistentAcrossIt(Damage damage) throws IOException {
        RecordedMeter meter;
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            meter = new RecordedMeter(h, T, 10);
            meter.runAndRecord(120);
        }
        long at = slotOffset(2, T_MINUTE_OF_MONTH + 60);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("2026-11.hist").toFile(), "rw")) {
            byte[] slot = new byte[56];
            switch (damage) {
                case FLIPPED_VALUE -> {
                    f.seek(at);
                    f.readFully(slot);
                    slot[13] ^= 0x10;
                }
                case NEIGHBOUR_COPIED -> {
                    f.seek(at - 56);
                    f.readFully(slot);
                }
                case ALL_ONES -> java.util.Arrays.fill(slot, (byte) 0xFF);
            }
            f.seek(at);
            f.write(slot);
        }
        meter.recorded.remove(T.plus(Duration.ofMinutes(61)));

        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            List<Interval> minutes = h.intervals(T, T.plus(Duration.ofMinutes(120)), Duration.ofMinutes(1));
            assertThat(minutes.get(60).minutesCovered()).isZero();
            assertThat(minutes.get(60).deliveredMicroWh()).containsOnly(0);
            assertThat(minutes.get(61).complete()).isTrue();
            meter.assertAgrees(minutes);
            Interval hours = h.intervals(T, T.plus(Duration.ofHours(2)), Duration.ofHours(1)).get(1);
            assertThat(hours.minutesCovered()).isEqualTo(59);
            meter.assertAgrees(List.of(hours));
            assertThat(h.stats().damagedSlots()).isEqualTo(1);
        }
    }

    @Test
    void retention_deletesMonthsThatEndedRetentionDaysBeforeTheNewMonthBegan() throws IOException {
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 40)) {
            Files.writeString(dir.resolve("notes.txt"), "not ours");
            for (String month : List.of("2026-01", "2026-02", "2026-03")) {
                h.record(Instant.parse(month + "-15T12:00:00Z"), IntervalHistoryTest.snapshot(1, 0));
            }
            Files.write(dir.resolve("2026-01.hist.damaged"), new byte[] {1, 2, 3});
            // 1 March - 40 days is 20 January: January has not ended 40 days before.
            assertThat(names(dir)).containsExactly("2026-01.hist", "2026-01.hist.damaged", "2026-02.hist",
                    "2026-03.hist", "notes.txt");

            h.record(Instant.parse("2026-04-01T00:01:00Z"), IntervalHistoryTest.snapshot(2, 0));
            // 1 April - 40 days is 20 February: January ended before it, February after.
            assertThat(names(dir)).containsExactly("2026-02.hist", "2026-03.hist", "2026-04.hist", "notes.txt");
            assertThat(h.stats().files()).isEqualTo(3);

            Interval january = h.monthly(YearMonth.of(2026, 1), YearMonth.of(2026, 1), java.time.ZoneOffset.UTC).get(0);
            assertThat(january.minutesCovered()).isZero();
        }
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 10)) {
            // At open, against the newest recorded month: 1 April - 10 days is 22 March.
            assertThat(names(dir)).containsExactly("2026-03.hist", "2026-04.hist", "notes.txt");
        }
    }

    @Test
    void badHeader_fileIsSetAsideAndReported_andTheMonthStartsAfresh() throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("2026-11.hist"), "this is not a history file, 32+ bytes long".getBytes());
        Files.write(dir.resolve("2026-10.hist"), new byte[] {1, 2});
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            assertThat(h.stats().setAside()).containsExactly(
                    "2026-10.hist -> 2026-10.hist.damaged: header truncated (2 of 32 bytes)",
                    "2026-11.hist -> 2026-11.hist.damaged: not a history file (magic 74686973)");
            assertThat(names(dir)).containsExactly("2026-10.hist.damaged", "2026-11.hist.damaged");

            h.record(T.plus(Duration.ofMinutes(1)), IntervalHistoryTest.snapshot(10, 0));
            h.record(T.plus(Duration.ofMinutes(2)), IntervalHistoryTest.snapshot(25, 0));
            assertThat(h.intervals(T, T.plus(Duration.ofMinutes(2)), Duration.ofHours(1)).get(0).deliveredMicroWh(1))
                    .isEqualTo(15);
            assertThat(h.stats().files()).isEqualTo(1);
        }
    }

    @Test
    void headerOfAnotherMonth_isSetAside() throws IOException {
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            h.record(T.plus(Duration.ofMinutes(1)), IntervalHistoryTest.snapshot(10, 0));
        }
        Files.move(dir.resolve("2026-11.hist"), dir.resolve("2026-10.hist"));
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            assertThat(h.stats().setAside())
                    .containsExactly("2026-10.hist -> 2026-10.hist.damaged: holds 2026-11, its name says 2026-10");
            assertThat(h.stats().newestMinuteEnd()).isNull();
        }
    }

    @Test
    void meterReconfiguredToTwoElements_oldFileIsSetAsideUnderANameThatSaysWhy() throws IOException {
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            h.record(T.plus(Duration.ofMinutes(1)), IntervalHistoryTest.snapshot(10, 0));
        }
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            assertThat(h.stats().setAside()).containsExactly(
                    "2026-11.hist -> 2026-11.hist.elements-1: written for 1 element(s), the meter now has 2");
            h.record(T.plus(Duration.ofMinutes(2)), EnergySnapshot.zero(2));
            assertThat(names(dir)).containsExactly("2026-11.hist", "2026-11.hist.elements-1");
        }
    }

    @Test
    void recordingThreadInterrupted_failsThatMinuteOnly_andTheNextRecordReopensTheFile() {
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            RecordedMeter meter = new RecordedMeter(h, T, 12);
            meter.runAndRecord(10);
            EnergySnapshot lost = meter.run();
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> h.record(meter.now(), lost)).isInstanceOf(StorageException.class)
                        .hasMessageContaining("2026-11.hist");
            } finally {
                Thread.interrupted();
            }
            meter.runAndRecord(10);
            List<Interval> minutes = h.intervals(T, meter.now(), Duration.ofMinutes(1));
            meter.assertAgrees(minutes);
            assertThat(minutes.get(10).minutesCovered()).isZero();
            assertThat(minutes.get(11).complete()).isTrue();
        }
    }

    @Test
    void secondOpenOfTheSameDirectory_isRefusedWhileTheFirstIsOpen() {
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            assertThatThrownBy(() -> IntervalHistory.open(dir, 1, 400)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("is in use by another gateway process");
        }
        IntervalHistory.open(dir, 1, 400).close();
    }

    @Test
    void afterClose_useIsRefused() {
        IntervalHistory h = IntervalHistory.open(dir, 1, 400);
        h.close();
        h.close();
        assertThatThrownBy(() -> h.record(T, IntervalHistoryTest.snapshot(1, 0)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> h.intervals(T, T.plusSeconds(60), Duration.ofMinutes(1)))
                .isInstanceOf(IllegalStateException.class);
    }
}
