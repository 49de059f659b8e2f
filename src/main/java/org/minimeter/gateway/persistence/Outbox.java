package org.minimeter.gateway.persistence;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The durable outbox of the gateway's QoS 1 MQTT messages (energy, pulse, health, alarm) of
 * every meter, under {@code <storage.dir>/outbox/}. A message is appended before it is
 * published and leaves only when the broker's PUBACK is {@link #acknowledge acknowledged}.
 * While the broker is unreachable messages accumulate; they are delivered in order (one
 * FIFO, so in order per meter too) afterwards, also after a restart or a kill -9 at any
 * instant.
 *
 * <h2>Bound policy</h2>
 *
 * <p>The outbox holds at most {@code maxBytes} of unacknowledged messages (acknowledged
 * messages do not count; a message counts its size on disk: topic, payload and 26 bytes).
 * When an append would exceed the bound, the oldest messages are dropped, in this order,
 * until it fits: first HEALTH messages (each is superseded by a newer one); then ENERGY
 * messages that have a newer ENERGY message of the same topic waiting (the register is
 * cumulative and retained, so the newer one carries everything the older did; the newest
 * energy message of every topic is kept, so no meter's energy ever goes down or goes
 * missing); then ALARM messages; and only then PULSE messages. The newest message being
 * appended is never dropped. Every drop is counted in {@link #stats()} ({@code dropped}, of
 * which {@code droppedPulses}): nothing is dropped silently. A single message larger than
 * {@code maxBytes / 2} is refused.
 *
 * <h2>What a crash can cost</h2>
 *
 * <ul>
 *   <li>Group commit: {@link #appendLater} writes without an fsync and {@link #sync} makes
 *       everything appended and acknowledged before it durable with one fsync per file that
 *       has pending writes (usually one), however many meters appended. {@link #append} is
 *       both. A power cut never loses a message whose append was followed by a returned
 *       {@code sync}, and that was not acknowledged.
 *   <li>A kill -9 (the page cache survives) loses nothing written: neither appends nor
 *       acknowledgements, synced or not.
 *   <li>An acknowledgement is written to the ack journal before {@link #acknowledge} returns,
 *       without an fsync; the next {@code sync}, checkpoint or segment removal forces it.
 *       After a power cut the acknowledgements since then come back and are sent again
 *       (at least once, never lost). A segment record is never removed before the
 *       acknowledgement or drop that released it is durable.
 *   <li>A record cut short or torn by a crash (its append not yet synced) is discarded. A
 *       damaged record is skipped and counted in {@link #integrity()}; the records around it
 *       survive. The ack journal is read past unreadable bytes (unsynced writes that a power
 *       cut left torn or out of order): a missing acknowledgement only means a re-send.
 * </ul>
 *
 * <h2>On disk</h2>
 *
 * <ul>
 *   <li>{@code seg-<first seq>.log}: append-only segments of records, each framed as magic,
 *       length, body, CRC-32 (see {@link OutboxRecords}); the body holds seq, kind, QoS,
 *       retain, topic and payload. A new segment starts when the current one reaches the
 *       segment size ({@code maxBytes / 8}, 16 KiB to 4 MiB); the full one is forced first,
 *       so only the newest segment can hold unsynced bytes. A segment whose messages are all
 *       gone is deleted; one less than half alive (other than the oldest, which is draining,
 *       and the newest) is rewritten with only its waiting messages (temp file, fsync, ack
 *       journal fsync, atomic rename, directory fsync). Segments therefore take at most 2 x
 *       {@code maxBytes} plus two segments; the journal adds at most 64 KiB or 32 bytes per
 *       waiting message.
 *   <li>{@code acks.log}: the ack journal, a checkpoint (next seq, everything below the
 *       oldest waiting message is gone, the gone ranges above it) followed by one record per
 *       acknowledgement or batch of drops. It is rewritten atomically as a new checkpoint
 *       (after forcing the segments, so a checkpoint never names a seq that is not on disk)
 *       when it has grown to twice the size of the last one, and at every open and close.
 *   <li>{@code outbox.lock}: held while open, so two gateways cannot share an outbox.
 * </ul>
 *
 * <p>Thread-safe. Appends, peeks and acknowledgements are serialised; {@link #sync} forces
 * the files outside that lock, so appends go on while a sync waits for the disk.
 */
public final class Outbox implements AutoCloseable {

    /** What a message is; decides what the bound drops first. */
    public enum Kind {
        ENERGY(1), PULSE(2), HEALTH(3), ALARM(4);

        /** Stored on disk: fixed, so reordering the constants never changes old files. */
        final byte code;

        Kind(int code) {
            this.code = (byte) code;
        }

        static Kind of(byte code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            return null;
        }
    }

    /** One message; seq increases by 1 per append, across restarts. */
    public record Message(long seq, Kind kind, String topic, byte[] payload, int qos, boolean retain) {

        public Message {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(payload, "payload");
            if (qos < 0 || qos > 2) {
                throw new IllegalArgumentException("qos must be 0, 1 or 2, was " + qos);
            }
        }

        /** A message to {@link #append}; it gets its seq there. */
        public static Message of(Kind kind, String topic, byte[] payload, int qos, boolean retain) {
            return new Message(0, kind, topic, payload, qos, retain);
        }

        Message withSeq(long s) {
            return new Message(s, kind, topic, payload, qos, retain);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Message m && seq == m.seq && kind == m.kind && topic.equals(m.topic)
                    && Arrays.equals(payload, m.payload) && qos == m.qos && retain == m.retain;
        }

        @Override
        public int hashCode() {
            return Objects.hash(seq, kind, topic, qos, retain) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Message[seq=" + seq + ", kind=" + kind + ", topic=" + topic + ", payload=" + payload.length
                    + " bytes, qos=" + qos + ", retain=" + retain + "]";
        }
    }

    /**
     * @param depth messages waiting for an acknowledgement
     * @param bytes their size on disk, the quantity the bound limits
     * @param dropped messages dropped by the bound since this outbox was opened, of every kind
     * @param droppedPulses of which PULSE messages
     */
    public record Stats(long depth, long bytes, long dropped, long droppedPulses) {
    }

    /**
     * Damage found since this outbox was opened. Any non-zero {@code lost} or a damaged
     * journal deserves an alarm.
     *
     * @param lost messages that had been durably appended and not acknowledged, but whose
     *     records are damaged or missing. Judged only while the ack journal's checkpoint is
     *     intact, and only for seqs a checkpoint had recorded (a checkpoint is written after
     *     the segments are forced, at every open and close and as the journal grows).
     * @param damagedBytes bytes skipped between or after records because they are no record
     * @param tornBytes bytes of the newest segment that a crash left cut short or torn
     *     (appends not yet synced): discarded, not damage
     * @param ackJournalDamaged the ack journal's checkpoint was unreadable: acknowledged
     *     messages may be sent again, and {@code lost} cannot be judged
     */
    public record Integrity(long lost, long damagedBytes, long tornBytes, boolean ackJournalDamaged) {
    }

    /**
     * Lets a test take the files as a kill -9 would leave them, before every step that
     * changes the disk, and follow what is durable, to build what a power cut would leave.
     */
    interface CrashPoint {
        CrashPoint NONE = (file, pending) -> {
        };

        /**
         * @param file the file about to change (written, renamed onto, truncated, created or deleted)
         * @param pending the bytes about to be written to it, or null for other changes
         */
        void before(Path file, byte[] pending);

        /** Everything written to {@code file} so far is durable. */
        default void forced(Path file) {
        }

        default void moved(Path from, Path to) {
        }

        default void deleted(Path file) {
        }

        /** The directory's entries (creations, renames, deletions) so far are durable. */
        default void directorySynced() {
        }
    }

    static final long MIN_MAX_BYTES = 1024;
    private static final long JOURNAL_MIN_BYTES = 64 * 1024;
    private static final int IMPORT_BATCH = 1000;
    private static final List<Kind> DROP_ORDER = List.of(Kind.HEALTH, Kind.ENERGY, Kind.ALARM, Kind.PULSE);
    private static final Pattern SEGMENT = Pattern.compile("seg-(\\d{19})\\.log");
    private static final String JOURNAL = "acks.log";

    private static final class Segment {
        final long first;
        final Path path;
        FileChannel channel;
        long size;
        /** Bytes of this file known durable: only the newest segment may be ahead of it. */
        long forced;
        long liveBytes;
        int liveCount;
        boolean compactFailed;
        /** Recovery skipped bytes between its records that were unsynced writes, not damage. */
        boolean tornInside;

        Segment(long first, Path path, FileChannel channel, long size) {
            this.first = first;
            this.path = path;
            this.channel = channel;
            this.size = size;
            this.forced = size;
        }
    }

    private static final class Entry {
        final long seq;
        final Kind kind;
        final int length;
        /** For ENERGY only (the bound compares energy per topic); shared with the index key. */
        final String topic;
        Segment segment;
        long offset;

        Entry(long seq, Kind kind, String topic, Segment segment, long offset, int length) {
            this.seq = seq;
            this.kind = kind;
            this.topic = topic;
            this.segment = segment;
            this.offset = offset;
            this.length = length;
        }
    }

    /** One force to do outside the monitor, as captured under it. */
    private record PendingForce(Segment segment, FileChannel channel, long size) {
    }

    private final Path dir;
    private final String where;
    private final long maxBytes;
    private final long segmentBytes;
    private final long journalMinBytes;
    private final CrashPoint crash;
    private final DirectoryLock lock;
    private final Path journalPath;
    /** Held by one sync at a time: a sync that waited finds its writes forced by the one before. */
    private final Object syncTurn = new Object();
    private final AtomicLong fsyncs = new AtomicLong();

    private final List<Segment> segments = new ArrayList<>();
    private final TreeMap<Long, Entry> live = new TreeMap<>();
    private final Map<Kind, TreeMap<Long, Entry>> byKind = new EnumMap<>(Kind.class);
    /** Waiting energy messages per topic, oldest first. */
    private final Map<String, TreeMap<Long, Entry>> energyByTopic = new HashMap<>();
    /** Waiting energy messages that have a newer one of their topic waiting: the only energy the bound may drop. */
    private final TreeMap<Long, Entry> supersededEnergy = new TreeMap<>();

    private FileChannel journal;
    private long journalBytes;
    private long checkpointBytes;
    /** Journal records written since this outbox was opened, and how many of them are known durable. */
    private long journalWritten;
    private long journalDurable;
    /** Every seq up to this is durable. */
    private long durableSeq;
    private long nextSeq = 1;
    private long liveBytes;
    private long dropped;
    private long droppedPulses;
    private long lost;
    private long damagedBytes;
    private long tornBytes;
    private boolean ackJournalDamaged;
    private boolean closed;

    /**
     * Opens or creates the outbox in {@code dir} and recovers what a crash left: a torn last
     * record is discarded, damaged records are skipped and counted ({@link #integrity()}),
     * and the bound is applied if the directory holds more than {@code maxBytes}. If it
     * fails, it leaves nothing open or locked behind.
     *
     * @throws StorageException naming the directory and the reason if it cannot be created,
     *     read, written or locked
     */
    public Outbox(Path dir, long maxBytes) {
        this(dir, maxBytes, Math.max(16 * 1024, Math.min(4L << 20, maxBytes / 8)), JOURNAL_MIN_BYTES, CrashPoint.NONE);
    }

    Outbox(Path dir, long maxBytes, long segmentBytes, long journalMinBytes, CrashPoint crash) {
        if (maxBytes < MIN_MAX_BYTES) {
            throw new IllegalArgumentException("the outbox bound must be at least " + MIN_MAX_BYTES + " bytes, was " + maxBytes);
        }
        this.dir = dir;
        this.where = dir.toAbsolutePath().normalize().toString();
        this.maxBytes = maxBytes;
        this.segmentBytes = Math.max(1, segmentBytes);
        this.journalMinBytes = journalMinBytes;
        this.crash = crash;
        this.journalPath = dir.resolve(JOURNAL);
        for (Kind k : Kind.values()) {
            byKind.put(k, new TreeMap<>());
        }
        this.lock = DirectoryLock.acquire(dir, "outbox.lock", "outbox " + where);
        try {
            recover();
        } catch (IOException e) {
            releaseAll();
            throw new StorageException("storage.dir: outbox " + where + " cannot be read or written: " + describe(e), e);
        } catch (RuntimeException | Error e) {
            releaseAll();
            throw e;
        }
    }

    public Path directory() {
        return dir;
    }

    /**
     * Appends messages durably, in order, and applies the bound policy: {@link #appendLater}
     * then {@link #sync}, so the call costs one fsync (shared with concurrent syncs).
     *
     * @return the messages with their seqs (some may already have been dropped by the bound
     *     if the call alone exceeds it; {@link #stats()} counts them)
     * @throws IllegalArgumentException if a message is larger than maxBytes / 2 or its topic
     *     is empty or longer than 65535 bytes; nothing is appended then
     * @throws StorageException if the disk write fails (nothing is appended then) or the
     *     fsync fails (the messages are in the outbox and will be sent, but may not survive a
     *     power cut)
     */
    public List<Message> append(List<Message> messagesWithoutSeq) {
        List<Message> out = appendLater(messagesWithoutSeq);
        sync();
        return out;
    }

    /**
     * Appends messages in order and applies the bound policy, without an fsync: they are
     * written to the segment file (a kill -9 keeps them), visible to {@link #peek} at once,
     * and durable against a power cut once a {@link #sync} that began after this call
     * returns. The seq of each input is ignored.
     *
     * @return the messages with their seqs, as {@link #append}
     * @throws IllegalArgumentException as {@link #append}; nothing is appended then
     * @throws StorageException if the disk write fails; nothing is appended then
     */
    public synchronized List<Message> appendLater(List<Message> messagesWithoutSeq) {
        ensureOpen();
        if (messagesWithoutSeq.isEmpty()) {
            return List.of();
        }
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        List<Message> out = new ArrayList<>(messagesWithoutSeq.size());
        int[] offsets = new int[messagesWithoutSeq.size()];
        long seq = nextSeq;
        for (int i = 0; i < offsets.length; i++) {
            Message m = messagesWithoutSeq.get(i).withSeq(seq + i);
            byte[] topic = m.topic().getBytes(StandardCharsets.UTF_8);
            if (topic.length == 0 || topic.length > 0xFFFF) {
                throw new IllegalArgumentException("topic must be 1-65535 bytes, was " + topic.length);
            }
            byte[] rec = OutboxRecords.message(m.seq(), m.kind().code, m.qos(), m.retain(), topic, m.payload());
            if (rec.length > maxBytes / 2) {
                throw new IllegalArgumentException("a message of " + rec.length + " bytes (" + m.topic()
                        + ") cannot fit an outbox bounded to " + maxBytes + " bytes (at most half of it per message)");
            }
            offsets[i] = batch.size();
            batch.writeBytes(rec);
            out.add(m);
        }
        byte[] bytes = batch.toByteArray();
        Segment active = activeForAppend();
        long start = active.size;
        try {
            crash.before(active.path, bytes);
            writeFully(active.channel, bytes, start);
        } catch (IOException e) {
            try {
                active.channel.truncate(start);
            } catch (IOException ignored) {
                // A partial record left behind is cut off as torn on the next open.
            }
            throw new StorageException("storage.dir: appending to outbox " + active.path + " failed: " + describe(e), e);
        }
        active.size = start + bytes.length;
        Entry newest = null;
        for (int i = 0; i < offsets.length; i++) {
            int length = (i + 1 < offsets.length ? offsets[i + 1] : bytes.length) - offsets[i];
            Message m = out.get(i);
            newest = new Entry(seq + i, m.kind(), m.kind() == Kind.ENERGY ? m.topic() : null, active,
                    start + offsets[i], length);
            remember(newest);
        }
        nextSeq = seq + offsets.length;
        List<Entry> victims = enforceBound(newest);
        try {
            if (!victims.isEmpty()) {
                journalGone(victims);
            }
            maintain();
        } catch (StorageException e) {
            // The messages are written: failing the call now would make the caller append them
            // twice. Drops that missed the journal come back at the next open and are dropped
            // again; a failing disk shows at the next sync or acknowledge.
        }
        return out;
    }

    /**
     * Makes every message appended and every acknowledgement recorded before this call
     * durable: forces the newest segment (older ones were forced when they filled up) and
     * the ack journal, each only if it has unsynced writes. Costs no fsync when nothing is
     * pending. Callable from any thread; a sync that finds another one forcing waits for it
     * and then has nothing left to do if that one covered its writes, so concurrent callers
     * share fsyncs.
     *
     * @throws StorageException if an fsync fails: what was pending may not survive a power cut
     */
    public void sync() {
        long wantSeq;
        long wantJournal;
        synchronized (this) {
            ensureOpen();
            wantSeq = nextSeq - 1;
            wantJournal = journalWritten;
            if (wantSeq <= durableSeq && wantJournal <= journalDurable) {
                return;
            }
        }
        synchronized (syncTurn) {
            List<PendingForce> pending = new ArrayList<>(2);
            long seqAt;
            long journalAt;
            synchronized (this) {
                if (closed || (wantSeq <= durableSeq && wantJournal <= journalDurable)) {
                    // close() forced everything in its checkpoint, or the sync before us did
                    return;
                }
                seqAt = nextSeq - 1;
                journalAt = journalWritten;
                for (Segment s : segments) {
                    if (s.size > s.forced) {
                        pending.add(new PendingForce(s, s.channel, s.size));
                    }
                }
                if (journalWritten > journalDurable) {
                    pending.add(new PendingForce(null, journal, journalBytes));
                }
            }
            for (PendingForce p : pending) {
                Path file = p.segment == null ? journalPath : p.segment.path;
                try {
                    p.channel.force(false);
                    fsyncs.incrementAndGet();
                    crash.forced(file);
                } catch (ClosedChannelException e) {
                    if (stillInUse(p)) {
                        // Closed under us by an interrupt of this thread: nothing was forced.
                        throw new StorageException("storage.dir: forcing outbox " + file + " to disk failed: "
                                + describe(e) + " (interrupted)", e);
                    }
                    // Replaced meanwhile: a compaction, checkpoint or close writes and forces the
                    // whole new file, and a deleted segment held nothing waiting.
                } catch (IOException e) {
                    throw new StorageException("storage.dir: forcing outbox " + file + " to disk failed: "
                            + describe(e), e);
                }
            }
            synchronized (this) {
                durableSeq = Math.max(durableSeq, seqAt);
                journalDurable = Math.max(journalDurable, journalAt);
                for (PendingForce p : pending) {
                    if (p.segment != null && p.segment.channel == p.channel) {
                        p.segment.forced = Math.max(p.segment.forced, p.size);
                    }
                }
            }
        }
    }

    private synchronized boolean stillInUse(PendingForce p) {
        if (closed) {
            return false;
        }
        return p.segment == null ? journal == p.channel : segments.contains(p.segment) && p.segment.channel == p.channel;
    }

    /** Oldest unacknowledged messages in seq order, at most {@code max}. Does not remove them. */
    public synchronized List<Message> peek(int max) {
        ensureOpen();
        if (max < 0) {
            throw new IllegalArgumentException("max must be >= 0, was " + max);
        }
        List<Message> out = new ArrayList<>(Math.min(max, live.size()));
        List<Entry> unreadable = new ArrayList<>();
        for (Entry e : live.values()) {
            if (out.size() >= max) {
                break;
            }
            byte[] rec = readRecord(e);
            OutboxRecords.Decoded d = rec == null ? null
                    : OutboxRecords.decodeMessage(OutboxRecords.body(rec, 0, rec.length));
            if (d == null) {
                unreadable.add(e);
                continue;
            }
            out.add(new Message(d.seq(), e.kind, d.topic(), d.payload(), d.qos(), d.retain()));
        }
        if (!unreadable.isEmpty()) {
            // Damaged since it was read at open (a failing card): it cannot be sent, so it is a loss.
            unreadable.forEach(this::forget);
            lost += unreadable.size();
            journalGone(unreadable);
            maintain();
        }
        return out;
    }

    /**
     * The broker acknowledged this seq: the message is gone. Acknowledgements may come in any
     * order; one for a message already gone (acknowledged twice, dropped) is ignored. The
     * journal record is written (a kill -9 keeps it) but forced only by the next
     * {@link #sync}, checkpoint or segment removal: after a power cut the message may be
     * sent again.
     *
     * @throws IllegalArgumentException for a seq this outbox never issued
     * @throws StorageException if the journal write fails: the message is gone from this
     *     outbox anyway, but may be sent again after a restart
     */
    public synchronized void acknowledge(long seq) {
        ensureOpen();
        if (seq < 1 || seq >= nextSeq) {
            throw new IllegalArgumentException("seq " + seq + " was never issued (next is " + nextSeq + ")");
        }
        Entry e = live.get(seq);
        if (e == null) {
            return;
        }
        forget(e);
        journalGone(List.of(e));
        maintain();
    }

    public synchronized Stats stats() {
        return new Stats(live.size(), liveBytes, dropped, droppedPulses);
    }

    public synchronized Integrity integrity() {
        return new Integrity(lost, damagedBytes, tornBytes, ackJournalDamaged);
    }

    /**
     * Every fsync this outbox has issued since it was opened (segments, ack journal,
     * rewritten files and the directory), including those of opening it: what group commit
     * saves shows here.
     */
    public long fsyncs() {
        return fsyncs.get();
    }

    /**
     * Moves the messages of an outbox of the earlier one-outbox-per-meter layout (e.g.
     * {@code <storage.dir>/<meter id>/outbox/}) into this one, then removes that directory:
     * every unacknowledged message, in order, with its kind, topic, payload, QoS and retain
     * flag, under new seqs. Each batch is synced here before it is acknowledged there, and
     * the directory goes (renamed aside, its parent forced, then deleted) only once it has
     * nothing waiting: a crash at any point at worst imports some messages twice at the next
     * start, and loses none. The bound of this outbox applies as to any append. Call it
     * before the meters start appending, so each meter's old messages come before its new
     * ones.
     *
     * @return how many messages were moved; 0 if {@code legacyDir} does not exist
     * @throws StorageException if either outbox cannot be read or written; what was not
     *     moved stays where it was
     * @throws IllegalArgumentException if a message is too large for this outbox's bound;
     *     nothing more is moved and the old directory stays
     */
    public long importFrom(Path legacyDir) {
        Path from = legacyDir.toAbsolutePath().normalize();
        if (from.equals(dir.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("outbox " + where + " cannot import from itself");
        }
        Path aside = from.resolveSibling(from.getFileName() + ".imported");
        // A rename aside that a crash kept from being deleted: its messages were all moved.
        deleteTree(aside);
        if (!Files.isDirectory(from)) {
            return 0;
        }
        long moved = 0;
        try (Outbox old = new Outbox(from, Long.MAX_VALUE / 4)) {
            for (List<Message> batch = old.peek(IMPORT_BATCH); !batch.isEmpty(); batch = old.peek(IMPORT_BATCH)) {
                append(batch);
                for (Message m : batch) {
                    old.acknowledge(m.seq());
                }
                moved += batch.size();
            }
        }
        try {
            Files.move(from, aside, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(aside.getParent());
        } catch (IOException e) {
            throw new StorageException("storage.dir: moved " + moved + " messages from outbox " + from
                    + " but cannot remove it (" + describe(e) + "); they would be imported again", e);
        }
        deleteTree(aside);
        return moved;
    }

    /** Writes a final checkpoint of the ack journal (all appends forced first) and releases the directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            checkpoint();
        } finally {
            releaseAll();
        }
    }

    // ---------------------------------------------------------------- recovery

    private void recover() throws IOException {
        List<Path> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.sorted().toList();
        }
        for (Path p : names) {
            if (p.getFileName().toString().endsWith(".tmp")) {
                // A compaction or checkpoint that did not reach its rename: the original is intact.
                crash.before(p, null);
                Files.deleteIfExists(p);
                crash.deleted(p);
            }
        }
        OutboxGone gone = readJournal();
        ackJournalDamaged = Files.exists(journalPath) && gone.wasDamaged();
        List<Path> files = names.stream().filter(p -> firstSeqOf(p) > 0)
                .sorted((a, b) -> Long.compare(firstSeqOf(a), firstSeqOf(b))).toList();
        long end = 0;
        for (int i = 0; i < files.size(); i++) {
            long first = firstSeqOf(files.get(i));
            if (i == 0) {
                // Segments before the first were deleted only once every message in them was gone.
                countLost(gone, 1, first - 1);
            }
            boolean last = i == files.size() - 1;
            end = readSegment(files.get(i), first, last ? Long.MAX_VALUE : firstSeqOf(files.get(i + 1)) - 1, last, gone);
        }
        if (!Files.exists(journalPath) && !live.isEmpty()) {
            ackJournalDamaged = true;
        }
        if (segments.isEmpty()) {
            nextSeq = gone.nextSeq();
            createSegment(nextSeq);
        } else {
            nextSeq = Math.max(Math.max(end + 1, segments.get(segments.size() - 1).first), gone.nextSeq());
        }
        durableSeq = nextSeq - 1;
        if (liveBytes > maxBytes) {
            // The bound was lowered since the last run, or drops not yet journaled came back.
            enforceBound(live.isEmpty() ? null : live.lastEntry().getValue());
        }
        checkpoint();
        Segment newest = segments.get(segments.size() - 1);
        if (newest.tornInside) {
            // Rewritten without the torn bytes, or the next open would take them for damage.
            // The checkpoint just written names the seqs they held as gone.
            compact(newest, Long.MAX_VALUE);
        }
        maintain();
    }

    private OutboxGone readJournal() throws IOException {
        OutboxGone gone = new OutboxGone();
        if (!Files.exists(journalPath)) {
            return gone;
        }
        byte[] d = readWhole(journalPath);
        boolean[] started = {false};
        OutboxRecords.scan(d, d.length, new OutboxRecords.Reader() {
            @Override
            public boolean accepts(ByteBuffer body) {
                byte type = body.get(0);
                int n = body.remaining();
                if (type == OutboxRecords.CHECKPOINT) {
                    return !started[0] && n >= 21 && (n - 21) % 16 == 0 && body.getInt(17) == (n - 21) / 16;
                }
                return type == OutboxRecords.GONE && n > 1 && (n - 1) % 8 == 0;
            }

            @Override
            public void record(int offset, int length, ByteBuffer body) {
                if (body.get(0) == OutboxRecords.CHECKPOINT) {
                    gone.checkpoint(body.getLong(1), body.getLong(9));
                    int count = body.getInt(17);
                    for (int i = 0; i < count; i++) {
                        gone.add(body.getLong(21 + 16 * i), body.getLong(29 + 16 * i));
                    }
                } else {
                    for (int i = 1; i < body.remaining(); i += 8) {
                        long seq = body.getLong(i);
                        gone.add(seq, seq);
                    }
                }
                started[0] = true;
            }

            @Override
            public void damaged(int offset, int length) {
                if (!started[0]) {
                    // The checkpoint was written, forced and renamed into place whole: this is
                    // damage to durable data, and what was acknowledged before it is unknown.
                    gone.damaged();
                }
                // Past the checkpoint, unreadable bytes are acknowledgements a power cut tore
                // or wrote out of order before they were synced. Every record a segment lost
                // to deletion or compaction was forced before, so a missing one only means a
                // message goes again.
            }
        });
        // A cut-off last record is an acknowledgement whose call never returned: not damage.
        return gone;
    }

    /** Reads one segment into the index; returns the last seq it accounts for. */
    private long readSegment(Path path, long first, long limit, boolean last, OutboxGone gone) throws IOException {
        byte[] d = readWhole(path);
        long[] end = {first - 1};
        int[] skipped = {0};
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Segment seg = new Segment(first, path, ch, d.length);
        segments.add(seg);
        long horizon = gone.checkpointNext();
        int tail = OutboxRecords.scan(d, d.length, new OutboxRecords.Reader() {
            @Override
            public boolean accepts(ByteBuffer body) {
                byte type = body.get(0);
                if (type != OutboxRecords.MESSAGE) {
                    return false;
                }
                OutboxRecords.Decoded m = OutboxRecords.decodeMessage(body);
                return m != null && Kind.of(m.kind()) != null && m.seq() > end[0] && m.seq() <= limit;
            }

            @Override
            public void record(int offset, int length, ByteBuffer body) {
                long seq = body.getLong(1);
                if (skipped[0] > 0) {
                    if (last && end[0] + 1 >= horizon) {
                        // Only the newest segment holds unsynced appends, and only past the
                        // last checkpoint: a power cut may have torn them.
                        tornBytes += skipped[0];
                        seg.tornInside = true;
                    } else {
                        damagedBytes += skipped[0];
                    }
                    skipped[0] = 0;
                }
                countLost(gone, end[0] + 1, seq - 1);
                if (!gone.contains(seq)) {
                    Kind kind = Kind.of(body.get(9));
                    String topic = kind == Kind.ENERGY ? OutboxRecords.decodeMessage(body).topic() : null;
                    remember(new Entry(seq, kind, topic, seg, offset, length));
                }
                end[0] = seq;
            }

            @Override
            public void damaged(int offset, int length) {
                skipped[0] += length;
            }
        });
        if (tail >= 0) {
            if (last) {
                // Bytes of an append that was cut short: cut them off so the next append follows the last record.
                tornBytes += d.length - tail;
                crash.before(path, null);
                ch.truncate(tail);
                ch.force(true);
                fsyncs.incrementAndGet();
                crash.forced(path);
                seg.size = tail;
                seg.forced = tail;
            } else {
                damagedBytes += d.length - tail;
            }
        }
        countLost(gone, end[0] + 1, last ? Long.MAX_VALUE : limit);
        return end[0];
    }

    /** Counts seqs in [from, to] that are neither on disk nor gone, among those a checkpoint had recorded. */
    private void countLost(OutboxGone gone, long from, long to) {
        if (gone.trusted()) {
            // Past the last checkpoint, a missing seq may be an append that was never synced.
            lost += gone.notGone(from, Math.min(to, gone.checkpointNext() - 1));
        }
    }

    /** The whole file, or an IOException for one larger than this outbox ever writes (an array cannot hold it). */
    private static byte[] readWhole(Path path) throws IOException {
        long size = Files.size(path);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IOException(path + " is " + size + " bytes, more than any outbox file can be");
        }
        return Files.readAllBytes(path);
    }

        private static long firstSeqOf(Path p) {
        Matcher m = SEGMENT.matcher(p.getFileName().toString());
        try {
            return m.matches() ? Long.parseLong(m.group(1)) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- index and bound

    private void remember(Entry e) {
        live.put(e.seq, e);
        byKind.get(e.kind).put(e.seq, e);
        if (e.kind == Kind.ENERGY) {
            TreeMap<Long, Entry> topic = energyByTopic.computeIfAbsent(e.topic, t -> new TreeMap<>());
            Map.Entry<Long, Entry> newest = topic.lastEntry();
            if (newest != null && newest.getKey() < e.seq) {
                supersededEnergy.put(newest.getKey(), newest.getValue());
            } else if (newest != null) {
                supersededEnergy.put(e.seq, e);
            }
            topic.put(e.seq, e);
        }
        e.segment.liveBytes += e.length;
        e.segment.liveCount++;
        liveBytes += e.length;
    }

    private void forget(Entry e) {
        live.remove(e.seq);
        byKind.get(e.kind).remove(e.seq);
        if (e.kind == Kind.ENERGY) {
            TreeMap<Long, Entry> topic = energyByTopic.get(e.topic);
            boolean wasNewest = topic.lastKey() == e.seq;
            topic.remove(e.seq);
            supersededEnergy.remove(e.seq);
            if (topic.isEmpty()) {
                energyByTopic.remove(e.topic);
            } else if (wasNewest) {
                // The newest was delivered or dropped: the one before it is now its topic's newest.
                supersededEnergy.remove(topic.lastKey());
            }
        }
        e.segment.liveBytes -= e.length;
        e.segment.liveCount--;
        liveBytes -= e.length;
    }

    /** Drops by the bound policy until the waiting messages fit; returns what it dropped. */
    private List<Entry> enforceBound(Entry newest) {
        List<Entry> victims = new ArrayList<>();
        while (liveBytes > maxBytes) {
            Entry v = victim(newest);
            if (v == null) {
                break;
            }
            forget(v);
            victims.add(v);
            dropped++;
            if (v.kind == Kind.PULSE) {
                droppedPulses++;
            }
        }
        return victims;
    }

    private Entry victim(Entry newest) {
        for (Kind k : DROP_ORDER) {
            NavigableMap<Long, Entry> m = k == Kind.ENERGY ? supersededEnergy : byKind.get(k);
            if (m.isEmpty()) {
                continue;
            }
            Entry oldest = m.firstEntry().getValue();
            if (oldest != newest) {
                return oldest;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- writing

    private Segment activeForAppend() {
        Segment active = segments.get(segments.size() - 1);
        if (active.size < segmentBytes) {
            return active;
        }
        // Sealed durable: recovery may then take unreadable bytes in any older segment for damage.
        forceSegments();
        createSegment(nextSeq);
        maintain();
        return segments.get(segments.size() - 1);
    }

    private void createSegment(long first) {
        Path path = dir.resolve(String.format("seg-%019d.log", first));
        try {
            crash.before(path, null);
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            segments.add(new Segment(first, path, ch, 0));
            syncDirectory(dir);
        } catch (IOException e) {
            throw new StorageException("storage.dir: cannot create outbox segment " + path + ": " + describe(e), e);
        }
    }

    /** Forces every segment with unsynced appends; under the monitor, for steps that must follow them. */
    private void forceSegments() {
        for (Segment s : segments) {
            if (s.size > s.forced) {
                try {
                    s.channel.force(false);
                } catch (IOException e) {
                    throw new StorageException("storage.dir: forcing outbox " + s.path + " to disk failed: "
                            + describe(e), e);
                }
                fsyncs.incrementAndGet();
                crash.forced(s.path);
                s.forced = s.size;
            }
        }
        durableSeq = nextSeq - 1;
    }

    /** Forces the ack journal if it has unsynced records; under the monitor, for steps that must follow them. */
    private void forceJournal() throws IOException {
        if (journalWritten > journalDurable) {
            journal.force(false);
            fsyncs.incrementAndGet();
            crash.forced(journalPath);
            journalDurable = journalWritten;
        }
    }

    private void journalGone(List<Entry> entries) {
        List<Long> seqs = new ArrayList<>(entries.size());
        entries.forEach(e -> seqs.add(e.seq));
        byte[] rec = OutboxRecords.gone(seqs);
        try {
            crash.before(journalPath, rec);
            ByteBuffer b = ByteBuffer.wrap(rec);
            while (b.hasRemaining()) {
                journal.write(b);
            }
            journalBytes += rec.length;
            journalWritten++;
        } catch (IOException e) {
            try {
                journal.truncate(journalBytes);
            } catch (IOException ignored) {
                // Left as unreadable bytes: the next open skips them and resends.
            }
            throw new StorageException("storage.dir: writing outbox ack journal " + journalPath + " failed: "
                    + describe(e), e);
        }
        if (journalBytes > Math.max(journalMinBytes, 2 * checkpointBytes)) {
            checkpoint();
        }
    }

    /** Replaces the journal with one record stating everything that is gone now. */
    private void checkpoint() {
        // The checkpoint states nextSeq: every seq below it must be on disk, or the next open
        // would count an append that was never synced as lost.
        forceSegments();
        long low = live.isEmpty() ? nextSeq : live.firstKey();
        long[] ranges = new long[2 * (live.size() + 1)];
        int n = 0;
        long from = low;
        for (long seq : live.keySet()) {
            if (seq > from) {
                ranges[2 * n] = from;
                ranges[2 * n + 1] = seq - 1;
                n++;
            }
            from = seq + 1;
        }
        if (from < nextSeq) {
            ranges[2 * n] = from;
            ranges[2 * n + 1] = nextSeq - 1;
            n++;
        }
        byte[] rec = OutboxRecords.checkpoint(nextSeq, low, ranges, n);
        Path tmp = dir.resolve("acks.tmp");
        try {
            writeNewFile(tmp, rec);
            crash.before(journalPath, null);
            Files.move(tmp, journalPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            crash.moved(tmp, journalPath);
            syncDirectory(dir);
            FileChannel fresh = FileChannel.open(journalPath, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            closeQuietly(journal);
            journal = fresh;
        } catch (IOException e) {
            throw new StorageException("storage.dir: writing outbox ack journal " + journalPath + " failed: "
                    + describe(e), e);
        }
        journalBytes = rec.length;
        checkpointBytes = rec.length;
        journalDurable = journalWritten;
    }

    /** Deletes sealed segments with nothing waiting, and compacts sparse ones. */
    private void maintain() {
        for (int i = 0; i < segments.size() - 1;) {
            Segment s = segments.get(i);
            if (s.liveCount == 0) {
                delete(s);
                segments.remove(i);
                continue;
            }
            // The oldest segment is skipped: it is the one draining in order, and would be
            // rewritten again and again on its way to being deleted.
            if (i > 0 && !s.compactFailed && 2 * s.liveBytes <= s.size) {
                compact(s, segments.get(i + 1).first - 1);
            }
            i++;
        }
    }

    private void delete(Segment s) {
        closeQuietly(s.channel);
        try {
            // The journal must say these seqs are gone before their records disappear,
            // or the next open would count them as lost.
            forceJournal();
            crash.before(s.path, null);
            Files.deleteIfExists(s.path);
            crash.deleted(s.path);
        } catch (IOException e) {
            // A segment that will not go away costs disk space, not correctness: its seqs are journaled as gone.
        }
    }

    /**
     * Rewrites a segment with only its waiting messages. Each step is durable before the
     * next, so a power cut anywhere leaves either the old file or the new one, and a journal
     * that names every seq the new one leaves out: the new file is forced, then the journal
     * (the seqs it leaves out were journaled as gone, maybe not yet forced), then the rename,
     * then the directory.
     */
    private void compact(Segment s, long end) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE, s.size / 2));
        List<Entry> moved = new ArrayList<>(s.liveCount);
        List<Long> offsets = new ArrayList<>(s.liveCount);
        List<Entry> unreadable = new ArrayList<>();
        for (Entry e : live.subMap(s.first, true, end, true).values()) {
            byte[] rec = readRecord(e);
            if (rec == null) {
                unreadable.add(e);
                continue;
            }
            moved.add(e);
            offsets.add((long) out.size());
            out.writeBytes(rec);
        }
        if (!unreadable.isEmpty()) {
            unreadable.forEach(this::forget);
            lost += unreadable.size();
            journalGone(unreadable);
        }
        byte[] bytes = out.toByteArray();
        Path tmp = dir.resolve(s.path.getFileName() + ".tmp");
        FileChannel fresh;
        try {
            writeNewFile(tmp, bytes);
            forceJournal();
            crash.before(s.path, null);
            Files.move(tmp, s.path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            crash.moved(tmp, s.path);
            syncDirectory(dir);
            fresh = FileChannel.open(s.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            // Most likely a full disk. The old segment is still whole; it just keeps its space.
            s.compactFailed = true;
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // removed at the next open
            }
            return;
        }
        closeQuietly(s.channel);
        s.channel = fresh;
        s.size = bytes.length;
        s.forced = bytes.length;
        s.tornInside = false;
        for (int i = 0; i < moved.size(); i++) {
            moved.get(i).offset = offsets.get(i);
        }
    }

    /** The record of a waiting message as stored, or null if it no longer reads back intact. */
    private byte[] readRecord(Entry e) {
        byte[] rec = new byte[e.length];
        ByteBuffer b = ByteBuffer.wrap(rec);
        try {
            while (b.hasRemaining()) {
                if (e.segment.channel.read(b, e.offset + b.position()) < 0) {
                    return null;
                }
            }
        } catch (IOException ex) {
            throw new StorageException("storage.dir: reading outbox " + e.segment.path + " failed: " + describe(ex), ex);
        }
        if (OutboxRecords.intactAt(rec, 0, rec.length) != rec.length) {
            return null;
        }
        ByteBuffer body = OutboxRecords.body(rec, 0, rec.length);
        return body.get(0) == OutboxRecords.MESSAGE && body.getLong(1) == e.seq ? rec : null;
    }

    private void writeNewFile(Path path, byte[] bytes) throws IOException {
        crash.before(path, bytes);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, bytes, 0);
            ch.force(true);
            fsyncs.incrementAndGet();
            crash.forced(path);
        }
    }

    private static void writeFully(FileChannel ch, byte[] bytes, long position) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b, position + b.position());
        }
    }

    private void syncDirectory(Path directory) throws IOException {
        // Without this a new or renamed file may not survive a power cut on ext4.
        try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
            ch.force(true);
        }
        fsyncs.incrementAndGet();
        if (directory.equals(dir)) {
            crash.directorySynced();
        }
    }

    /** Deletes a directory of files, if it exists. */
    private static void deleteTree(Path d) {
        if (!Files.isDirectory(d)) {
            return;
        }
        try {
            List<Path> files;
            try (Stream<Path> s = Files.list(d)) {
                files = s.toList();
            }
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(d);
        } catch (IOException e) {
            throw new StorageException("storage.dir: cannot remove the imported outbox " + d + ": " + describe(e), e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("outbox " + where + " is closed");
        }
    }

    private void releaseAll() {
        closeQuietly(journal);
        for (Segment s : segments) {
            closeQuietly(s.channel);
        }
        lock.close();
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory " + e.getMessage();
        }
        return DirectoryLock.describe(e);
    }

    private static void closeQuietly(FileChannel c) {
        DirectoryLock.closeQuietly(c);
    }
}
