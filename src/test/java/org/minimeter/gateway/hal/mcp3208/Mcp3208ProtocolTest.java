package org.minimeter.gateway.hal.mcp3208;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.minimeter.gateway.hal.mcp3208.ScriptedSpi.hex;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minimeter.gateway.hal.SpiTransport.SpiException;
import org.minimeter.gateway.hal.mcp3208.Mcp3208.Variant;

/**
 * Byte transcripts from the datasheets' "Using the MCP3x0x with MCU SPI ports" figures
 * (MCP3204/3208 figure 6-1, MCP3004/3008 figure 6-1): command bytes per channel, the result in
 * the last 12 (10) bits after a low null bit, and the scaling to line units.
 */
class Mcp3208ProtocolTest {

    static Stream<Arguments> commands() {
        return Stream.of(
                // MCP3208: 0000 0 1 SGL D2 | D1 D0 000000 | 00000000
                Arguments.of(Variant.MCP3208_12BIT, 0, "06 00 00"),
                Arguments.of(Variant.MCP3208_12BIT, 1, "06 40 00"),
                Arguments.of(Variant.MCP3208_12BIT, 2, "06 80 00"),
                Arguments.of(Variant.MCP3208_12BIT, 3, "06 C0 00"),
                Arguments.of(Variant.MCP3208_12BIT, 4, "07 00 00"),
                Arguments.of(Variant.MCP3208_12BIT, 5, "07 40 00"),
                Arguments.of(Variant.MCP3208_12BIT, 6, "07 80 00"),
                Arguments.of(Variant.MCP3208_12BIT, 7, "07 C0 00"),
                // MCP3008: 0000 0001 | SGL D2 D1 D0 0000 | 00000000
                Arguments.of(Variant.MCP3008_10BIT, 0, "01 80 00"),
                Arguments.of(Variant.MCP3008_10BIT, 1, "01 90 00"),
                Arguments.of(Variant.MCP3008_10BIT, 2, "01 A0 00"),
                Arguments.of(Variant.MCP3008_10BIT, 3, "01 B0 00"),
                Arguments.of(Variant.MCP3008_10BIT, 4, "01 C0 00"),
                Arguments.of(Variant.MCP3008_10BIT, 5, "01 D0 00"),
                Arguments.of(Variant.MCP3008_10BIT, 6, "01 E0 00"),
                Arguments.of(Variant.MCP3008_10BIT, 7, "01 F0 00"));
    }

    @ParameterizedTest(name = "{0} channel {1}: {2}")
    @MethodSource("commands")
    void command_singleEndedChannel_isTheDatasheetBytes(Variant variant, int channel, String bytes) {
        assertThat(hex(variant.command(channel))).isEqualTo(bytes);
    }

    @Test
    void convert_mcp3208_readsTwelveBitsAfterTheNullBit_ignoringHighImpedanceBits() {
        // 3048 = 0xBE8. Byte 0 and the top three bits of byte 1 are high impedance (read as 1
        // on a pulled-up MISO); bit 4 of byte 1 is the null bit.
        ScriptedSpi spi = new ScriptedSpi().expect("07 40 00", "FF EB E8");
        assertThat(new Mcp3208(Variant.MCP3208_12BIT, spi).convert(5)).isEqualTo(3048);
    }

    @Test
    void convert_mcp3008_readsTenBitsAfterTheNullBit() {
        // 612 = 0x264: B9 B8 = 10 in byte 1 bits 1-0, null bit (bit 2) low, bits 7-3 floating.
        ScriptedSpi spi = new ScriptedSpi().expect("01 B0 00", "FF FA 64");
        assertThat(new Mcp3208(Variant.MCP3008_10BIT, spi).convert(3)).isEqualTo(612);
    }

    @Test
    void convert_nullBitHigh_isABusFaultNamingTheChannel() {
        // Nothing drives MISO: a pull-up reads all ones.
        ScriptedSpi spi = new ScriptedSpi().expect("06 40 00", "FF FF FF");
        assertThatThrownBy(() -> new Mcp3208(Variant.MCP3208_12BIT, spi).convert(1))
                .isInstanceOf(SpiException.class).hasMessageContaining("null bit high on channel 1");
    }

    @Test
    void convert_fullScaleAndZero_decodeToTheEnds() {
        ScriptedSpi spi = new ScriptedSpi().expect("06 00 00", "00 0F FF").expect("06 00 00", "00 00 00");
        Mcp3208 chip = new Mcp3208(Variant.MCP3208_12BIT, spi);
        assertThat(chip.convert(0)).isEqualTo(4095);
        assertThat(chip.convert(0)).isZero();
    }

    @Test
    void gains_mcp3208At3v3_1000To1CtAnd3OhmBurden_matchTheWorkedValues() {
        // Code 2048 + 1000 is 1000 LSB above the Vref/2 bias: 1000 x 3.3 V / 4096 = 0.805664 V
        // at the ADC; through 3 ohm that is 268.555 mA secondary, 268.555 A primary at 1000:1.
        // On a voltage channel with 150 line volts per ADC volt it is 120.85 V.
        Mcp3208Config c = Mcp3208Config.forMeter(Variant.MCP3208_12BIT, 60, 2, 100);
        assertThat(c.ctRatio()).isEqualTo(1000);
        assertThat(1000 * c.lsbVolts()).isCloseTo(0.8056640625, within(1e-12));
        assertThat(1000 * c.currentGain()).isCloseTo(268.5546875, within(1e-9));
        assertThat(1000 * c.voltageGain()).isCloseTo(120.849609375, within(1e-9));
    }

    @Test
    void gains_mcp3008_haveFourTimesTheLsb() {
        Mcp3208Config c = Mcp3208Config.forMeter(Variant.MCP3008_10BIT, 60, 2, 200);
        // 3.3 V / 1024 = 3.2227 mV per code; 200:0.1 A is 2000:1.
        assertThat(c.currentGain()).isCloseTo(3.3 / 1024 / 3 * 2000, within(1e-12));
    }

    @Test
    void config_conversionsLongerThanThePeriod_areRefusedNamingTheFigures() {
        Mcp3208Config c = Mcp3208Config.forMeter(Variant.MCP3208_12BIT, 60, 2, 200);
        // 4 x (24 us + 10 us) = 136 us > 125 us
        assertThatThrownBy(() -> c.withTiming(1e6, 10, 8000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("take 136.0 us, more than the 125.0 us sample period at 8000 Hz");
    }

    @Test
    void config_channelMappedTwice_isRefused() {
        assertThatThrownBy(() -> new Mcp3208Config(Variant.MCP3208_12BIT,
                java.util.List.of(new Mcp3208Config.ElementChannels(0, 1), new Mcp3208Config.ElementChannels(1, 2)),
                3.3, 1000, 3, 150, 1e6, 5, 8000, 400, 16, 0))
                .hasMessageContaining("ADC channel 1 is mapped twice");
    }
}
