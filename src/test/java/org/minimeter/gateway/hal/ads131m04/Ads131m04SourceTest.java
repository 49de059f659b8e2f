package org.minimeter.gateway.hal.ads131m04;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.minimeter.gateway.hal.mcp3208.ScriptedSpi.hex;

import org.junit.jupiter.api.Test;
import org.minimeter.gateway.hal.ManualClock;
import org.minimeter.gateway.hal.mcp3208.ScriptedSpi;
import org.minimeter.gateway.metering.SampleBlock;

/** Set-up and DRDY-driven reads over byte transcripts, and the faults. */
class Ads131m04SourceTest {

    static final long PERIOD = 125_000;

    final ManualClock clock = new ManualClock(0);
    final ScriptedSpi spi = new ScriptedSpi();
    final ScriptedDrdy drdy = new ScriptedDrdy(clock, PERIOD);

    Ads131m04Source source(int blockSize) {
        Ads131m04Config d = Ads131m04Config.forMeter(60, 2, 100);
        return new Ads131m04Source(new Ads131m04Config(d.elements(), d.clockHz(), d.sampleRate(), d.voltagePga(),
                d.currentPga(), d.voltageRatio(), d.ctRatio(), d.burdenOhms(), 0, d.drdyTimeoutMicros(), blockSize, 4),
                spi, drdy, clock);
    }

    @Test
    void configure_writesTheRegistersAndChecksEveryAcknowledgement() {
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        source(4).configure();
        assertThat(spi.remaining()).isZero();
    }

    @Test
    void configure_ctPhaseLead_goesToTheCtChannelsPhaseRegister() {
        Ads131m04Config c = Ads131m04Config.forMeter(60, 1, 100).withCtPhaseLeadMicros(50);
        Frames.setUp(spi, Frames.WREG_GAIN1_ONE_ELEMENT, Frames.WREG_CH1_CFG_PHASE_205);
        new Ads131m04(spi).configure(c);
        assertThat(spi.remaining()).isZero();
        // The remainder the register cannot express is the current channel's delay.
        assertThat(Ads131m04Source.frontEnd(c).calibration().get(0).current().delayMicros())
                .isCloseTo(-0.048828125, within(1e-12));
        assertThat(Ads131m04Source.frontEnd(c).calibration().get(0).voltage().delayMicros()).isZero();
    }

    @Test
    void acquire_afterSettling_deliversSimultaneousSamplesScaledToLineUnits() throws Exception {
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        Frames.data(spi, Ads131m04Source.SETTLING_FRAMES, 1, 2, 3, 4);
        Frames.data(spi, 1, 0x200000, 0x400000, 0xE00000, 0xC00000);
        Frames.data(spi, 1, 0x7FFFFF, 0xFFFFFF, 0x800000, 0x000001);
        Ads131m04Source s = source(2);
        s.configure();
        s.acquire(Ads131m04Source.SETTLING_FRAMES + 2);
        assertThat(spi.remaining()).isZero();
        SampleBlock b = new SampleBlock(2, 2);
        assertThat(s.poll(b, 0)).isTrue();
        assertThat(b.firstIndex()).isEqualTo(Ads131m04Source.SETTLING_FRAMES);
        assertThat(b.voltage(0)).startsWith(0x200000, 8_388_607);
        assertThat(b.current(0)).startsWith(0x400000, -1);
        assertThat(b.voltage(1)).startsWith(-0x200000, -8_388_608);
        assertThat(b.current(1)).startsWith(-0x400000, 1);
        var cal = s.frontEnd().calibration().get(0);
        assertThat(b.voltage(0)[0] * cal.voltage().gain()).isCloseTo(60, within(1e-9));
        assertThat(b.current(0)[0] * cal.current().gain()).isCloseTo(100, within(1e-9));
        assertThat(cal.voltage().delayMicros()).isEqualTo(cal.current().delayMicros()).isZero();
        assertThat(s.stats().clippedSamples()).isEqualTo(2);
    }

