package org.minimeter.gateway.hal.mcp3208;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.ManualClock;
import org.minimeter.gateway.hal.mcp3208.Mcp3208.Variant;
import org.minimeter.gateway.hal.mcp3208.Mcp3208Config.ElementChannels;
import org.minimeter.gateway.metering.ElementCalibration;
import org.minimeter.gateway.metering.SampleBlock;

/** The acquisition loop over byte transcripts: order, timing, the ring, and faults. */
class Mcp3208SourceTest {

    static final long PERIOD = 125_000; // 8 kHz

    /** V1 on 4, I1 on 5, V2 on 6, I2 on 7; 1 MHz, 5 us gap; blocks of {@code blockSize}. */
    static Mcp3208Config config(int blockSize, int ringBlocks) {
        return new Mcp3208Config(Variant.MCP3208_12BIT, List.of(new ElementChannels(4, 5), new ElementChannels(6, 7)),
                3.3, 1000, 3, 150, 1e6, 5, 8000, blockSize, ringBlocks, 0);
    }

    /** Response bytes carrying {@code code} (null bit low, floating bits high). */
    static String rx(int code) {
        return String.format("FF %02X %02X", 0xE0 | code >> 8, code & 0xFF);
    }

    /** One sample period: V1, I1, V2, I2 in that order, as codes. */
    static void period(ScriptedSpi spi, int v1, int i1, int v2, int i2) {
        spi.expect("07 00 00", rx(v1)).expect("07 40 00", rx(i1)).expect("07 80 00", rx(v2)).expect("07 C0 00", rx(i2));
    }

    @Test
    void acquire_convertsV1I1V2I2InOrder_andDeliversCodesAroundMidScale() throws Exception {
        ScriptedSpi spi = new ScriptedSpi();
        period(spi, 3048, 2048 - 500, 2048, 4095);
        period(spi, 2047, 2049, 0, 1);
        Mcp3208Source source = new Mcp3208Source(config(2, 4), spi, new ManualClock(0));
        source.acquire(2);

        SampleBlock b = new SampleBlock(2, 2);
        assertThat(source.poll(b, 0)).isTrue();
        assertThat(spi.remaining()).isZero();
        assertThat(b.firstIndex()).isZero();
        assertThat(b.length()).isEqualTo(2);
        assertThat(b.voltage(0)).startsWith(1000, -1);
        assertThat(b.current(0)).startsWith(-500, 1);
        assertThat(b.voltage(1)).startsWith(0, -2048);
        assertThat(b.current(1)).startsWith(2047, -2047);
        // 1000 codes on V1 is 120.85 line volts; -500 on I1 is -134.28 A primary.
        FrontEnd fe = source.frontEnd();
        assertThat(b.voltage(0)[0] * fe.calibration().get(0).voltage().gain()).isCloseTo(120.849609375, within(1e-9));
        assertThat(b.current(0)[0] * fe.calibration().get(0).current().gain()).isCloseTo(-134.27734375, within(1e-9));
        // 4095 and 0 are the ends of the converter: clipped.
        assertThat(source.stats().clippedSamples()).isEqualTo(2);
        assertThat(source.poll(b, 0)).isFalse();
    }

    @Test
    void nextBlockNanos_followsTheProducer_andIsNowWhileABlockWaits() throws Exception {
        ManualClock clock = new ManualClock(0);
        ScriptedSpi spi = new ScriptedSpi();
        period(spi, 2048, 2049, 2048, 2049);
        period(spi, 2050, 2051, 2050, 2051);
        Mcp3208Source source = new Mcp3208Source(config(2, 4), spi, clock);
        assertThat(source.nextBlockNanos()).isEqualTo(2 * PERIOD); // a block of 2 samples from start
        source.acquire(2);
        long published = clock.nanoTime();
        assertThat(source.nextBlockNanos()).isEqualTo(published);
        assertThat(source.poll(new SampleBlock(2, 2), published)).isTrue();
        assertThat(source.nextBlockNanos()).isEqualTo(published + 2 * PERIOD);
        // The producer stalls: the scheduler retries every quarter block, never in the past.
        clock.advance(10 * PERIOD);
        assertThat(source.nextBlockNanos()).isEqualTo(clock.nanoTime() + PERIOD / 2);
    }

