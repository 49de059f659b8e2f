package org.minimeter.gateway.hal.ads131m04;

import java.util.Locale;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.SpiTransport.SpiException;

/**
 * The ADS131M04 four-channel simultaneous-sampling delta-sigma ADC over an SPI transport
 * (mode 1): frames, commands, registers and CRC. Only the protocol lives here.
 *
 * <p>Frames (datasheet section 8.5.1.7): every transfer is one full frame of six 24-bit words.
 * In: a command word, the data words of a WREG, the input CRC, then zero words. Out: the
 * response to the <em>previous</em> frame's command, the four channels' latest conversions
 * (24-bit two's complement), and the output CRC. Sixteen-bit commands, responses and
 * register values sit in the top two bytes of their 24-bit word, the low byte zero.
 *
 * <p>CRC (section 8.5.1.9): CRC-16-CCITT, polynomial x^16 + x^12 + x^5 + 1 (0x1021), seed
 * 0xFFFF, MSB first, no final XOR, over every byte of the words before the CRC word,
 * padding included. The output CRC is always sent; the input CRC is checked once MODE.RX_CRC_EN
 * is set, and a mismatch sets STATUS.CRC_ERR and discards the command. This driver always
 * sends it, so it is right whether the chip checks it yet or not.
 */
public final class Ads131m04 {

    public static final int WORD_BYTES = 3;
    public static final int WORDS = 6;
    public static final int FRAME_BYTES = WORD_BYTES * WORDS;
    public static final int CHANNELS = 4;

    // Commands (section 8.5.1.10, table 8-11)
    public static final int CMD_NULL = 0x0000;
    public static final int CMD_RESET = 0x0011;
    public static final int CMD_STANDBY = 0x0022;
    public static final int CMD_WAKEUP = 0x0033;
    /** The acknowledgement of RESET, in the response word of the next frame: FF2xh, x = channels. */
    public static final int RESET_ACK = 0xFF24;

    // Register map (section 8.6)
    public static final int REG_ID = 0x00;
    public static final int REG_STATUS = 0x01;
    public static final int REG_MODE = 0x02;
    public static final int REG_CLOCK = 0x03;
    public static final int REG_GAIN1 = 0x04;

    /** CHn_CFG: 09h, 0Eh, 13h, 18h (five registers per channel). */
    public static int chCfg(int channel) {
        return 0x09 + 5 * channel;
    }

    // STATUS bits (section 8.6.1.2)
    public static final int STATUS_CRC_ERR = 1 << 12;
    public static final int STATUS_RESET = 1 << 10;

    /**
     * MODE as this driver runs it: RX_CRC_EN (input CRC checked), CRC_TYPE 0 (CCITT), RESET
     * bit cleared (so that STATUS.RESET set later means the chip reset on its own: a brown-out),
     * WLENGTH 01 (24-bit words), TIMEOUT 1 (SPI resets after 2^14 idle clocks), DRDY_SEL 00,
     * DRDY active low as a level.
     */
    public static final int MODE_VALUE = (1 << 12) | (0b01 << 8) | (1 << 4);

    /** RREG of one register: 101a aaaa a000 0000. */
    public static int rreg(int address) {
        return 0xA000 | (address & 0x3F) << 7;
    }

    /** WREG of one register: 011a aaaa a000 0000. */
    public static int wreg(int address) {
        return 0x6000 | (address & 0x3F) << 7;
    }

    /** The acknowledgement of a one-register WREG: 010a aaaa a000 0000. */
    public static int wregAck(int address) {
        return 0x4000 | (address & 0x3F) << 7;
    }

    /** CRC-16-CCITT (0x1021, seed 0xFFFF, no reflection, no final XOR) of {@code len} bytes. */
    public static int crc16(byte[] data, int offset, int len) {
        int crc = 0xFFFF;
        for (int i = offset; i < offset + len; i++) {
            crc ^= (data[i] & 0xFF) << 8;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return crc & 0xFFFF;
    }

    /** A full input frame: the command, its data words, the input CRC over both, then zeros. */
    public static byte[] frame(int command, int... data) {
        if (data.length > WORDS - 2) {
            throw new IllegalArgumentException("at most " + (WORDS - 2) + " data words, was " + data.length);
        }
        byte[] f = new byte[FRAME_BYTES];
        put16(f, 0, command);
        for (int i = 0; i < data.length; i++) {
            put16(f, i + 1, data[i]);
        }
        int words = 1 + data.length;
        put16(f, words, crc16(f, 0, words * WORD_BYTES));
        return f;
    }

    static void put16(byte[] f, int word, int value) {
        f[word * WORD_BYTES] = (byte) (value >> 8);
        f[word * WORD_BYTES + 1] = (byte) value;
        f[word * WORD_BYTES + 2] = 0;
    }

    /** The 24 bits of word {@code w}, unsigned. */
    public static int word(byte[] f, int w) {
        int o = w * WORD_BYTES;
        return (f[o] & 0xFF) << 16 | (f[o + 1] & 0xFF) << 8 | (f[o + 2] & 0xFF);
    }

    /** The 16-bit response (or STATUS) in the first word of an output frame. */
    public static int response(byte[] rx) {
        return word(rx, 0) >> 8;
    }

    /** Channel {@code ch}'s conversion as a signed code, -2^23..2^23-1. */
    public static int code(byte[] rx, int ch) {
        return word(rx, 1 + ch) << 8 >> 8;
    }

    /** Whether the output CRC matches the five words before it. */
    public static boolean crcValid(byte[] rx) {
        return crc16(rx, 0, (WORDS - 1) * WORD_BYTES) == word(rx, WORDS - 1) >> 8;
    }

    /** An output frame whose CRC did not match: its data must not be used. */
    public static final class CrcException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CrcException(String message) {
            super(message);
        }
    }

