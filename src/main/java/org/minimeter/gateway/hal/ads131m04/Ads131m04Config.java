package org.minimeter.gateway.hal.ads131m04;

import java.util.List;
import java.util.Locale;

/**
 * The physics of an ADS131M04 front end; the register values and gains follow from it.
 *
 * @param elements per element, the ADC channels (0..3) of its voltage and its CT
 * @param clockHz CLKIN: 8.192 MHz nominal; the modulator runs at CLKIN / 2 (section 8.3.7)
 * @param sampleRate output data rate: f_MOD / OSR, so 8 kHz is OSR 512 at 8.192 MHz
 * @param voltagePga PGA gain of the voltage channels (1..128, powers of two)
 * @param currentPga PGA gain of the CT channels: the full scale is +-1.2 V / gain
 * @param voltageRatio line volts per volt at the ADC input
 * @param ctRatio CT primary amps per secondary amp (100 A : 0.1 A is 1000)
 * @param burdenOhms burden resistor across the CT secondary (3 ohm on the original device)
 * @param ctPhaseLeadMicros how far the CT secondary leads its primary; corrected by the CT
 *     channels' PHASE registers in steps of one modulator clock, the remainder by the metering
 * @param drdyTimeoutMicros how long to wait for DRDY before counting a timeout
 * @param blockSize samples per block handed to the metering
 * @param ringBlocks blocks buffered between the acquisition thread and the metering
 */