    @Test
    void frontEnd_declaresEachChannelsConversionInstant_soTheMeteringRealignsVAndI() {
        // 24 clocks at 1 MHz + 5 us = 29 us per conversion; the hold closes 11 clocks in.
        Mcp3208Config c = config(400, 16);
        assertThat(Mcp3208Source.conversionOffsetsMicros(c)).containsExactly(11, 40, 69, 98);
        List<ElementCalibration> cal = Mcp3208Source.frontEnd(c).calibration();
        assertThat(cal.get(0).voltage().delayMicros()).isEqualTo(11);
        assertThat(cal.get(0).current().delayMicros()).isEqualTo(40);
        assertThat(cal.get(1).voltage().delayMicros()).isEqualTo(69);
        assertThat(cal.get(1).current().delayMicros()).isEqualTo(98);
        // Each element's current is one transfer (29 us) behind its voltage: at 60 Hz, 0.63
        // degrees, a 1.9 % error at PF 0.5 if it were not declared.
        assertThat(cal.get(0).current().delayMicros() - cal.get(0).voltage().delayMicros()).isEqualTo(29);
        assertThat(cal.get(0).current().clipLevel()).isEqualTo(2047);
    }

    @Test
    void frontEnd_mcp3008_holdClosesLaterInTheTransfer() {
        Mcp3208Config c = Mcp3208Config.forMeter(Variant.MCP3008_10BIT, 60, 1, 100);
        assertThat(Mcp3208Source.conversionOffsetsMicros(c)).containsExactly(13, 42);
    }

    @Test
    void acquire_startsEachPeriodAtItsDueTime() throws Exception {
        startsAtDueTimes(config(400, 4));
    }

    @Test
    void acquire_spinningTheLastMicroseconds_stillStartsOnTime_andCannotHangOnVirtualTime() throws Exception {
        startsAtDueTimes(config(400, 4).withSpinMicros(50));
    }

    private static void startsAtDueTimes(Mcp3208Config config) throws Exception {
        ManualClock clock = new ManualClock(1_000_000);
        long[] starts = new long[8];
        int[] n = {0};
        ScriptedSpi spi = new ScriptedSpi() {
            @Override
            public byte[] transfer(byte[] tx) {
                starts[n[0]++] = clock.nanoTime();
                clock.advance(29_000);
                return super.transfer(tx);
            }
        };
        period(spi, 2048, 2048, 2048, 2048);
        period(spi, 2049, 2049, 2049, 2049);
        new Mcp3208Source(config, spi, clock).acquire(2);
        assertThat(starts).containsExactly(1_000_000, 1_029_000, 1_058_000, 1_087_000,
                1_125_000, 1_154_000, 1_183_000, 1_212_000);
    }

    @Test
    void acquire_spiFailure_losesThatPeriodAsAGap_andTheLoopCarriesOn() throws Exception {
        ScriptedSpi spi = new ScriptedSpi();
        period(spi, 2100, 2000, 2100, 2000);
        spi.expect("07 00 00", rx(2100)).fail(ScriptedSpi.hex("07 40 00"));
        period(spi, 2101, 2001, 2101, 2001);
        Mcp3208Source source = new Mcp3208Source(config(400, 4), spi, new ManualClock(0));
        source.acquire(3);
        SampleBlock b = new SampleBlock(2, 400);
        assertThat(source.poll(b, 0)).isTrue();
        assertThat(b.firstIndex()).isZero();
        assertThat(b.length()).isEqualTo(1);
        assertThat(source.stats().spiErrors()).isEqualTo(1);
        assertThat(source.stats().lastFault()).contains("scripted bus failure");
        // Sample 1 is gone; sample 2 starts the next block (published when it fills or closes).
        assertThat(source.poll(b, 0)).isFalse();
        spi.fail(ScriptedSpi.hex("07 00 00"));
        source.acquire(1);
        assertThat(source.poll(b, 0)).isTrue();
        assertThat(b.firstIndex()).isEqualTo(2);
        assertThat(b.voltage(0)[0]).isEqualTo(53);
        assertThat(source.stats().spiErrors()).isEqualTo(2);
    }

    @Test
    void acquire_nullBitHigh_isCountedAsABusFault() throws Exception {
        ScriptedSpi spi = new ScriptedSpi().expect("07 00 00", "FF FF FF");
        Mcp3208Source source = new Mcp3208Source(config(400, 4), spi, new ManualClock(0));
        source.acquire(1);
        assertThat(source.stats().spiErrors()).isEqualTo(1);
        assertThat(source.stats().lastFault()).contains("null bit high on channel 4");
    }

