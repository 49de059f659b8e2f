package org.minimeter.gateway.persistence.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.persistence.history.IntervalHistory.Interval;

/** What the history reports: energy that agrees with the register, in any range, step and zone. */
class IntervalHistoryTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    /** Three days across a month end, so every query also crosses files. */
    private static final Instant START = Instant.parse("2026-11-29T00:00:00Z");

    @TempDir
    Path dir;

    /** Three days of minutes with a 137-minute gap in the middle of the second day. */
    private RecordedMeter threeDaysWithAGap(IntervalHistory h) {
        RecordedMeter meter = new RecordedMeter(h, START, 42);
        meter.runAndRecord(1440 + 600);
        meter.runUnrecorded(137);
        meter.runAndRecord(4320 - 1440 - 600 - 137);
        return meter;
    }

    @Test
    void intervals_overRandomRangesAndSteps_equalRegisterDifferencesToTheMicroWattHour() {
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            RecordedMeter meter = threeDaysWithAGap(h);
            Random r = new Random(7);
            for (int n = 0; n < 200; n++) {
                // A little before the first record to a little after the last.
                long a = r.nextInt(4400) - 40;
                long b = a + 1 + r.nextInt((int) (4400 - a));
                Instant from = START.plus(Duration.ofMinutes(a));
                Instant to = START.plus(Duration.ofMinutes(b));
                Duration step = IntervalHistory.STEPS.get(r.nextInt(IntervalHistory.STEPS.size()));
                List<Interval> got = h.intervals(from, to, step);

                assertThat(got.get(0).start()).isEqualTo(from);
                assertThat(got.get(got.size() - 1).end()).isEqualTo(to);
                meter.assertAgrees(got);
                long sum = got.stream().mapToLong(i -> i.deliveredMicroWh(0)).sum();
                assertThat(sum).isEqualTo(RecordedMeter.delivered(meter.at(from), meter.at(to), 0));
            }
        }
    }

    @Test
    void wholeRecordedRange_totalsEqualTheRegisterFromFirstToLastRecord_withTheTotalNettedAcrossLegs() {
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            RecordedMeter meter = threeDaysWithAGap(h);
            List<Interval> days = h.intervals(START, START.plus(Duration.ofDays(3)), Duration.ofDays(1));
            EnergySnapshot first = meter.recorded.firstEntry().getValue();
            EnergySnapshot last = meter.recorded.lastEntry().getValue();
            for (int slot = 0; slot <= 2; slot++) {
                int s = slot;
                assertThat(days.stream().mapToLong(i -> i.deliveredMicroWh(s)).sum())
                        .isEqualTo(RecordedMeter.delivered(first, last, slot));
                assertThat(days.stream().mapToLong(i -> i.receivedMicroWh(s)).sum())
                        .isEqualTo(RecordedMeter.received(first, last, slot));
            }
            // Legs flowing in opposite directions cancel in the total: it is not their sum,
            // which is why the history stores it.
            long legs = days.stream().mapToLong(i -> i.deliveredMicroWh(1) + i.deliveredMicroWh(2)).sum();
            assertThat(days.stream().mapToLong(i -> i.deliveredMicroWh(0)).sum()).isLessThan(legs);
        }
    }

    @Test
    void gap_isNotCovered_andItsEnergyGoesToTheFirstRecordedMinuteAfterIt() {
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            RecordedMeter meter = threeDaysWithAGap(h);
            Instant lastBefore = START.plus(Duration.ofMinutes(2040));
            Instant firstAfter = lastBefore.plus(Duration.ofMinutes(138));

            List<Interval> minutes = h.intervals(lastBefore.minus(Duration.ofMinutes(1)),
                    firstAfter.plus(Duration.ofMinutes(1)), Duration.ofMinutes(1));
            assertThat(minutes).hasSize(140);
            assertThat(minutes.get(0).complete()).isTrue();
            assertThat(minutes.subList(1, 138)).allSatisfy(i -> {
                assertThat(i.minutesCovered()).isZero();
                assertThat(i.deliveredMicroWh()).containsOnly(0);
            });
            Interval after = minutes.get(138);
            assertThat(after.end()).isEqualTo(firstAfter);
            assertThat(after.complete()).isTrue();
            assertThat(after.deliveredMicroWh(1)).isEqualTo(RecordedMeter.delivered(meter.recorded.get(lastBefore),
                    meter.recorded.get(firstAfter), 1));
            // 138 minutes of up to 8 kW on leg 1: far more than one minute could hold
            assertThat(after.deliveredMicroWh(1)).isGreaterThan(8000L * 1_000_000 / 60);

            Interval hour = h.intervals(Instant.parse("2026-11-30T10:00:00Z"), Instant.parse("2026-11-30T11:00:00Z"),
                    Duration.ofHours(1)).get(0);
            assertThat(hour.minutes()).isEqualTo(60);
            assertThat(hour.minutesCovered()).isZero();
            assertThat(hour.coverage()).isZero();
        }
    }

    @Test
    void firstRecordedMinute_hasNoStartingReading_soItIsZeroAndNotCovered() {
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            RecordedMeter meter = new RecordedMeter(h, START, 1);
            meter.runAndRecord(3);
            List<Interval> got = h.intervals(START, START.plus(Duration.ofMinutes(3)), Duration.ofMinutes(1));
            assertThat(got.get(0).minutesCovered()).isZero();
            assertThat(got.get(0).deliveredMicroWh()).containsOnly(0);
            assertThat(got.get(1).complete()).isTrue();
            assertThat(got.get(2).complete()).isTrue();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "2026-03-28, 1440",
        "2026-03-29, 1380", // clocks go forward at 02:00: 23 h
        "2026-10-25, 1500", // clocks go back at 03:00: 25 h
    })
    void daily_inBerlin_dayHasTheLocalNumberOfMinutes_andAgreesWithTheRegisterAtLocalMidnights(LocalDate day,
            int minutes) {
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            Instant from = day.minusDays(1).atStartOfDay(BERLIN).toInstant();
            // One minute before the first day, so every minute of it has a starting reading.
            RecordedMeter meter = new RecordedMeter(h, from.minus(Duration.ofMinutes(1)), 3);
            meter.runAndRecord((int) Duration.between(meter.now(), day.plusDays(2).atStartOfDay(BERLIN).toInstant())
                    .toMinutes());

            List<Interval> days = h.daily(day.minusDays(1), day.plusDays(1), BERLIN);
            assertThat(days).hasSize(3);
            Interval d = days.get(1);
            assertThat(d.start()).isEqualTo(day.atStartOfDay(BERLIN).toInstant());
            assertThat(d.minutes()).isEqualTo(minutes);
            assertThat(d.minutesCovered()).isEqualTo(minutes);
            assertThat(days).allSatisfy(i -> assertThat(i.complete()).isTrue());
            meter.assertAgrees(days);
        }
    }

    @Test
    void monthly_inAZone_runsFromLocalMidnightOfTheFirst_andAgreesWithTheRegister() {
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            RecordedMeter meter = threeDaysWithAGap(h);
            List<Interval> months = h.monthly(YearMonth.of(2026, 11), YearMonth.of(2026, 12), BERLIN);
            assertThat(months).hasSize(2);
            assertThat(months.get(0).start()).isEqualTo(Instant.parse("2026-10-31T23:00:00Z"));
            assertThat(months.get(0).end()).isEqualTo(Instant.parse("2026-11-30T23:00:00Z"));
            assertThat(months.get(1).end()).isEqualTo(Instant.parse("2026-12-31T23:00:00Z"));
            assertThat(months.get(0).minutes()).isEqualTo(30 * 1440);
            meter.assertAgrees(months);
            // Recorded minutes in November Berlin time: 2 days less the hour after 23:00 UTC
            // on the 30th, less the gap, less the first minute (no starting reading).
            assertThat(months.get(0).minutesCovered()).isEqualTo(2 * 1440 - 60 - 137 - 1);
        }
    }

    @Test
    void registerGoingDown_isADiscontinuity_reportedAsZeroForThatQuantityOnly() {
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            RecordedMeter meter = new RecordedMeter(h, START, 5);
            meter.runAndRecord(60);
            EnergySnapshot before = meter.recorded.lastEntry().getValue();
            // An audited seed with allow-decrease sets the total alone, here to half.
            EnergySnapshot next = meter.run();
            long[] delivered = next.deliveredMicroWh();
            delivered[0] = before.deliveredMicroWh(0) / 2;
            EnergySnapshot seeded = new EnergySnapshot(delivered, next.receivedMicroWh(), next.committedSamples());
            h.record(meter.now(), seeded);
            meter.recorded.put(meter.now(), seeded);
            meter.runAndRecord(5);

            List<Interval> got = h.intervals(START, meter.now(), Duration.ofMinutes(1));
            Interval seedMinute = got.get(60);
            assertThat(seedMinute.discontinuities()).isEqualTo(1);
            assertThat(seedMinute.minutesCovered()).isZero();
            assertThat(seedMinute.deliveredMicroWh(0)).isZero();
            // The legs kept counting through the seed, so their energy is known.
            assertThat(seedMinute.deliveredMicroWh(1)).isEqualTo(RecordedMeter.delivered(before, seeded, 1));
            // After it the lower value is the starting point again.
            meter.assertAgrees(got.subList(61, 66));

            Interval all = h.intervals(START, meter.now(), Duration.ofDays(1)).get(0);
            assertThat(all.discontinuities()).isEqualTo(1);
            assertThat(all.complete()).isFalse();
            EnergySnapshot first = meter.recorded.firstEntry().getValue();
            EnergySnapshot last = meter.recorded.lastEntry().getValue();
            assertThat(all.deliveredMicroWh(0)).isEqualTo(RecordedMeter.delivered(first, before, 0)
                    + RecordedMeter.delivered(seeded, last, 0));
        }
    }

    @Test
    void sameMinuteTwice_theSecondOverwrites_andAnOlderMinuteIsIgnoredAndCounted() {
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            Instant m1 = Instant.parse("2026-11-23T10:01:00Z");
            Instant m2 = m1.plus(Duration.ofMinutes(1));
            h.record(m1, snapshot(1_000, 0));
            h.record(m2, snapshot(2_000, 0));
            h.record(m2.plusMillis(400), snapshot(2_500, 0)); // same minute, a later reading
            h.record(m1, snapshot(1_700, 0)); // older than the newest: ignored

            Interval i = h.intervals(m1, m2, Duration.ofMinutes(1)).get(0);
            assertThat(i.deliveredMicroWh(1)).isEqualTo(1_500);
            assertThat(h.stats().olderIgnored()).isEqualTo(1);
            assertThat(h.stats().slotsWritten()).isEqualTo(3);
            assertThat(h.stats().newestMinuteEnd()).isEqualTo(m2);
        }
    }

    @Test
    void readers_duringRecording_alwaysSeeTotalsTheRegisterHeld_andNeverAHalfWrittenSlot() throws Exception {
        try (IntervalHistory h = IntervalHistory.open(dir, 2, 400)) {
            RecordedMeter meter = new RecordedMeter(h, START, 11);
            meter.runAndRecord(1);
            EnergySnapshot first = meter.recorded.firstEntry().getValue();
            List<EnergySnapshot> written = new ArrayList<>();
            Instant end = START.plus(Duration.ofMinutes(6001));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Set<Long> seenTotals = new HashSet<>();
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger queries = new AtomicInteger();
            Thread reader = new Thread(() -> {
                try {
                    while (!done.get()) {
                        long total = h.intervals(START, end, Duration.ofHours(1)).stream()
                                .mapToLong(i -> i.deliveredMicroWh(0)).sum();
                        synchronized (seenTotals) {
                            seenTotals.add(total);
                        }
                        queries.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            for (int i = 0; i < 6000; i++) {
                meter.runAndRecord();
                written.add(meter.recorded.lastEntry().getValue());
                if (i % 500 == 499) {
                    // Let the reader finish a query that began after these minutes, so reads
                    // and writes interleave however slow the reader's first query is.
                    int q = queries.get();
                    while (queries.get() < q + 2 && failure.get() == null) {
                        Thread.onSpinWait();
                    }
                }
            }
            done.set(true);
            reader.join();

            assertThat(failure.get()).isNull();
            Set<Long> possible = new HashSet<>();
            possible.add(0L);
            written.forEach(s -> possible.add(RecordedMeter.delivered(first, s, 0)));
            // Readers ran while the register moved on, or this test proves nothing.
            assertThat(seenTotals).hasSizeGreaterThan(1);
            assertThat(possible).containsAll(seenTotals);
            assertThat(h.stats().damagedSlots()).isZero();
        }
    }

    @Test
    void invalidArguments_areRefusedNamingTheFieldAndWhatIsAllowed() {
        assertThatThrownBy(() -> IntervalHistory.open(dir, 3, 400)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("elements: 1 or 2, was 3");
        assertThatThrownBy(() -> IntervalHistory.open(dir, 1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retentionDays: must be > 0, was 0");
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            Instant t = Instant.parse("2026-11-23T10:00:00Z");
            assertThatThrownBy(() -> h.intervals(t, t.plusSeconds(3600), Duration.ofMinutes(5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("step: one of PT1M, PT15M, PT1H, P1D (1 min, 15 min, 1 h, 1 day), was PT5M");
            assertThatThrownBy(() -> h.intervals(t.plusSeconds(30), t.plusSeconds(3600), Duration.ofMinutes(1)))
                    .hasMessage("from: must be on a whole minute, was 2026-11-23T10:00:30Z");
            assertThatThrownBy(() -> h.intervals(t, t, Duration.ofMinutes(1)))
                    .hasMessage("to: must be after from (2026-11-23T10:00:00Z), was 2026-11-23T10:00:00Z");
            assertThatThrownBy(() -> h.intervals(t, t.plus(Duration.ofDays(400)), Duration.ofMinutes(1)))
                    .hasMessage("from/to/step: 576000 intervals, at most 100000; ask for a shorter range or a longer step");
            assertThatThrownBy(() -> h.daily(LocalDate.of(2026, 11, 2), LocalDate.of(2026, 11, 1), BERLIN))
                    .hasMessage("to: must not be before from (2026-11-02), was 2026-11-01");
            assertThatThrownBy(() -> h.record(t, EnergySnapshot.zero(2)))
                    .hasMessage("register has 2 element(s), the history 1");
            // Liberia kept local mean time (-0:44:30) until 1972.
            assertThatThrownBy(() -> h.daily(LocalDate.of(1960, 1, 1), LocalDate.of(1960, 1, 2),
                    ZoneId.of("Africa/Monrovia"))).hasMessage("zone: Africa/Monrovia puts a day boundary at"
                            + " 1960-01-01T00:44:30Z, not on a whole minute");
        }
    }

    static EnergySnapshot snapshot(long deliveredMicroWh, long receivedMicroWh) {
        return new EnergySnapshot(new long[] {deliveredMicroWh, deliveredMicroWh},
                new long[] {receivedMicroWh, receivedMicroWh}, 0);
    }
}
