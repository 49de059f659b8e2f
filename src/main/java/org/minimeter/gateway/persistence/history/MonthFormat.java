package org.minimeter.gateway.persistence.history;

import java.nio.ByteBuffer;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.zip.CRC32;

/**
 * The layout of one month file ({@code yyyy-MM.hist}, UTC months): a 32-byte header, then
 * one fixed-size slot per minute of the month at {@code 32 + minuteOfMonth * slotBytes}, so
 * a minute is found by arithmetic and written by one positional write. Big-endian.
 *
 * <pre>
 * header  0  int    magic 0x4D4D4948 ("MMIH")
 *         4  short  version (1)
 *         6  short  elements (1 or 2)
 *         8  int    year
 *        12  short  month (1..12)
 *        14  short  slot bytes (8 + 16 * (elements + 1))
 *        16  12 bytes zero
 *        28  int    CRC-32 of bytes 0..27
 * slot    0  int    minute of the month + 1 (so an all-zero slot is never valid)
 *         4  long   delivered µWh, then received µWh, of register slot 0 (meter total),
 *                   then of each element, as the register held them at the minute's end
 *       end  int    CRC-32 of the month (year * 12 + month - 1, 4 bytes) and the slot's bytes
 *                   before it
 * </pre>
 *
 * <p>The meter total is stored although it is often derivable: on a two-element meter it is
 * netted across the legs (one leg delivering while the other receives cancels in the total,
 * not in the elements), and a seed sets it alone, so it is not the sum of the elements.
 *
 * <p>The month in each slot's checksum means a slot copied to the wrong file or position
 * never reads as valid. Never-written slots (file holes, or beyond the end) read as zeros
 * and are absent; anything else that fails the checks is a damaged slot.
 */
final class MonthFormat {

    static final int HEADER_BYTES = 32;
    static final int MAGIC = 0x4D4D4948;
    static final short VERSION = 1;
    static final int MINUTES_PER_DAY = 1440;

    /** What a slot held. */
    enum Slot { PRESENT, ABSENT, DAMAGED }

    /** A month file's header, judged. {@code setAsideSuffix} is null when it is usable. */
    record HeaderCheck(String setAsideSuffix, String reason) {
        boolean ok() {
            return setAsideSuffix == null;
        }
    }

    final int elements;
    /** Register slots per minute: the meter total and each element. */
    final int quantities;
    final int slotBytes;

    MonthFormat(int elements) {
        this.elements = elements;
        this.quantities = elements + 1;
        this.slotBytes = 8 + 16 * quantities;
    }

    static int minutesIn(YearMonth month) {
        return month.lengthOfMonth() * MINUTES_PER_DAY;
    }

    /** Epoch minute (minutes since 1970-01-01T00:00Z) at which the UTC month starts. */
    static long firstMinute(YearMonth month) {
        return month.atDay(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC) / 60;
    }

    /** The UTC month holding the minute that starts at epoch minute {@code minute}. */
    static YearMonth monthOf(long minute) {
        return YearMonth.from(java.time.LocalDateTime.ofEpochSecond(minute * 60, 0, ZoneOffset.UTC));
    }

    /** Length of a month file whose last minute has been written. */
    long fullFileBytes(YearMonth month) {
        return HEADER_BYTES + (long) minutesIn(month) * slotBytes;
    }

    long offset(int minuteOfMonth) {
        return HEADER_BYTES + (long) minuteOfMonth * slotBytes;
    }

    ByteBuffer header(YearMonth month) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        b.putInt(MAGIC).putShort(VERSION).putShort((short) elements).putInt(month.getYear())
                .putShort((short) month.getMonthValue()).putShort((short) slotBytes);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, HEADER_BYTES - 4);
        b.putInt(HEADER_BYTES - 4, (int) crc.getValue());
        b.clear();
        return b;
    }

    /** Judges a header read from the file named for {@code month} ({@code read} bytes were there). */
    HeaderCheck check(ByteBuffer b, int read, YearMonth month) {
        if (read < HEADER_BYTES) {
            return new HeaderCheck(".damaged", "header truncated (" + read + " of " + HEADER_BYTES + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), b.arrayOffset(), HEADER_BYTES - 4);
        if (b.getInt(0) != MAGIC) {
            return new HeaderCheck(".damaged", String.format("not a history file (magic %08x)", b.getInt(0)));
        }
        if ((int) crc.getValue() != b.getInt(HEADER_BYTES - 4)) {
            return new HeaderCheck(".damaged", "header checksum mismatch");
        }
        if (b.getShort(4) != VERSION) {
            return new HeaderCheck(".damaged", "unknown version " + b.getShort(4));
        }
        int year = b.getInt(8);
        int monthValue = b.getShort(12);
        if (year != month.getYear() || monthValue != month.getMonthValue()) {
            return new HeaderCheck(".damaged", String.format("holds %d-%02d, its name says %s", year, monthValue, month));
        }
        int fileElements = b.getShort(6);
        if (fileElements != elements) {
            // Not damage: the meter was reconfigured. Its slots have another size, so the file
            // cannot be read as this meter's; it is kept under a name that says why.
            return new HeaderCheck(".elements-" + fileElements,
                    "written for " + fileElements + " element(s), the meter now has " + elements);
        }
        return new HeaderCheck(null, null);
    }

    /**
     * Writes the slot of {@code minuteOfMonth} into {@code b} (at its position, slotBytes long).
     * {@code delivered} and {@code received} are indexed like the register: 0 = total.
     */
    void encode(ByteBuffer b, YearMonth month, int minuteOfMonth, long[] delivered, long[] received) {
        int start = b.position();
        b.putInt(minuteOfMonth + 1);
        for (int q = 0; q < quantities; q++) {
            b.putLong(delivered[q]).putLong(received[q]);
        }
        b.putInt(crc(b, start, month));
    }

    /**
     * Reads the slot at {@code b}'s absolute index {@code at}, expected to be minute
     * {@code minuteOfMonth}. On PRESENT, {@code out[q]} is delivered and
     * {@code out[quantities + q]} received µWh of register slot q.
     */
    Slot decode(ByteBuffer b, int at, YearMonth month, int minuteOfMonth, long[] out) {
        int tag = b.getInt(at);
        if (tag == 0 && allZero(b, at)) {
            return Slot.ABSENT;
        }
        if (tag != minuteOfMonth + 1 || b.getInt(at + slotBytes - 4) != crc(b, at, month)) {
            return Slot.DAMAGED;
        }
        for (int q = 0; q < quantities; q++) {
            long d = b.getLong(at + 4 + 16 * q);
            long r = b.getLong(at + 12 + 16 * q);
            if (d < 0 || r < 0) {
                return Slot.DAMAGED;
            }
            out[q] = d;
            out[quantities + q] = r;
        }
        return Slot.PRESENT;
    }

    private boolean allZero(ByteBuffer b, int at) {
        for (int i = at; i < at + slotBytes; i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private int crc(ByteBuffer b, int at, YearMonth month) {
        CRC32 crc = new CRC32();
        int m = month.getYear() * 12 + month.getMonthValue() - 1;
        crc.update(m >>> 24);
        crc.update(m >>> 16);
        crc.update(m >>> 8);
        crc.update(m);
        crc.update(b.array(), b.arrayOffset() + at, slotBytes - 4);
        return (int) crc.getValue();
    }
}
