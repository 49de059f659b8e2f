package org.minimeter.gateway.hal.ads131m04;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.minimeter.gateway.hal.mcp3208.ScriptedSpi.hex;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.hal.mcp3208.ScriptedSpi;

/** Frames, commands, CRC and scaling of the ADS131M04 against datasheet-derived bytes. */
class Ads131m04ProtocolTest {

    @Test
    void crc16_ccittSeedFfff_ofTheStandardCheckString_is29B1() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(Ads131m04.crc16(check, 0, check.length)).isEqualTo(0x29B1);
    }

    @Test
    void crc16_ofRealFrames_matchesIndependentlyComputedValues() {
        assertThat(Ads131m04.crc16(new byte[3], 0, 3)).isEqualTo(0xCC9C); // NULL command word
        assertThat(Ads131m04.crc16(hex("00 11 00"), 0, 3)).isEqualTo(0xFCDE); // RESET
        assertThat(Ads131m04.crc16(hex("61 80 00 0F 0A 00"), 0, 6)).isEqualTo(0xF582); // WREG CLOCK
        // An output frame: STATUS 0510h and four channels; CRC over the first 15 bytes.
        assertThat(Ads131m04.crc16(hex("05 10 00 40 00 00 20 00 00 7F FF FF 80 00 00"), 0, 15)).isEqualTo(0x6D0F);
    }

    @Test
    void frame_commands_areFullSixWordFramesWithTheInputCrc() {
        assertThat(hex(Ads131m04.frame(Ads131m04.CMD_NULL))).isEqualTo(Frames.NULL);
        assertThat(hex(Ads131m04.frame(Ads131m04.CMD_RESET))).isEqualTo(Frames.RESET);
        // RREG: 101a aaaa annn nnnn, address 0 (ID), one register
        assertThat(hex(Ads131m04.frame(Ads131m04.rreg(Ads131m04.REG_ID)))).isEqualTo(Frames.RREG_ID);
        // WREG: 011a aaaa annn nnnn then the data word: CLOCK (03h) = 0F0Ah is 6180h 0F0Ah
        assertThat(hex(Ads131m04.frame(Ads131m04.wreg(Ads131m04.REG_CLOCK), 0x0F0A))).isEqualTo(Frames.WREG_CLOCK);
        assertThat(Ads131m04.wregAck(Ads131m04.REG_CLOCK)).isEqualTo(0x4180);
        assertThat(Ads131m04.chCfg(3)).isEqualTo(0x18);
    }

    @Test
    void readData_decodesStatusAndTwosComplementChannels() {
        ScriptedSpi spi = new ScriptedSpi().expect(hex(Frames.NULL),
                hex("05 10 00 40 00 00 20 00 00 7F FF FF 80 00 00 6D 0F 00"));
        int[] codes = new int[4];
        int status = new Ads131m04(spi).readData(codes);
        assertThat(status).isEqualTo(0x0510);
        assertThat(codes).containsExactly(0x400000, 0x200000, 8_388_607, -8_388_608);
    }

    @Test
    void readData_corruptedCrc_isRejected() {
        // One bit of channel 0 flipped in transit.
        ScriptedSpi spi = new ScriptedSpi().expect(hex(Frames.NULL),
                hex("05 10 00 40 00 01 20 00 00 7F FF FF 80 00 00 6D 0F 00"));
        assertThatThrownBy(() -> new Ads131m04(spi).readData(new int[4]))
                .isInstanceOf(Ads131m04.CrcException.class).hasMessageContaining("output CRC 6D0F");
    }

    @Test
    void configure_allZeroAnswer_stopsNamingTheStepNotJustTheCrc() {
        // what Pi4J's mock SPI, or a MISO line nothing drives, returns: its CRC cannot match
        ScriptedSpi spi = new ScriptedSpi().expect(hex(Frames.RESET), new byte[Ads131m04.FRAME_BYTES]);
        assertThatThrownBy(() -> new Ads131m04(spi).configure(Ads131m04Config.forMeter(60, 2, 200)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("set-up step RESET: the answer failed its CRC (output CRC 0000, computed 4EC3)")
                .hasMessageContaining("check wiring, SPI mode 1 and that CLKIN is running");
    }

    @Test
    void configure_wrongResetAcknowledgement_stopsNamingTheStep() {
        ScriptedSpi spi = new ScriptedSpi().expect(hex(Frames.RESET), Frames.out(0))
                .expect(hex(Frames.RREG_ID), Frames.out(0x0000));
        assertThatThrownBy(() -> new Ads131m04(spi).configure(Ads131m04Config.forMeter(60, 2, 200)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("RESET answered 0000h, expected FF24h");
    }

    @Test
    void config_registersFollowFromThePhysics() {
        Ads131m04Config c = Ads131m04Config.forMeter(60, 2, 200);
        assertThat(c.clockRegister()).isEqualTo(0x0F0A); // OSR 512: 4.096 MHz / 512 = 8 kHz
        assertThat(c.gainRegister()).isEqualTo(0x1010);
        // A 50 us CT lead: 204.8 modulator clocks of 0.244 us, so PHASE 205 (3340h in CH1_CFG)
        // and -0.049 us left for the metering.
        Ads131m04Config lead = c.withCtPhaseLeadMicros(50);
        assertThat(lead.ctPhaseSteps()).isEqualTo(205);
        assertThat(lead.channelConfigRegister(1)).isEqualTo(0x3340);
        assertThat(lead.channelConfigRegister(0)).isZero();
        assertThat(lead.ctResidualLeadMicros()).isCloseTo(-0.048828125, within(1e-12));
        // A negative PHASE is 10-bit two's complement: -1 is 3FFh, FFC0h in the register.
        assertThat(c.withCtPhaseLeadMicros(-0.244140625).channelConfigRegister(3)).isEqualTo(0xFFC0);
    }

    @Test
    void config_unreachableDataRate_isRefusedNamingTheOsrs() {
        assertThatThrownBy(() -> new Ads131m04Config(Ads131m04Config.forMeter(60, 2, 200).elements(), 8.192e6, 7000,
                1, 2, 200, 2000, 3, 0, 2000, 400, 16))
                .hasMessageContaining("sampleRate 7000.0 Hz is not CLKIN/2/OSR");
    }

    @Test
    void gains_workedValues() {
        Ads131m04Config c = Ads131m04Config.forMeter(60, 2, 100);
        // 2^22 at PGA 2 is half of +-0.6 V: 0.3 V, i.e. 0.1 A through 3 ohm, 100 A at 1000:1.
        assertThat((1 << 22) * c.currentGain()).isCloseTo(100, within(1e-9));
        // 2^21 at PGA 1 is 0.3 V at the input, 60 V on the line at 200:1.
        assertThat((1 << 21) * c.voltageGain()).isCloseTo(60, within(1e-9));
    }
}
