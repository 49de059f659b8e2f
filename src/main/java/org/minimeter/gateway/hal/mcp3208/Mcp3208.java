package org.minimeter.gateway.hal.mcp3208;

import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.SpiTransport.SpiException;

/**
 * The MCP3008 / MCP3208 successive-approximation ADC over an SPI transport (mode 0): one
 * single-ended conversion per 3-byte transfer. Only the protocol lives here; the transport
 * moves bytes.
 *
 * <p>Command format (MCP3204/3208 datasheet section 6.1, MCP3004/3008 section 6.1, "Using the
 * MCP3x0x with microcontroller SPI ports"): leading zeros, a start bit, SGL/DIFF = 1
 * (single-ended), then D2 D1 D0 selecting the channel. Aligned to bytes so that the 12 (10)
 * result bits end the third byte:
 * <pre>
 *   MCP3208 tx: 0000 01 1 D2 | D1 D0 xx xxxx | xxxx xxxx    rx: ???? ???? | ???0 B11..B8 | B7..B0
 *   MCP3008 tx: 0000 0001    | 1 D2 D1 D0 xxxx | xxxx xxxx  rx: ???? ???? | ???? ?0 B9 B8 | B7..B0
 * </pre>
 * The bit before the result is the null bit, driven low by the chip (section 5.0); bits before
 * it are high impedance. A null bit read high means nothing is driving MISO (no chip, a broken
 * wire, a pulled-up line): the transfer is treated as a bus fault.
 */
public final class Mcp3208 {

    /** The two pin- and protocol-compatible parts this driver speaks to. */
    public enum Variant {
        /** 10-bit; start bit is the last bit of byte 0, so the sample ends on clock 13 of 24. */
        MCP3008_10BIT(10, 13),
        /** 12-bit; start bit is bit 2 of byte 0, so the sample ends on clock 11 of 24. */
        MCP3208_12BIT(12, 11);

        private final int bits;
        private final int sampleEndClock;

        Variant(int bits, int sampleEndClock) {
            this.bits = bits;
            this.sampleEndClock = sampleEndClock;
        }

        public int bits() {
            return bits;
        }

        /** The largest code: Vref minus one LSB. */
        public int fullCode() {
            return (1 << bits) - 1;
        }

        /** The code at Vref/2, where the biased AC signals have their zero. */
        public int midCode() {
            return 1 << (bits - 1);
        }

        /**
         * SPI clocks from the start of the transfer to the instant the track-and-hold opens:
         * the sample period "ends on the falling edge of the fifth clock following the start
         * bit" (datasheet section 5.0). With the byte alignment above the start bit is clock 6
         * (MCP3208) or clock 8 (MCP3008).
         */
        public int sampleEndClock() {
            return sampleEndClock;
        }

        /** The three command bytes converting single-ended {@code channel} (0..7). */
        public byte[] command(int channel) {
            checkChannel(channel);
            return switch (this) {
                case MCP3208_12BIT -> new byte[] {(byte) (0x06 | (channel >> 2)), (byte) ((channel & 3) << 6), 0};
                case MCP3008_10BIT -> new byte[] {0x01, (byte) (0x80 | (channel << 4)), 0};
            };
        }

        /** The result code of a 3-byte response, or -1 if the null bit was not driven low. */
        public int decode(byte[] rx) {
            int b1 = rx[1] & 0xFF;
            int b2 = rx[2] & 0xFF;
            return switch (this) {
                case MCP3208_12BIT -> (b1 & 0x10) != 0 ? -1 : ((b1 & 0x0F) << 8) | b2;
                case MCP3008_10BIT -> (b1 & 0x04) != 0 ? -1 : ((b1 & 0x03) << 8) | b2;
            };
        }
    }

    /** Bytes per conversion and SPI clocks per conversion. */
    public static final int TRANSFER_BYTES = 3;
    public static final int TRANSFER_CLOCKS = 8 * TRANSFER_BYTES;
    public static final int CHANNELS = 8;

    private final Variant variant;
    private final SpiTransport spi;
    /** Command bytes per channel, built once: converting allocates nothing on our side. */
    private final byte[][] commands = new byte[CHANNELS][];

    public Mcp3208(Variant variant, SpiTransport spi) {
        this.variant = variant;
        this.spi = spi;
        for (int c = 0; c < CHANNELS; c++) {
            commands[c] = variant.command(c);
        }
    }

    public Variant variant() {
        return variant;
    }

    public SpiTransport transport() {
        return spi;
    }

    /**
     * Converts one channel: one 3-byte transfer.
     *
     * @return the code, 0..{@link Variant#fullCode()}
     * @throws SpiException when the transfer failed or no chip drove the null bit low
     */
    public int convert(int channel) {
        checkChannel(channel);
        byte[] rx = spi.transfer(commands[channel]);
        if (rx == null || rx.length != TRANSFER_BYTES) {
            throw new SpiException(spi.description() + ": expected " + TRANSFER_BYTES + " bytes back, got "
                    + (rx == null ? "none" : rx.length));
        }
        int code = variant.decode(rx);
        if (code < 0) {
            throw new SpiException(String.format("%s: null bit high on channel %d (rx %02X %02X %02X): "
                    + "no %s is driving MISO", spi.description(), channel, rx[0], rx[1], rx[2], variant));
        }
        return code;
    }

    private static void checkChannel(int channel) {
        if (channel < 0 || channel >= CHANNELS) {
            throw new IllegalArgumentException("channel must be 0..7, was " + channel);
        }
    }
}
