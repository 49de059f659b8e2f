package org.minimeter.gateway.sparkplug;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.jboss.logging.Logger;

/**
 * The birth/death sequence number (bdSeq) of the edge node, kept in {@code <dir>/bdseq}: the value
 * put in the will of the latest MQTT CONNECT. Each CONNECT takes the next one, 0 after 255 and 0
 * on the very first (Sparkplug 3.0 section 5.4), and it is on disk before the CONNECT goes out, so
 * a kill -9 or a power cut never makes the next session reuse the number of one a host has seen.
 *
 * <p>Written as a temp file, forced, renamed over the old one, then the directory forced: a crash
 * leaves either the old value or the new one. A file that cannot be read is reported and the
 * count starts again at 0 (a host then sees a bdSeq out of order once, never a silent repeat).
 */
final class BdSeqStore {

    private static final Logger LOG = Logger.getLogger(BdSeqStore.class);
    static final String FILE = "bdseq";

    private final Path dir;
    private final Path file;
    private int last = -1;

    BdSeqStore(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(FILE);
        try {
            Files.createDirectories(dir);
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            int v = Integer.parseInt(text);
            if (v < 0 || v > 255) {
                throw new NumberFormatException("out of range");
            }
            last = v;
        } catch (NoSuchFileException e) {
            // a new edge node: its first CONNECT carries bdSeq 0
        } catch (IOException | NumberFormatException e) {
            LOG.errorf("Sparkplug: %s is unreadable (%s); bdSeq starts again at 0", file, e.getMessage());
        }
    }

    /** The bdSeq of the next CONNECT, made durable first. */
    synchronized int next() {
        int b = last < 0 ? 0 : (last + 1) & 0xFF;
        try {
            write(b);
        } catch (IOException e) {
            // Connecting matters more than the number: the session goes on, the risk is a repeat after a crash.
            LOG.errorf("Sparkplug: cannot save bdSeq %d in %s (%s); a crash now could repeat it", b, file,
                    e.getMessage());
        }
        last = b;
        return b;
    }

    private void write(int b) throws IOException {
        Path tmp = dir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap((b + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems cannot open a directory; the rename is still atomic
        }
    }
}
