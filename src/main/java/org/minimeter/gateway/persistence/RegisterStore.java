package org.minimeter.gateway.persistence;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.minimeter.gateway.metering.DurationTally;

/**
 * The crash-safe register on disk, one directory per meter under {@code storage.dir}.
 *
 * <p>Every save is a new generation file written as temp file, fsync, atomic rename, fsync
 * of the directory: at any instant of a kill -9 or power cut, every {@code register-N.dat}
 * is either complete or absent. The newest few generations are kept, so if the newest is
 * damaged anyway (a failing SD card, a truncated copy) the one before it is loaded and the
 * caller is told, and nothing ever resets to zero silently: if files exist and none is
 * valid, loading fails.
 *
 * <p>The directory is locked while open, so two gateways cannot write one register.
 */
public final class RegisterStore implements AutoCloseable {

    /** What {@link #load()} found. */
    public record Loaded(RegisterState state, Path file, List<String> rejected) {

        /** True when the newest file(s) were damaged and an older generation was taken. */
        public boolean fellBack() {
            return !rejected.isEmpty() && state != null;
        }

        /** True when no register existed: a first start. */
        public boolean fresh() {
            return file == null;
        }
    }

    private static final Pattern FILE = Pattern.compile("register-(\\d{19})\\.dat");

    private final Path dir;
    private final String meterId;
    private final int keep;
    private final DirectoryLock lock;
    /** Successful saves: write, fsync, rename and directory fsync, timed together. */
    private final DurationTally saveTimes = new DurationTally();

    /**
     * Opens (creating if needed) {@code root/meterId} and locks it.
     *
     * @param keep how many generations to keep (at least 2, so there is always a fallback)
     */
    public RegisterStore(Path root, String meterId, int keep) {
        if (keep < 2) {
            throw new IllegalArgumentException("keep at least 2 generations, was " + keep);
        }
        this.dir = root.resolve(meterId);
        this.meterId = meterId;
        this.keep = keep;
        this.lock = DirectoryLock.acquire(dir, "lock", dir.toAbsolutePath().normalize().toString());
        checkWritable();
    }

    /** A write probe: catches read-only mounts and directories before the first real save. */
    private void checkWritable() {
        Path probe = dir.resolve("write-probe.tmp");
        try {
            Files.write(probe, new byte[] {1});
            Files.delete(probe);
        } catch (IOException e) {
            close();
            throw new StorageException("storage.dir: " + dir.toAbsolutePath().normalize() + " is not writable: " + describe(e), e);
        }
    }

    public Path directory() {
        return dir;
    }

    /**
     * The newest valid register. Damaged newer files are skipped and named in
     * {@link Loaded#rejected()}; if files exist and none is valid this throws.
     */
    public Loaded load() {
        List<Path> files = generations();
        List<String> rejected = new ArrayList<>();
        for (Path f : files) {
            try {
                RegisterState s = RegisterCodec.decode(meterId, Files.readAllBytes(f));
                if (s.generation() != generationOf(f)) {
                    throw new StorageException("generation " + s.generation() + " inside, file name says "
                            + generationOf(f));
                }
                return new Loaded(s, f, List.copyOf(rejected));
            } catch (IOException | RuntimeException e) {
                rejected.add(f.getFileName() + ": " + (e instanceof StorageException ? e.getMessage() : describe(e)));
            }
        }
        if (!rejected.isEmpty()) {
            throw new StorageException("storage.dir: no valid register in " + dir.toAbsolutePath().normalize()
                    + " (" + String.join("; ", rejected) + "). Refusing to start from zero: restore a backup"
                    + " or move these files away to start a new register.");
        }
        return new Loaded(null, null, List.of());
    }

