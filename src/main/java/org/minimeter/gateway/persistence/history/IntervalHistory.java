package org.minimeter.gateway.persistence.history;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.Temporal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.persistence.StorageException;

/**
 * One meter's 1-minute interval history on disk: the register as it stood at the end of
 * every UTC minute, one file per UTC month ({@code yyyy-MM.hist}, layout in
 * {@link MonthFormat}), served as interval energy for any range and step, and as daily and
 * monthly totals in a time zone. It depends on nothing but the register and the clock, so a
 * broker outage leaves no mark on it.
 *
 * <h2>Why cumulative values</h2>
 *
 * <p>Each minute stores the register's cumulative delivered and received µWh (meter total
 * and each element), not the minute's energy. The energy of an interval is the register at
 * its end minus the register at the last recorded minute before it, so any total over any
 * range equals the register's difference over that range to the µWh, by construction, and
 * no lost, late or damaged minute can make totals drift: it only moves energy between
 * adjacent minutes.
 *
 * <h2>Gaps, damage and discontinuities</h2>
 *
 * <ul>
 *   <li>A minute with no slot (the gateway was off, the writer fell behind, a power cut
 *       took it) is <em>absent</em>: it reports no energy and does not count as covered.
 *       The energy of a gap is attributed to the first recorded minute after it, which
 *       carries the whole difference since the last recorded minute before the gap. A
 *       minute with no recorded minute before it at all (the first ever, or the first after
 *       retention deleted everything older) has no starting reading: it reports 0 and is
 *       not covered.
 *   <li>A slot whose checksum fails (a torn write, a bad SD card sector) is treated as
 *       absent and counted in {@link Stats#damagedSlots()}, once per slot however often it
 *       is read. Totals stay consistent across it, as across any gap.
 *   <li>A register quantity lower than at the previous recorded minute (an audited seed
 *       with allow-decrease, or a register restored from an older save after a power cut
 *       while this history had already reached the disk) is a discontinuity: that minute
 *       reports 0 for the quantity that went down, counts in
 *       {@link Interval#discontinuities()} rather than as covered, and the lower value is
 *       the new starting point. The energy between the two readings cannot be known.
 *       A seed that raises the total cannot be told from consumption and shows as energy
 *       in the minute it first appears in, as it does in the register.
 * </ul>
 *
 * <h2>Size on disk</h2>
 *
 * <p>A slot is 40 bytes for a one-element meter and 56 bytes for two (a 4-byte minute tag,
 * two longs for the total and for each element, a CRC-32). 400 days of minutes (576,000)
 * is 23,040,000 bytes (22.0 MiB) for one element and 32,256,000 bytes (30.8 MiB) for two. A
 * 31-day month file is 1,785,632 and 2,499,872 bytes. Retention works in whole months, so
 * with {@code retentionDays = 400} up to 15 files (14 past months and the current one) are
 * kept, at most 458 days of slots: 26.4 MB (one element) or 36.9 MB (two) per meter at the
 * worst. Files grow as minutes are written; gaps inside them may be holes on file systems
 * that support sparse files.
 *
 * <h2>Crash safety</h2>
 *
 * <p>A record is one positional write of one slot, with no fsync: an SD card serving
 * hundreds of meters cannot take an fsync per meter per minute. {@link #flush()} forces the
 * current month to the device (the caller does that on its own schedule, e.g. with the
 * register save), and a finished month is forced when the next begins. A kill -9 loses
 * nothing written (the page cache survives it); a power cut loses or tears at most the
 * minutes written since the last flush. Those become absent or damaged slots, never wrong
 * totals, because the values are cumulative.
 *
 * <h2>Retention</h2>
 *
 * <p>When the first minute of a new month is recorded (and at open), every month file that
 * ended at least {@code retentionDays} before that month began is deleted, set-aside files
 * of those months included. So at any time at least {@code retentionDays} of history are
 * kept, and the store is bounded as stated above.
 *
 * <h2>Threads</h2>
 *
 * <p>One thread records; any number of threads read. A write holds a short exclusive lock
 * (one slot, or a month change), and a read holds the shared lock only while it reads a
 * chunk of slots, so a long query neither blocks recording for long nor ever sees a slot
 * half written. The directory is locked against a second gateway process.
 *
 * <p>The clock is trusted: a minute older than the newest recorded one is ignored (and
 * counted in {@link Stats#olderIgnored()}), so a clock set far into the future and back
 * again stops recording until real time catches up, and a month change in the future may
 * delete files by retention. Records of the same minute overwrite each other.
 */