    @Test
    void acquire_ringFull_dropsTheNewestSamples_whichShowAsAGapInTheFirstIndex() throws Exception {
        ScriptedSpi spi = new ScriptedSpi();
        // 2 slots of 2 samples: periods 0-3 fill the ring, 4-5 are converted but dropped.
        for (int k = 0; k < 8; k++) {
            period(spi, 2048 + k, 2048 - k, 2048 + k, 2048 - k);
        }
        Mcp3208Source source = new Mcp3208Source(config(2, 2), spi, new ManualClock(0));
        source.acquire(4);
        source.acquire(2);
        assertThat(source.stats().droppedSamples()).isEqualTo(2);
        SampleBlock b = new SampleBlock(2, 2);
        assertThat(source.poll(b, 0)).isTrue();
        assertThat(b.firstIndex()).isZero();
        assertThat(source.poll(b, 0)).isTrue();
        assertThat(b.firstIndex()).isEqualTo(2);
        assertThat(source.poll(b, 0)).isFalse();
        // Room again: period 6 starts the next block.
        source.acquire(2);
        assertThat(source.poll(b, 0)).isTrue();
        assertThat(b.firstIndex()).isEqualTo(6);
        assertThat(b.voltage(0)[0]).isEqualTo(6);
        assertThat(spi.remaining()).isZero();
    }

    @Test
    void acquire_channelFrozenForAWholeBlock_isCountedStuck() throws Exception {
        ScriptedSpi spi = new ScriptedSpi();
        for (int k = 0; k < 5; k++) {
            period(spi, 2048 + k % 2, 2048 + (k + 1) % 2, 2048 + k % 2, 1234);
        }
        Mcp3208Source source = new Mcp3208Source(config(4, 4), spi, new ManualClock(0));
        source.acquire(5);
        assertThat(source.stats().stuckBlocks()).isEqualTo(1);
        assertThat(source.stats().lastFault()).isEqualTo("channel 7 stuck at code 1234");
    }

    @Test
    void acquire_wokenLate_skipsThePeriodsItMissed_keepingSamplesOnTheirInstants() throws Exception {
        ManualClock clock = new ManualClock(0);
        ScriptedSpi spi = new ScriptedSpi() {
            int calls;

            @Override
            public byte[] transfer(byte[] tx) {
                if (++calls == 4) {
                    clock.advance(3 * PERIOD); // the thread was descheduled
                }
                return super.transfer(tx);
            }
        };
        period(spi, 2048, 2049, 2048, 2049);
        period(spi, 2050, 2051, 2050, 2051);
        Mcp3208Source source = new Mcp3208Source(config(400, 4), spi, clock);
        source.acquire(2);
        assertThat(source.stats().lateSamples()).isEqualTo(3);
        SampleBlock b = new SampleBlock(2, 400);
        assertThat(source.poll(b, 0)).isTrue();
        assertThat(b.firstIndex()).isZero();
        assertThat(b.length()).isEqualTo(1);
        // The next converted period is index 4, started at its own due time 500 us.
        assertThat(clock.nanoTime()).isEqualTo(4 * PERIOD);
    }

    @Test
    void open_runsOnItsOwnThread_andCloseStopsItAndClosesTheTransport() throws Exception {
        Mcp3208Model model = new Mcp3208Model(Mcp3208Config.forMeter(Variant.MCP3208_12BIT, 60, 2, 200),
                new LineSignal(60, 120, 10, 0), new ManualClock(0), 0.5, 1) {
            private volatile boolean closed;

            @Override
            public void close() {
                closed = true;
            }

            @Override
            public String description() {
                return closed ? "closed" : "open";
            }
        };
        Mcp3208Source source = Mcp3208Source.open(Mcp3208Config.forMeter(Variant.MCP3208_12BIT, 60, 2, 200), model,
                org.minimeter.gateway.hal.MonotonicClock.SYSTEM);
        SampleBlock b = new SampleBlock(2, 400);
        long deadline = System.nanoTime() + 5_000_000_000L;
        boolean got = false;
        while (!got && System.nanoTime() < deadline) {
            got = source.poll(b, System.nanoTime());
            Thread.sleep(5);
        }
        source.close();
        assertThat(got).as("a block within 5 s").isTrue();
        assertThat(model.description()).isEqualTo("closed");
    }
}