    private static final byte[] NULL_FRAME = frame(CMD_NULL);

    private final SpiTransport spi;

    public Ads131m04(SpiTransport spi) {
        this.spi = spi;
    }

    public SpiTransport transport() {
        return spi;
    }

    /**
     * One frame out, one in, the output CRC checked.
     *
     * @return the output frame
     * @throws CrcException if its CRC does not match
     * @throws SpiException if the transfer failed
     */
    public byte[] exchange(byte[] tx) {
        byte[] rx = spi.transfer(tx);
        if (rx == null || rx.length != FRAME_BYTES) {
            throw new SpiException(spi.description() + ": expected a " + FRAME_BYTES + "-byte frame, got "
                    + (rx == null ? "none" : rx.length + " bytes"));
        }
        if (!crcValid(rx)) {
            throw new CrcException(String.format(Locale.ROOT, "%s: output CRC %04X, computed %04X",
                    spi.description(), word(rx, WORDS - 1) >> 8, crc16(rx, 0, (WORDS - 1) * WORD_BYTES)));
        }
        return rx;
    }

    /**
     * Reads one conversion (after DRDY fell): sends NULL, whose frame carries STATUS (the
     * response to the previous NULL) and the four channels.
     *
     * @param codes receives the four signed codes
     * @return the STATUS word
     */
    public int readData(int[] codes) {
        byte[] rx = exchange(NULL_FRAME);
        for (int c = 0; c < CHANNELS; c++) {
            codes[c] = code(rx, c);
        }
        return response(rx);
    }

    /**
     * Resets the chip and writes the configuration, checking every acknowledgement: RESET,
     * then RREG ID (collecting FF24h), WREG MODE (collecting the ID), CLOCK, GAIN1, the four
     * CHn_CFG, and a NULL that collects the last acknowledgement.
     *
     * @throws IllegalStateException naming the step when an acknowledgement is wrong
     */
    public void configure(Ads131m04Config config) {
        setUp(frame(CMD_RESET), "RESET");
        expect(setUp(frame(rreg(REG_ID)), "RREG ID"), RESET_ACK, 0xFFFF, "RESET");
        write(REG_MODE, MODE_VALUE, REG_ID, 0x2400, 0xFF00, "RREG ID (an ADS131M04 has ID 24xxh)");
        write(REG_CLOCK, config.clockRegister(), REG_MODE, -1, 0, null);
        write(REG_GAIN1, config.gainRegister(), REG_CLOCK, -1, 0, null);
        int previous = REG_GAIN1;
        for (int ch = 0; ch < CHANNELS; ch++) {
            write(chCfg(ch), config.channelConfigRegister(ch), previous, -1, 0, null);
            previous = chCfg(ch);
        }
        expect(setUp(frame(CMD_NULL), "NULL"), wregAck(previous), 0xFFFF, "WREG " + hex(previous));
    }

    /**
     * A set-up frame: an answer whose CRC fails (all zeros: nothing drives MISO) stops the
     * set-up naming the command being sent and the likely causes, as a wrong acknowledgement does.
     */
    private byte[] setUp(byte[] tx, String sending) {
        try {
            return exchange(tx);
        } catch (CrcException e) {
            String detail = e.getMessage().startsWith(spi.description() + ": ")
                    ? e.getMessage().substring(spi.description().length() + 2) : e.getMessage();
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "ADS131M04 on %s: set-up step %s: the answer failed its CRC (%s): check wiring, SPI mode 1 "
                            + "and that CLKIN is running", spi.description(), sending, detail), e);
        }
    }

    /** Sends a WREG whose frame collects the acknowledgement of the previous step. */
    private void write(int address, int value, int previousAddress, int expected, int mask, String previousStep) {
        byte[] rx = setUp(frame(wreg(address), value), "WREG " + hex(address));
        if (expected >= 0) {
            expect(rx, expected, mask, previousStep);
        } else {
            expect(rx, wregAck(previousAddress), 0xFFFF, "WREG " + hex(previousAddress));
        }
    }

    private void expect(byte[] rx, int expected, int mask, String step) {
        int got = response(rx);
        if ((got & mask) != expected) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "ADS131M04 on %s: %s answered %04Xh, expected %04Xh (mask %04Xh): check wiring, SPI mode 1 "
                            + "and that CLKIN is running", spi.description(), step, got, expected, mask));
        }
    }

    private static String hex(int address) {
        return String.format(Locale.ROOT, "%02Xh", address);
    }
}