public final class IntervalHistory implements AutoCloseable {

    /**
     * Energy over {@code [start, end)}. Arrays are indexed like the register: 0 is the meter
     * total, 1..n the elements, in µWh.
     *
     * @param minutes minutes in the interval
     * @param minutesCovered minutes whose energy is known: recorded, with a recorded minute
     *        before them, and without a discontinuity. {@code minutesCovered == minutes}
     *        means complete data; a recorded minute after a gap is covered and carries the
     *        gap's energy
     * @param discontinuities minutes in which a register quantity went down (reported as 0)
     */
    public record Interval(Instant start, Instant end, long[] deliveredMicroWh, long[] receivedMicroWh,
            int minutes, int minutesCovered, int discontinuities) {

        public Interval {
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(end, "end");
            if (deliveredMicroWh.length != receivedMicroWh.length || deliveredMicroWh.length < 2) {
                throw new IllegalArgumentException("need total and per-element slots");
            }
            if (minutes < 0 || minutesCovered < 0 || discontinuities < 0 || minutesCovered + discontinuities > minutes) {
                throw new IllegalArgumentException("minutes " + minutes + " cannot hold " + minutesCovered
                        + " covered and " + discontinuities + " discontinuities");
            }
            deliveredMicroWh = deliveredMicroWh.clone();
            receivedMicroWh = receivedMicroWh.clone();
        }

        @Override
        public long[] deliveredMicroWh() {
            return deliveredMicroWh.clone();
        }

        @Override
        public long[] receivedMicroWh() {
            return receivedMicroWh.clone();
        }

        /** Delivered energy of register slot 0 (total) or element 1..n, in µWh. */
        public long deliveredMicroWh(int slot) {
            return deliveredMicroWh[slot];
        }

        /** Received energy of register slot 0 (total) or element 1..n, in µWh. */
        public long receivedMicroWh(int slot) {
            return receivedMicroWh[slot];
        }

        public int elements() {
            return deliveredMicroWh.length - 1;
        }

        /** Fraction of the interval's minutes whose energy is known, 0..1. */
        public double coverage() {
            return minutes == 0 ? 0 : (double) minutesCovered / minutes;
        }

        public boolean complete() {
            return minutesCovered == minutes;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Interval i && start.equals(i.start) && end.equals(i.end)
                    && Arrays.equals(deliveredMicroWh, i.deliveredMicroWh)
                    && Arrays.equals(receivedMicroWh, i.receivedMicroWh)
                    && minutes == i.minutes && minutesCovered == i.minutesCovered
                    && discontinuities == i.discontinuities;
        }

        @Override
        public int hashCode() {
            return Objects.hash(start, end, Arrays.hashCode(deliveredMicroWh), Arrays.hashCode(receivedMicroWh),
                    minutes, minutesCovered, discontinuities);
        }

        @Override
        public String toString() {
            return "Interval[" + start + ".." + end + ", delivered µWh=" + Arrays.toString(deliveredMicroWh)
                    + ", received µWh=" + Arrays.toString(receivedMicroWh) + ", minutes=" + minutesCovered + "/"
                    + minutes + (discontinuities > 0 ? ", discontinuities=" + discontinuities : "") + "]";
        }
    }