    @Test
    void acquire_corruptedCrc_countsAndRejectsTheFrame_asAGap() throws Exception {
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        Frames.data(spi, Ads131m04Source.SETTLING_FRAMES, 1, 2, 3, 4);
        Frames.data(spi, 1, 10, 20, 30, 40);
        byte[] bad = Frames.out(Frames.STATUS_RUNNING, 11, 21, 31, 41);
        bad[5] ^= 0x01; // one bit of channel 0 flipped on MISO
        spi.expect(hex(Frames.NULL), bad);
        Frames.data(spi, 1, 12, 22, 32, 42);
        Ads131m04Source s = source(400);
        s.configure();
        s.acquire(Ads131m04Source.SETTLING_FRAMES + 3);
        assertThat(s.stats().crcErrors()).isEqualTo(1);
        assertThat(s.stats().lastFault()).contains("output CRC");
        SampleBlock b = new SampleBlock(2, 400);
        assertThat(s.poll(b, 0)).isTrue();
        assertThat(b.length()).isEqualTo(1);
        assertThat(b.voltage(0)[0]).isEqualTo(10);
        assertThat(s.stats().samples()).isEqualTo(2);
    }

    @Test
    void acquire_threeDrdyTimeouts_setTheChipUpAgain_andSamplingResumes() throws Exception {
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        Frames.data(spi, Ads131m04Source.SETTLING_FRAMES + 1, 5, 6, 7, 8);
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        Frames.data(spi, Ads131m04Source.SETTLING_FRAMES + 1, 9, 10, 11, 12);
        Ads131m04Source s = source(400);
        s.configure();
        s.acquire(Ads131m04Source.SETTLING_FRAMES + 1);
        drdy.timeouts(3);
        s.acquire(3 + Ads131m04Source.SETTLING_FRAMES + 1);
        assertThat(spi.remaining()).isZero();
        assertThat(s.stats().drdyTimeouts()).isEqualTo(3);
        assertThat(s.stats().reconfigurations()).isEqualTo(1);
        assertThat(s.stats().samples()).isEqualTo(2);
        SampleBlock b = new SampleBlock(2, 400);
        assertThat(s.poll(b, 0)).isTrue();
        assertThat(b.length()).isEqualTo(1);
        assertThat(s.poll(b, 0)).isFalse(); // the second block is still open
    }

    @Test
    void acquire_statusShowsTheChipReset_setsItUpAgain() throws Exception {
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        Frames.data(spi, Ads131m04Source.SETTLING_FRAMES, 1, 2, 3, 4);
        spi.expect(hex(Frames.NULL), Frames.out(0x050F, 1, 2, 3, 4)); // STATUS.RESET: a brown-out
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        Frames.data(spi, 1, 1, 2, 3, 4);
        Ads131m04Source s = source(400);
        s.configure();
        s.acquire(Ads131m04Source.SETTLING_FRAMES + 2);
        assertThat(spi.remaining()).isZero();
        assertThat(s.stats().chipResets()).isEqualTo(1);
        assertThat(s.stats().reconfigurations()).isEqualTo(1);
    }

    @Test
    void acquire_statusCrcErr_countsTheChipsRejectionOfOurFrame() throws Exception {
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        spi.expect(hex(Frames.NULL), Frames.out(Frames.STATUS_RUNNING | Ads131m04.STATUS_CRC_ERR, 1, 2, 3, 4));
        Ads131m04Source s = source(400);
        s.configure();
        s.acquire(1);
        assertThat(s.stats().inputCrcErrors()).isEqualTo(1);
    }

    @Test
    void acquire_spiFailure_isCountedAndTheLoopCarriesOn() throws Exception {
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        spi.fail(hex(Frames.NULL));
        Frames.data(spi, 1, 1, 2, 3, 4);
        Ads131m04Source s = source(400);
        s.configure();
        s.acquire(2);
        assertThat(s.stats().spiErrors()).isEqualTo(1);
        assertThat(spi.remaining()).isZero();
    }

    @Test
    void acquire_readTooLate_countsTheOverwrittenConversionsAsAGap() throws Exception {
        Frames.setUp(spi, Frames.WREG_CH1_CFG);
        Frames.data(spi, Ads131m04Source.SETTLING_FRAMES + 2, 1, 2, 3, 4);
        Ads131m04Source s = source(400);
        s.configure();
        s.acquire(Ads131m04Source.SETTLING_FRAMES + 1);
        clock.advance(2 * PERIOD); // the thread slept through two conversions
        s.acquire(1);
        assertThat(s.stats().missedFrames()).isEqualTo(2);
        SampleBlock b = new SampleBlock(2, 400);
        assertThat(s.poll(b, 0)).isTrue();
        assertThat(b.firstIndex()).isEqualTo(Ads131m04Source.SETTLING_FRAMES);
        assertThat(b.length()).isEqualTo(1);
    }
}
