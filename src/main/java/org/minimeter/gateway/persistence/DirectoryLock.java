package org.minimeter.gateway.persistence;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A directory that exists and that this process alone writes: created if missing, then an
 * OS lock on a file in it. Two gateways started on one storage.dir would otherwise
 * overwrite each other's register and outbox.
 */
final class DirectoryLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @param what how errors name the directory, e.g. {@code outbox /data/m1/outbox}
     */
    static DirectoryLock acquire(Path dir, String lockFile, String what) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StorageException("storage.dir: cannot create " + what + ": " + describe(e), e);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(dir.resolve(lockFile), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                throw new StorageException("storage.dir: " + what + " is in use by another gateway process"
                        + " (its lock is held)");
            }
            return new DirectoryLock(channel, l);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StorageException("storage.dir: " + what + " is not writable: " + describe(e), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    static String describe(Exception e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }

    static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException ignored) {
            // the lock goes with the channel anyway
        }
        closeQuietly(channel);
    }
}