    /**
     * The store's condition.
     *
     * @param slotsWritten minutes recorded since open
     * @param olderIgnored records ignored since open because a newer minute was recorded
     * @param damagedSlots distinct slots found damaged since open (by open or by reads)
     * @param files month files in use
     * @param bytesOnDisk their total length, plus set-aside files still kept
     * @param newestMinuteEnd end of the newest recorded minute, null if there is none
     * @param setAside files renamed aside since open, each with the reason
     */
    public record Stats(long slotsWritten, long olderIgnored, long damagedSlots, int files, long bytesOnDisk,
            Instant newestMinuteEnd, List<String> setAside) {

        public Stats {
            setAside = List.copyOf(setAside);
        }
    }

    /** Steps {@link #intervals} accepts: 1 min, 15 min, 1 h, 1 day (UTC days; local days are {@link #daily}). */
    public static final List<Duration> STEPS = List.of(Duration.ofMinutes(1), Duration.ofMinutes(15),
            Duration.ofHours(1), Duration.ofDays(1));

    /** Most intervals one query returns: two months of minutes, 400 days of quarter hours. */
    public static final int MAX_INTERVALS = 100_000;

    /** Slots read per chunk (and per hold of the shared lock): about 230 kB for two elements. */
    private static final int CHUNK_SLOTS = 4096;

    private static final Pattern MONTH_FILE = Pattern.compile("(\\d{4})-(\\d{2})\\.hist");
    private static final Pattern ANY_MONTH_FILE = Pattern.compile("(\\d{4})-(\\d{2})\\.hist(\\..+)?");

    private final Path dir;
    private final int retentionDays;
    private final MonthFormat format;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    // Written under the exclusive lock; read by stats() without it, hence volatile.
    private volatile long newestMinute = Long.MIN_VALUE;
    private YearMonth writeMonth;
    private FileChannel writeChannel;
    private final ByteBuffer slotBuffer;
    private volatile boolean closed;

    private final AtomicLong slotsWritten = new AtomicLong();
    private final AtomicLong olderIgnored = new AtomicLong();
    private final Set<Long> damagedMinutes = ConcurrentHashMap.newKeySet();
    private final List<String> setAside = new CopyOnWriteArrayList<>();

    private IntervalHistory(Path dir, int retentionDays, MonthFormat format, FileChannel lockChannel,
            FileLock dirLock) {
        this.dir = dir;
        this.retentionDays = retentionDays;
        this.format = format;
        this.lockChannel = lockChannel;
        this.dirLock = dirLock;
        this.slotBuffer = ByteBuffer.allocate(format.slotBytes);
    }

