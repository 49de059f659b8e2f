package org.minimeter.gateway.hal.ads131m04;

import org.minimeter.gateway.hal.mcp3208.ScriptedSpi;

/** Transcript pieces: the driver's input frames as literal bytes, and chip output frames. */
final class Frames {

    // Input frames: command word, data word, CRC-16-CCITT (seed FFFFh) over them, zero words.
    // The literals were computed independently of the driver (a few lines of Python over the
    // datasheet's CRC definition) so that they check its CRC too.
    static final String NULL = "00 00 00 CC 9C 00 00 00 00 00 00 00 00 00 00 00 00 00";
    static final String RESET = "00 11 00 FC DE 00 00 00 00 00 00 00 00 00 00 00 00 00";
    static final String RREG_ID = "A0 00 00 71 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
    /** MODE = 1110h: RX_CRC_EN, RESET cleared, 24-bit words, SPI timeout on. */
    static final String WREG_MODE = "61 00 00 11 10 00 63 88 00 00 00 00 00 00 00 00 00 00";
    /** CLOCK = 0F0Ah: four channels on, OSR 512 (8 kHz at 8.192 MHz), high resolution. */
    static final String WREG_CLOCK = "61 80 00 0F 0A 00 F5 82 00 00 00 00 00 00 00 00 00 00";
    /** GAIN1 = 1010h: PGA 1 on the voltage channels 0 and 2, 2 on the CT channels 1 and 3. */
    static final String WREG_GAIN1 = "62 00 00 10 10 00 9A 58 00 00 00 00 00 00 00 00 00 00";
    /** GAIN1 = 0010h: one element, PGA 2 on its CT channel 1 only. */
    static final String WREG_GAIN1_ONE_ELEMENT = "62 00 00 00 10 00 D9 3B 00 00 00 00 00 00 00 00 00 00";
    static final String WREG_CH0_CFG = "64 80 00 00 00 00 75 79 00 00 00 00 00 00 00 00 00 00";
    static final String WREG_CH1_CFG = "67 00 00 00 00 00 99 49 00 00 00 00 00 00 00 00 00 00";
    static final String WREG_CH2_CFG = "69 80 00 00 00 00 3B 3A 00 00 00 00 00 00 00 00 00 00";
    static final String WREG_CH3_CFG = "6C 00 00 00 00 00 5A EB 00 00 00 00 00 00 00 00 00 00";
    /** CH1_CFG with PHASE = 205 modulator clocks (a 50 us CT lead): 3340h. */
    static final String WREG_CH1_CFG_PHASE_205 = "67 00 00 33 40 00 08 70 00 00 00 00 00 00 00 00 00 00";

    /** STATUS once set up: RESET clear, WLENGTH 01 (24 bit), DRDY0-3 set. */
    static final int STATUS_RUNNING = 0x010F;

    private Frames() {
    }

    /** An output frame: response word, four 24-bit channel words, and its CRC. */
    static byte[] out(int response, int... channels) {
        byte[] f = new byte[18];
        f[0] = (byte) (response >> 8);
        f[1] = (byte) response;
        for (int c = 0; c < 4; c++) {
            int v = c < channels.length ? channels[c] : 0;
            f[3 + 3 * c] = (byte) (v >> 16);
            f[4 + 3 * c] = (byte) (v >> 8);
            f[5 + 3 * c] = (byte) v;
        }
        int crc = Ads131m04.crc16(f, 0, 15);
        f[15] = (byte) (crc >> 8);
        f[16] = (byte) crc;
        return f;
    }

    /** The set-up exchange of a default {@code forMeter} configuration, acknowledgements and all. */
    static void setUp(ScriptedSpi spi, String ch1Cfg) {
        setUp(spi, WREG_GAIN1, ch1Cfg);
    }

    static void setUp(ScriptedSpi spi, String gain1, String ch1Cfg) {
        spi.expect(ScriptedSpi.hex(RESET), out(0x0500))
                .expect(ScriptedSpi.hex(RREG_ID), out(0xFF24))
                .expect(ScriptedSpi.hex(WREG_MODE), out(0x2400))
                .expect(ScriptedSpi.hex(WREG_CLOCK), out(0x4100))
                .expect(ScriptedSpi.hex(gain1), out(0x4180))
                .expect(ScriptedSpi.hex(WREG_CH0_CFG), out(0x4200))
                .expect(ScriptedSpi.hex(ch1Cfg), out(0x4480))
                .expect(ScriptedSpi.hex(WREG_CH2_CFG), out(0x4700))
                .expect(ScriptedSpi.hex(WREG_CH3_CFG), out(0x4980))
                .expect(ScriptedSpi.hex(NULL), out(0x4C00));
    }

    /** {@code n} data frames (the settling ones after a set-up) with the given channel codes. */
    static void data(ScriptedSpi spi, int n, int... channels) {
        for (int i = 0; i < n; i++) {
            spi.expect(ScriptedSpi.hex(NULL), out(STATUS_RUNNING, channels));
        }
    }
}