    /** Writes a new generation durably, then prunes all but the newest {@code keep}. */
    public void save(RegisterState state) {
        Path target = dir.resolve(String.format("register-%019d.dat", state.generation()));
        Path tmp = dir.resolve("register.tmp");
        try {
            long started = System.nanoTime();
            writeDurably(tmp, RegisterCodec.encode(meterId, state), false);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
            saveTimes.record(System.nanoTime() - started);
        } catch (IOException e) {
            throw new StorageException("storage.dir: saving " + target + " failed: " + describe(e), e);
        }
        List<Path> all = generations();
        for (int i = keep; i < all.size(); i++) {
            try {
                Files.deleteIfExists(all.get(i));
            } catch (IOException e) {
                // An old generation that will not go away costs disk space, not correctness.
            }
        }
    }

    /**
     * How long the successful saves took, from the first byte written to the directory's
     * fsync: on an SD card this is almost all fsync, and it bounds how many meters one saver
     * can keep saved (storage.max-saves-per-second).
     */
    public DurationTally saveTimes() {
        return saveTimes;
    }

    /**
     * The meter's calibration, or empty when it was never calibrated. A file that cannot be
     * read stops the meter: running on a default calibration would bill wrongly without a word.
     */
    public java.util.Optional<MeterCalibration> loadCalibration() {
        return peekCalibration(dir.getParent(), meterId);
    }

    /**
     * As {@link #loadCalibration}, without opening the store: nothing is created or locked, so
     * a meter whose front end then fails to open leaves nothing behind.
     */
    public static java.util.Optional<MeterCalibration> peekCalibration(Path root, String meterId) {
        Path p = root.resolve(meterId).resolve(MeterCalibration.FILE);
        if (!Files.exists(p)) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(MeterCalibration.decode(Files.readString(p, StandardCharsets.UTF_8),
                    meterId));
        } catch (IOException | RuntimeException e) {
            throw new StorageException("calibration: " + p.toAbsolutePath().normalize() + " is damaged ("
                    + (e instanceof IllegalArgumentException ? e.getMessage() : describe(e)) + "). Restore it"
                    + " from the last calibration line of audit.log, or move it away to run uncalibrated.", e);
        }
    }

    /**
     * Replaces the calibration (temp file, fsync, atomic rename, directory fsync: after a crash
     * the old or the new one is there, whole) and then appends {@code auditLine}.
     */
    public void saveCalibration(MeterCalibration calibration, String auditLine) {
        Path target = dir.resolve(MeterCalibration.FILE);
        Path tmp = dir.resolve("calibration.tmp");
        try {
            writeDurably(tmp, calibration.encode(meterId).getBytes(StandardCharsets.UTF_8), false);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
        } catch (IOException e) {
            throw new StorageException("storage.dir: saving " + target + " failed: " + describe(e), e);
        }
        audit(auditLine);
    }

    /** Appends one line to {@code audit.log} and makes it durable. */
    public void audit(String line) {
        try {
            writeDurably(dir.resolve("audit.log"), (line + "\n").getBytes(StandardCharsets.UTF_8), true);
        } catch (IOException e) {
            throw new StorageException("storage.dir: writing audit.log failed: " + describe(e), e);
        }
    }

    /** Every line of {@code audit.log}, oldest first (empty when there is none). */
    public List<String> auditLines() {
        Path p = dir.resolve("audit.log");
        try {
            return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new StorageException("storage.dir: reading audit.log failed: " + describe(e), e);
        }
    }

    private static void writeDurably(Path path, byte[] bytes, boolean append) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
    }

    private void syncDirectory() throws IOException {
        // Without this the rename itself may not survive a power cut on ext4.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Generation files, newest first. */
    private List<Path> generations() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> FILE.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(RegisterStore::generationOf).reversed())
                    .toList();
        } catch (IOException e) {
            throw new StorageException("storage.dir: cannot list " + dir.toAbsolutePath().normalize() + ": " + describe(e), e);
        }
    }

    private static long generationOf(Path p) {
        Matcher m = FILE.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static String describe(Exception e) {
        return DirectoryLock.describe(e);
    }

    /** Releases the lock. */
    @Override
    public void close() {
        lock.close();
    }
}
