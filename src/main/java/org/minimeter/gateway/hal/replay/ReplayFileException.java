package org.minimeter.gateway.hal.replay;

import java.nio.file.Path;

/**
 * A recording that cannot be replayed, refused when it is opened: a meter must not start
 * registering from a file that would stop or mislead it half way. The message names the
 * file, where the problem is (a CSV line, a WAV byte offset and chunk) and why.
 */
public final class ReplayFileException extends IllegalArgumentException {

    private final transient Path file;
    private final String where;
    private final String reason;

    public ReplayFileException(Path file, String where, String reason) {
        super("replay file " + file + (where.isEmpty() ? "" : ", " + where) + ": " + reason);
        this.file = file;
        this.where = where;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    /** e.g. {@code line 7} or {@code byte 36 (chunk 'data')}; empty when the whole file is meant. */
    public String where() {
        return where;
    }

    public String reason() {
        return reason;
    }
}