    /**
     * Opens (creating if needed) the history in {@code dir} and locks the directory. Files
     * with a bad header are renamed aside and reported in {@link Stats#setAside()}; the
     * newest recorded minute is found, and retention applied.
     *
     * @param elements the meter's elements, 1 or 2
     * @param retentionDays how long history is kept, in days (> 0; 400 meets the device
     *        requirement)
     * @throws StorageException if the directory cannot be created, written or locked
     */
    public static IntervalHistory open(Path dir, int elements, int retentionDays) {
        Objects.requireNonNull(dir, "dir");
        if (elements < 1 || elements > 2) {
            throw new IllegalArgumentException("elements: 1 or 2, was " + elements);
        }
        if (retentionDays <= 0) {
            throw new IllegalArgumentException("retentionDays: must be > 0, was " + retentionDays);
        }
        String where = dir.toAbsolutePath().normalize().toString();
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve("history.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                throw new StorageException("history " + where + " is in use by another gateway process (its lock is held)");
            }
            IntervalHistory h = new IntervalHistory(dir, retentionDays, new MonthFormat(elements), channel, l);
            try {
                h.recover();
            } catch (IOException | RuntimeException e) {
                h.close();
                throw e;
            }
            return h;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StorageException("history " + where + " cannot be opened: " + describe(e), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public int elements() {
        return format.elements;
    }

    /** Sets aside bad files, finds the newest recorded minute, applies retention. */
    private void recover() throws IOException {
        List<YearMonth> months = months();
        for (YearMonth m : months) {
            try (FileChannel ch = FileChannel.open(file(m), StandardOpenOption.READ)) {
                MonthFormat.HeaderCheck c = checkHeader(ch, m);
                if (!c.ok()) {
                    setAsideFile(m, c);
                }
            }
        }
        Found newest = lastPresentBefore(Long.MAX_VALUE);
        if (newest != null) {
            newestMinute = newest.minute;
            retain(MonthFormat.monthOf(newestMinute));
        }
    }

    /**
     * Records the register as it stood at the end of the minute ending at
     * {@code minuteEnd} (truncated to the minute, so call it within the minute after).
     * Recording the same minute again overwrites it; a minute older than the newest
     * recorded one is ignored and counted.
     *
     * @throws IllegalArgumentException if the register has another number of elements
     * @throws StorageException if the write fails (the message names the file)
     */
    public void record(Instant minuteEnd, EnergySnapshot register) {
        Objects.requireNonNull(minuteEnd, "minuteEnd");
        Objects.requireNonNull(register, "register");
        if (register.elements() != format.elements) {
            throw new IllegalArgumentException("register has " + register.elements() + " element(s), the history "
                    + format.elements);
        }
        long[] delivered = register.deliveredMicroWh();
        long[] received = register.receivedMicroWh();
        for (int q = 0; q < format.quantities; q++) {
            if (delivered[q] < 0 || received[q] < 0) {
                throw new IllegalArgumentException("a register never holds negative energy: " + register);
            }
        }
        // The slot belongs to the minute that ends at minuteEnd, so 00:00 of the 1st closes
        // the previous month.
        long minute = Math.floorDiv(minuteEnd.getEpochSecond(), 60) - 1;
        lock.writeLock().lock();
        try {
            ensureOpen();
            if (minute < newestMinute) {
                olderIgnored.incrementAndGet();
                return;
            }
            if (writeChannel != null && !writeChannel.isOpen()) {
                // An interrupt of the recording thread closes the channel under it; reopen
                // rather than fail every minute from then on.
                writeChannel = null;
                writeMonth = null;
            }
            YearMonth month = MonthFormat.monthOf(minute);
            if (!month.equals(writeMonth)) {
                switchMonth(month);
            }
            int index = (int) (minute - MonthFormat.firstMinute(month));
            slotBuffer.clear();
            format.encode(slotBuffer, month, index, delivered, received);
            slotBuffer.flip();
            writeFully(writeChannel, slotBuffer, format.offset(index));
            newestMinute = minute;
            slotsWritten.incrementAndGet();
        } catch (IOException e) {
            throw new StorageException("history: writing " + file(MonthFormat.monthOf(minute)) + " failed: "
                    + describe(e), e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void switchMonth(YearMonth month) throws IOException {
        if (writeChannel != null) {
            FileChannel finished = writeChannel;
            writeChannel = null;
            writeMonth = null;
            // A finished month becomes durable once, when the next one starts.
            try (finished) {
                finished.force(false);
            }
        }
        Path p = file(month);
        if (Files.exists(p)) {
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            MonthFormat.HeaderCheck c = checkHeader(ch, month);
            if (c.ok()) {
                writeChannel = ch;
            } else {
                ch.close();
                setAsideFile(month, c);
            }
        }
        if (writeChannel == null) {
            FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            try {
                writeFully(ch, format.header(month), 0);
                ch.force(true);
                syncDirectory();
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            writeChannel = ch;
        }
        writeMonth = month;
        retain(month);
    }

    /** Deletes the files of months that ended at least retentionDays before {@code current} began. */
    private void retain(YearMonth current) {
        Instant cutoff = current.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().minus(Duration.ofDays(retentionDays));
        for (Path p : list()) {
            YearMonth month = monthOfName(ANY_MONTH_FILE, p);
            if (month == null) {
                continue;
            }
            Instant end = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
            if (!end.isAfter(cutoff)) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // A file that will not go away costs space, not correctness; retried next month.
                }
            }
        }
    }

    /** Forces everything recorded so far to the device. */
    public void flush() {
        lock.writeLock().lock();
        try {
            ensureOpen();
            if (writeChannel != null) {
                writeChannel.force(false);
            }
        } catch (IOException e) {
            throw new StorageException("history: flushing " + file(writeMonth) + " failed: " + describe(e), e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Energy per {@code step} from {@code from} to {@code to}, intervals starting at
     * {@code from}; the last is shorter if the range is not a whole number of steps.
     *
     * @param from start, on a whole UTC minute
     * @param to end (exclusive), on a whole UTC minute, after {@code from}
     * @param step one of {@link #STEPS}
     */
    public List<Interval> intervals(Instant from, Instant to, Duration step) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(step, "step");
        if (!STEPS.contains(step)) {
            throw new IllegalArgumentException("step: one of PT1M, PT15M, PT1H, P1D (1 min, 15 min, 1 h, 1 day), was "
                    + step);
        }
        wholeMinute("from", from);
        wholeMinute("to", to);
        if (!to.isAfter(from)) {
            throw new IllegalArgumentException("to: must be after from (" + from + "), was " + to);
        }
        long first = from.getEpochSecond() / 60;
        long last = to.getEpochSecond() / 60;
        long stepMinutes = step.toMinutes();
        long count = (last - first + stepMinutes - 1) / stepMinutes;
        checkCount(count, "from/to/step");
        long[] bounds = new long[(int) count + 1];
        for (int i = 0; i < count; i++) {
            bounds[i] = first + i * stepMinutes;
        }
        bounds[(int) count] = last;
        return aggregate(bounds);
    }

    /**
     * Energy per local day in {@code zone}, {@code from} to {@code to} inclusive. A day
     * runs from one local midnight (or the day's first instant, where midnight is skipped)
     * to the next, so DST change days have 23 or 25 hours of minutes.
     *
     * @throws IllegalArgumentException if {@code to} is before {@code from}, or the zone puts
     *         a day boundary off a whole minute (historic local mean times)
     */
    public List<Interval> daily(LocalDate from, LocalDate to, ZoneId zone) {
        return calendar(from, to, zone, ChronoUnit.DAYS, day -> day);
    }

    /**
     * Energy per calendar month in {@code zone}, {@code from} to {@code to} inclusive, each
     * from local midnight of its first day to local midnight of the next month's first day.
     */
    public List<Interval> monthly(YearMonth from, YearMonth to, ZoneId zone) {
        return calendar(from, to, zone, ChronoUnit.MONTHS, month -> month.atDay(1));
    }

    /**
     * Energy per calendar {@code period} (days or months) from {@code from} to {@code to}
     * inclusive, each from the local start of its {@code firstDay} in {@code zone}: the
     * boundaries are local midnights, not fixed lengths of time.
     */
    private <T extends Temporal & Comparable<? super T>> List<Interval> calendar(T from, T to, ZoneId zone,
            ChronoUnit period, Function<T, LocalDate> firstDay) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(zone, "zone");
        if (to.compareTo(from) < 0) {
            throw new IllegalArgumentException("to: must not be before from (" + from + "), was " + to);
        }
        long count = period.between(from, to) + 1;
        checkCount(count, "from/to");
        LocalDate start = firstDay.apply(from);
        long[] bounds = new long[(int) count + 1];
        for (int i = 0; i <= count; i++) {
            bounds[i] = zoneMinute(start.plus(i, period).atStartOfDay(zone).toInstant(), zone);
        }
        return aggregate(bounds);
    }

    private static void checkCount(long count, String fields) {
        if (count > MAX_INTERVALS) {
            throw new IllegalArgumentException(fields + ": " + count + " intervals, at most " + MAX_INTERVALS + "; ask for a shorter range or a longer step");
        }
    }

    private static void wholeMinute(String field, Instant t) {
        if (t.getNano() != 0 || t.getEpochSecond() % 60 != 0) {
            throw new IllegalArgumentException(field + ": must be on a whole minute, was " + t);
        }
    }

    private static long zoneMinute(Instant t, ZoneId zone) {
        if (t.getEpochSecond() % 60 != 0) {
            throw new IllegalArgumentException("zone: " + zone + " puts a day boundary at " + t
                    + ", not on a whole minute");
        }
        return t.getEpochSecond() / 60;
    }

    /** Sums the minutes of each interval {@code [bounds[k], bounds[k+1])} (epoch minutes). */
    private List<Interval> aggregate(long[] bounds) {
        ensureOpen();
        int intervals = bounds.length - 1;
        int quantities = format.quantities;
        long[][] energy = new long[intervals][2 * quantities];
        int[] covered = new int[intervals];
        int[] discontinuities = new int[intervals];
        Found before = lastPresentBefore(bounds[0]);
        long[][] prev = {before == null ? null : before.values};
        int[] k = {0};
        try {
            forEachSlot(bounds[0], bounds[intervals], (minute, values) -> {
                while (minute >= bounds[k[0] + 1]) {
                    k[0]++;
                }
                if (prev[0] == null) {
                    prev[0] = values.clone();
                    return;
                }
                boolean wentDown = false;
                for (int q = 0; q < 2 * quantities; q++) {
                    long d = values[q] - prev[0][q];
                    if (d < 0) {
                        wentDown = true;
                    } else {
                        energy[k[0]][q] += d;
                    }
                    prev[0][q] = values[q];
                }
                if (wentDown) {
                    discontinuities[k[0]]++;
                } else {
                    covered[k[0]]++;
                }
            });
        } catch (IOException e) {
            throw new StorageException("history: reading " + dir.toAbsolutePath().normalize() + " failed: "
                    + describe(e), e);
        }
        List<Interval> out = new ArrayList<>(intervals);
        for (int i = 0; i < intervals; i++) {
            out.add(new Interval(Instant.ofEpochSecond(bounds[i] * 60), Instant.ofEpochSecond(bounds[i + 1] * 60),
                    Arrays.copyOfRange(energy[i], 0, quantities),
                    Arrays.copyOfRange(energy[i], quantities, 2 * quantities),
                    (int) (bounds[i + 1] - bounds[i]), covered[i], discontinuities[i]));
        }
        return out;
    }

    private interface SlotVisitor {
        /** A present slot; {@code values} is reused after the call returns. */
        void present(long minute, long[] values);
    }

    /** Visits the present slots of the minutes {@code [first, end)}, oldest first. */
    private void forEachSlot(long first, long end, SlotVisitor visitor) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_SLOTS * format.slotBytes);
        long[] values = new long[2 * format.quantities];
        YearMonth month = MonthFormat.monthOf(first);
        long monthStart = MonthFormat.firstMinute(month);
        while (monthStart < end) {
            long monthEnd = monthStart + MonthFormat.minutesIn(month);
            try (FileChannel ch = openForReading(month)) {
                if (ch != null) {
                    int from = (int) (Math.max(first, monthStart) - monthStart);
                    int to = (int) (Math.min(end, monthEnd) - monthStart);
                    for (int c = from; c < to; c += CHUNK_SLOTS) {
                        int n = Math.min(CHUNK_SLOTS, to - c);
                        readChunk(ch, c, n, buf);
                        for (int i = 0; i < n; i++) {
                            long minute = monthStart + c + i;
                            if (decode(buf, i, month, c + i, minute, values)) {
                                visitor.present(minute, values);
                            }
                        }
                    }
                }
            }
            month = month.plusMonths(1);
            monthStart = monthEnd;
        }
    }

    private record Found(long minute, long[] values) {
    }

    /** The newest present slot of a minute before {@code end}, or null. */
    private Found lastPresentBefore(long end) {
        ensureOpen();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_SLOTS * format.slotBytes);
        long[] values = new long[2 * format.quantities];
        List<YearMonth> months = months();
        try {
            for (int m = months.size() - 1; m >= 0; m--) {
                YearMonth month = months.get(m);
                long monthStart = MonthFormat.firstMinute(month);
                if (monthStart >= end) {
                    continue;
                }
                try (FileChannel ch = openForReading(month)) {
                    if (ch == null) {
                        continue;
                    }
                    int slots = (int) Math.min(MonthFormat.minutesIn(month), end - monthStart);
                    // Only the slots the file reaches: beyond its end nothing was written.
                    slots = (int) Math.min(slots, Math.max(0, (ch.size() - MonthFormat.HEADER_BYTES
                            + format.slotBytes - 1) / format.slotBytes));
                    for (int c = slots; c > 0; c -= CHUNK_SLOTS) {
                        int n = Math.min(CHUNK_SLOTS, c);
                        readChunk(ch, c - n, n, buf);
                        for (int i = n - 1; i >= 0; i--) {
                            long minute = monthStart + c - n + i;
                            if (decode(buf, i, month, c - n + i, minute, values)) {
                                return new Found(minute, values.clone());
                            }
                        }
                    }
                }
            }
            return null;
        } catch (IOException e) {
            throw new StorageException("history: reading " + dir.toAbsolutePath().normalize() + " failed: "
                    + describe(e), e);
        }
    }

    private boolean decode(ByteBuffer buf, int i, YearMonth month, int minuteOfMonth, long minute, long[] values) {
        MonthFormat.Slot s = format.decode(buf, i * format.slotBytes, month, minuteOfMonth, values);
        if (s == MonthFormat.Slot.DAMAGED) {
            damagedMinutes.add(minute);
        }
        return s == MonthFormat.Slot.PRESENT;
    }

    /** Reads {@code n} slots from {@code firstSlot}; what lies beyond the file's end reads as zeros. */
    private void readChunk(FileChannel ch, int firstSlot, int n, ByteBuffer buf) throws IOException {
        buf.clear();
        Arrays.fill(buf.array(), 0, n * format.slotBytes, (byte) 0);
        buf.limit(n * format.slotBytes);
        long pos = format.offset(firstSlot);
        // Shared with other readers, exclusive of the writer: never half a slot.
        lock.readLock().lock();
        try {
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos);
                if (r < 0) {
                    break;
                }
                pos += r;
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The month's file opened for reading, or null if it is missing or its header is bad. */
    private FileChannel openForReading(YearMonth month) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file(month), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            if (checkHeader(ch, month).ok()) {
                return ch;
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        ch.close();
        return null;
    }

    private MonthFormat.HeaderCheck checkHeader(FileChannel ch, YearMonth month) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(MonthFormat.HEADER_BYTES);
        int read = 0;
        while (b.hasRemaining()) {
            int r = ch.read(b, read);
            if (r < 0) {
                break;
            }
            read += r;
        }
        return format.check(b, read, month);
    }

    private void setAsideFile(YearMonth month, MonthFormat.HeaderCheck check) throws IOException {
        Path p = file(month);
        Path target = dir.resolve(p.getFileName() + check.setAsideSuffix());
        for (int i = 2; Files.exists(target); i++) {
            target = dir.resolve(p.getFileName() + check.setAsideSuffix() + "-" + i);
        }
        Files.move(p, target);
        setAside.add(p.getFileName() + " -> " + target.getFileName() + ": " + check.reason());
    }

    /** Month files by name (not set-aside ones), oldest first. */
    private List<YearMonth> months() {
        List<YearMonth> out = new ArrayList<>();
        for (Path p : list()) {
            YearMonth month = monthOfName(MONTH_FILE, p);
            if (month != null) {
                out.add(month);
            }
        }
        out.sort(null);
        return out;
    }

    /** The month a file's name says, or null for files that are not ours (or month 13). */
    private static YearMonth monthOfName(Pattern pattern, Path p) {
        Matcher m = pattern.matcher(p.getFileName().toString());
        if (!m.matches()) {
            return null;
        }
        int month = Integer.parseInt(m.group(2));
        return month >= 1 && month <= 12 ? YearMonth.of(Integer.parseInt(m.group(1)), month) : null;
    }

    private List<Path> list() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new StorageException("history: cannot list " + dir.toAbsolutePath().normalize() + ": "
                    + describe(e), e);
        }
    }

    private Path file(YearMonth month) {
        return dir.resolve(month + ".hist");
    }

    public Stats stats() {
        int files = 0;
        long bytes = 0;
        for (Path p : list()) {
            String name = p.getFileName().toString();
            if (ANY_MONTH_FILE.matcher(name).matches()) {
                try {
                    bytes += Files.size(p);
                } catch (IOException e) {
                    continue; // deleted by retention meanwhile
                }
                if (MONTH_FILE.matcher(name).matches()) {
                    files++;
                }
            }
        }
        long newest = newestMinute;
        return new Stats(slotsWritten.get(), olderIgnored.get(), damagedMinutes.size(), files, bytes,
                newest == Long.MIN_VALUE ? null : Instant.ofEpochSecond((newest + 1) * 60), setAside);
    }

    /**
     * Writes intervals as CSV: {@code start,end}, then delivered and received Wh of the
     * meter total and of each element with six decimals (exactly the µWh), then
     * {@code coverage} (covered minutes / minutes, rounded down to six decimals so an
     * incomplete interval never shows 1.000000) and {@code discontinuities}.
     *
     * @throws IllegalArgumentException if the list is empty (the columns depend on the
     *         elements) or mixes element counts
     */
    public static void writeCsv(List<Interval> intervals, Appendable out) throws IOException {
        if (intervals.isEmpty()) {
            throw new IllegalArgumentException("intervals: at least one, the columns depend on the meter's elements");
        }
        int elements = intervals.get(0).elements();
        out.append("start,end,delivered_wh_total,received_wh_total");
        for (int e = 1; e <= elements; e++) {
            out.append(",delivered_wh_e").append(Integer.toString(e)).append(",received_wh_e")
                    .append(Integer.toString(e));
        }
        out.append(",coverage,discontinuities\n");
        for (Interval i : intervals) {
            if (i.elements() != elements) {
                throw new IllegalArgumentException("intervals: all of one meter, found " + elements + " and "
                        + i.elements() + " elements");
            }
            out.append(i.start().toString()).append(',').append(i.end().toString());
            for (int q = 0; q <= elements; q++) {
                out.append(',').append(wh(i.deliveredMicroWh(q))).append(',').append(wh(i.receivedMicroWh(q)));
            }
            BigDecimal coverage = i.minutes() == 0 ? BigDecimal.ZERO.setScale(6)
                    : BigDecimal.valueOf(i.minutesCovered()).divide(BigDecimal.valueOf(i.minutes()), 6, RoundingMode.DOWN);
            out.append(',').append(coverage.toPlainString()).append(',')
                    .append(Integer.toString(i.discontinuities())).append('\n');
        }
    }

    private static String wh(long microWh) {
        return BigDecimal.valueOf(microWh, 6).toPlainString();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("history " + dir + " is closed");
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    private void syncDirectory() {
        // Without this a new month's file may not survive a power cut on ext4; some
        // platforms cannot open a directory, and then there is nothing more to do.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // best effort
        }
    }

    private static String describe(Exception e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    /** Forces and closes the current month and releases the directory. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (writeChannel != null) {
                try {
                    writeChannel.force(false);
                } catch (IOException e) {
                    // closing anyway; the next open finds what reached the disk
                }
                closeQuietly(writeChannel);
                writeChannel = null;
            }
            try {
                if (dirLock.isValid()) {
                    dirLock.release();
                }
            } catch (IOException ignored) {
                // the lock goes with the channel
            }
            closeQuietly(lockChannel);
        } finally {
            lock.writeLock().unlock();
        }
    }
}
