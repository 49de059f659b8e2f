package org.minimeter.gateway.hal.mcp3208;

import java.util.List;

/**
 * The physics of an MCP3008/MCP3208 front end; the gains follow from it.
 *
 * <p>Channels are converted in the order V1, I1, V2, I2 every sample period, one 3-byte
 * transfer each, so each channel is sampled a known time after the period starts (see
 * {@link Mcp3208Source#conversionOffsetsMicros}).
 *
 * @param variant the part: its bits and its command format
 * @param elements per element, the ADC channels (0..7) of its voltage and its CT
 * @param vref reference voltage in volts: full scale of the single-ended input
 * @param ctRatio CT primary amps per secondary amp (100 A : 0.1 A is 1000)
 * @param burdenOhms burden resistor across the CT secondary (3 ohm on the original device)
 * @param voltageRatio line volts per volt at the ADC input (transformer and divider)
 * @param spiClockHz SCLK: the MCP3208 is specified to 1 MHz at 2.7 V and 2 MHz at 5 V
 *     (datasheet table 1-1, f_CLK); 3.3 V parts sit in between
 * @param transferGapMicros time between the end of one transfer and the start of the next
 *     (chip select and the driver's system call): measure it with a scope or logic analyser
 * @param sampleRate sample periods per second; each converts every channel once
 * @param blockSize samples per block handed to the metering
 * @param ringBlocks blocks buffered between the acquisition thread and the metering
 * @param spinMicros how much of each wait for the next sample period is busy-waited instead of
 *     parked: a parked Linux thread wakes 50-100 us late, while the conversions of a period
 *     leave only 125 - 4 x 29 = 9 us of slack at 8 kHz; a period missed is a gap
 */
public record Mcp3208Config(
        Mcp3208.Variant variant,
        List<ElementChannels> elements,
        double vref,
        double ctRatio,
        double burdenOhms,
        double voltageRatio,
        double spiClockHz,
        double transferGapMicros,
        double sampleRate,
        int blockSize,
        int ringBlocks,
        double spinMicros) {

    /** The ADC channels of one metering element. */
    public record ElementChannels(int voltage, int current) {
    }

    public Mcp3208Config {
        if (variant == null) {
            throw new IllegalArgumentException("variant must be MCP3008_10BIT or MCP3208_12BIT");
        }
        elements = List.copyOf(elements);
        if (elements.isEmpty() || elements.size() > 2) {
            throw new IllegalArgumentException("elements must be 1 or 2, was " + elements.size());
        }
        boolean[] used = new boolean[Mcp3208.CHANNELS];
        for (ElementChannels e : elements) {
            for (int ch : new int[] {e.voltage(), e.current()}) {
                if (ch < 0 || ch >= Mcp3208.CHANNELS) {
                    throw new IllegalArgumentException("ADC channel must be 0..7, was " + ch);
                }
                if (used[ch]) {
                    throw new IllegalArgumentException("ADC channel " + ch + " is mapped twice in " + elements);
                }
                used[ch] = true;
            }
        }
        positive("vref", vref);
        positive("ctRatio", ctRatio);
        positive("burdenOhms", burdenOhms);
        positive("voltageRatio", voltageRatio);
        positive("spiClockHz", spiClockHz);
        positive("sampleRate", sampleRate);
        if (!(transferGapMicros >= 0) || !Double.isFinite(transferGapMicros)) {
            throw new IllegalArgumentException("transferGapMicros must be >= 0, was " + transferGapMicros);
        }
        if (!(spinMicros >= 0) || !Double.isFinite(spinMicros)) {
            throw new IllegalArgumentException("spinMicros must be >= 0, was " + spinMicros);
        }
        if (blockSize < 1 || ringBlocks < 2) {
            throw new IllegalArgumentException("blockSize must be >= 1 and ringBlocks >= 2, were " + blockSize
                    + " and " + ringBlocks);
        }
        double needed = 2 * elements.size() * transferMicros(spiClockHz, transferGapMicros);
        double period = 1e6 / sampleRate;
        if (needed > period) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "%d conversions of %.1f us (24 clocks at %.0f Hz + %.1f us gap) take %.1f us, more than "
                            + "the %.1f us sample period at %.0f Hz: raise spiClockHz or lower sampleRate",
                    2 * elements.size(), transferMicros(spiClockHz, transferGapMicros), spiClockHz,
                    transferGapMicros, needed, period, sampleRate));
        }
    }

    /**
     * A meter's usual wiring: channels 0-3 as V1, I1, V2, I2, Vref 3.3 V, 3 ohm burden, 1 MHz
     * SCLK, 5 us between transfers, 8 kHz, 400-sample blocks (50 ms), the last 50 us before
     * each period spun rather than parked, and a voltage ratio that
     * puts the top of the supply band (+10 %, plus 15 % headroom) inside +-1.5 V of the
     * Vref/2 bias.
     *
     * @param ctRatingAmps 100 or 200: the CT's primary rating for a 0.1 A secondary
     */
    public static Mcp3208Config forMeter(Mcp3208.Variant variant, int nominalFrequency, int elements,
            double ctRatingAmps) {
        List<ElementChannels> map = elements == 1 ? List.of(new ElementChannels(0, 1))
                : List.of(new ElementChannels(0, 1), new ElementChannels(2, 3));
        return new Mcp3208Config(variant, map, 3.3, ctRatingAmps / 0.1, 3.0, nominalFrequency == 60 ? 150 : 300,
                1e6, 5, 8000, 400, 16, 50);
    }

    public Mcp3208Config withTiming(double spiClockHz, double transferGapMicros, double sampleRate) {
        return new Mcp3208Config(variant, elements, vref, ctRatio, burdenOhms, voltageRatio, spiClockHz,
                transferGapMicros, sampleRate, blockSize, ringBlocks, spinMicros);
    }

    public Mcp3208Config withSpinMicros(double micros) {
        return new Mcp3208Config(variant, elements, vref, ctRatio, burdenOhms, voltageRatio, spiClockHz,
                transferGapMicros, sampleRate, blockSize, ringBlocks, micros);
    }

    /** Volts at the ADC input per code. */
    public double lsbVolts() {
        return vref / (1 << variant.bits());
    }

    /** Line volts per code: (Vref / 2^bits) x sensing ratio. */
    public double voltageGain() {
        return lsbVolts() * voltageRatio;
    }

    /** Primary amps per code: (Vref / 2^bits) / burden x CT ratio. */
    public double currentGain() {
        return lsbVolts() / burdenOhms * ctRatio;
    }

    /** Duration of one conversion transfer plus the gap to the next, in microseconds. */
    public double transferMicros() {
        return transferMicros(spiClockHz, transferGapMicros);
    }

    private static double transferMicros(double clockHz, double gapMicros) {
        return Mcp3208.TRANSFER_CLOCKS * 1e6 / clockHz + gapMicros;
    }

    private static void positive(String key, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(key + " must be a positive number, was " + value);
        }
    }
}