public record Ads131m04Config(
        List<ElementChannels> elements,
        double clockHz,
        double sampleRate,
        int voltagePga,
        int currentPga,
        double voltageRatio,
        double ctRatio,
        double burdenOhms,
        double ctPhaseLeadMicros,
        double drdyTimeoutMicros,
        int blockSize,
        int ringBlocks) {

    /** Internal reference: the differential full scale is +-VREF / gain (section 8.3.4). */
    public static final double VREF = 1.2;
    /** Full-scale positive code of 24-bit two's complement. */
    public static final int FULL_CODE = (1 << 23) - 1;
    static final int[] OSR = {128, 256, 512, 1024, 2048, 4096, 8192, 16256};

    /** The ADC channels of one metering element. */
    public record ElementChannels(int voltage, int current) {
    }

    public Ads131m04Config {
        elements = List.copyOf(elements);
        if (elements.isEmpty() || elements.size() > 2) {
            throw new IllegalArgumentException("elements must be 1 or 2, was " + elements.size());
        }
        boolean[] used = new boolean[Ads131m04.CHANNELS];
        for (ElementChannels e : elements) {
            for (int ch : new int[] {e.voltage(), e.current()}) {
                if (ch < 0 || ch >= Ads131m04.CHANNELS) {
                    throw new IllegalArgumentException("ADC channel must be 0..3, was " + ch);
                }
                if (used[ch]) {
                    throw new IllegalArgumentException("ADC channel " + ch + " is mapped twice in " + elements);
                }
                used[ch] = true;
            }
        }
        positive("clockHz", clockHz);
        positive("sampleRate", sampleRate);
        positive("voltageRatio", voltageRatio);
        positive("ctRatio", ctRatio);
        positive("burdenOhms", burdenOhms);
        positive("drdyTimeoutMicros", drdyTimeoutMicros);
        pga("voltagePga", voltagePga);
        pga("currentPga", currentPga);
        if (osrIndex(clockHz, sampleRate) < 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "sampleRate %.1f Hz is not CLKIN/2/OSR for CLKIN %.0f Hz and OSR in %s", sampleRate, clockHz,
                    java.util.Arrays.toString(OSR)));
        }
        if (!Double.isFinite(ctPhaseLeadMicros) || Math.abs(ctPhaseLeadMicros) > 511 * 2e6 / clockHz) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "ctPhaseLeadMicros must be within +-%.1f us (PHASE is 10 bits of 1/f_MOD), was %s",
                    511 * 2e6 / clockHz, ctPhaseLeadMicros));
        }
        if (blockSize < 1 || ringBlocks < 2) {
            throw new IllegalArgumentException("blockSize must be >= 1 and ringBlocks >= 2, were " + blockSize
                    + " and " + ringBlocks);
        }
    }

    /**
     * A meter's usual wiring: channels 0-3 as V1, I1, V2, I2, 8.192 MHz CLKIN, 8 kHz (OSR 512),
     * voltage PGA 1 with a ratio putting 132 V (+15 %) at 1.07 V peak (50 Hz: 264 V), CT PGA 2:
     * rated +10 % is 0.33 V rms, 0.47 V peak, inside the +-0.6 V full scale.
     */
    public static Ads131m04Config forMeter(int nominalFrequency, int elements, double ctRatingAmps) {
        List<ElementChannels> map = elements == 1 ? List.of(new ElementChannels(0, 1))
                : List.of(new ElementChannels(0, 1), new ElementChannels(2, 3));
        return new Ads131m04Config(map, 8.192e6, 8000, 1, 2, nominalFrequency == 60 ? 200 : 400,
                ctRatingAmps / 0.1, 3.0, 0, 2000, 400, 16);
    }

    public Ads131m04Config withCtPhaseLeadMicros(double micros) {
        return new Ads131m04Config(elements, clockHz, sampleRate, voltagePga, currentPga, voltageRatio, ctRatio,
                burdenOhms, micros, drdyTimeoutMicros, blockSize, ringBlocks);
    }

    /** One modulator clock, the unit of the PHASE registers: 0.244 us at 8.192 MHz. */
    public double modulatorPeriodMicros() {
        return 2e6 / clockHz;
    }

    /** PHASE of the CT channels, in modulator clocks (positive delays the channel). */
    public int ctPhaseSteps() {
        return (int) Math.round(ctPhaseLeadMicros / modulatorPeriodMicros());
    }

    /** What the PHASE register cannot express (under half a modulator clock): for the metering. */
    public double ctResidualLeadMicros() {
        return ctPhaseLeadMicros - ctPhaseSteps() * modulatorPeriodMicros();
    }

    /** CLOCK: all four channels on, OSR for the data rate, high-resolution power mode (section 8.6.1.4). */
    public int clockRegister() {
        return 0x0F00 | osrIndex(clockHz, sampleRate) << 2 | 0b10;
    }

    /** GAIN1: PGAGAINn (log2 of the gain) at bits 4n+2..4n. */
    public int gainRegister() {
        int v = 0;
        for (int ch = 0; ch < Ads131m04.CHANNELS; ch++) {
            v |= Integer.numberOfTrailingZeros(pgaOf(ch)) << (4 * ch);
        }
        return v;
    }

    /** CHn_CFG: PHASEn (10-bit two's complement) at bits 15..6, normal input (MUX 00). */
    public int channelConfigRegister(int ch) {
        int phase = isCurrentChannel(ch) ? ctPhaseSteps() : 0;
        return (phase & 0x3FF) << 6;
    }

    int pgaOf(int ch) {
        return isCurrentChannel(ch) ? currentPga : voltagePga;
    }

    boolean isCurrentChannel(int ch) {
        for (ElementChannels e : elements) {
            if (e.current() == ch) {
                return true;
            }
        }
        return false;
    }

    /** Volts at the input per code at PGA gain {@code pga}: 1.2 V / gain / 2^23. */
    public static double lsbVolts(int pga) {
        return VREF / pga / (1 << 23);
    }

    /** Line volts per code. */
    public double voltageGain() {
        return lsbVolts(voltagePga) * voltageRatio;
    }

    /** Primary amps per code: input volts / burden x CT ratio. */
    public double currentGain() {
        return lsbVolts(currentPga) / burdenOhms * ctRatio;
    }

    private static int osrIndex(double clockHz, double sampleRate) {
        for (int i = 0; i < OSR.length; i++) {
            if (Math.abs(clockHz / 2 / OSR[i] - sampleRate) < 1e-6 * sampleRate) {
                return i;
            }
        }
        return -1;
    }

    private static void positive(String key, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(key + " must be a positive number, was " + value);
        }
    }

    private static void pga(String key, int gain) {
        if (gain < 1 || gain > 128 || Integer.bitCount(gain) != 1) {
            throw new IllegalArgumentException(key + " must be 1, 2, 4, ... 128, was " + gain);
        }
    }
}
