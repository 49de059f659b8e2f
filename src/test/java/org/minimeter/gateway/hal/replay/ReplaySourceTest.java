package org.minimeter.gateway.hal.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.hal.ManualClock;
import org.minimeter.gateway.metering.SampleBlock;

/** Pacing, end of file and loop of a replayed recording, on a hand-driven clock. */
class ReplaySourceTest {

    @TempDir
    Path dir;

    /** 10 samples at 1 kHz, sample k carrying the value k on every channel. */
    private Path tenSamples() {
        StringBuilder b = new StringBuilder("# rate=1000\nv1,i1\n");
        for (int k = 0; k < 10; k++) {
            b.append(k).append(',').append(k).append('\n');
        }
        return ReplayFixtures.write(dir, "ten.csv", b.toString());
    }

    @Test
    void poll_atSpeedTwo_deliversABlockEveryHalfBlockDuration_andNeverWaits() {
        var clock = new ManualClock(1_000_000_000L);
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(tenSamples()).blockSize(4).speed(2).build(),
                clock)) {
            SampleBlock b = new SampleBlock(1, 4);
            long start = clock.nanoTime();
            // 4 samples at 1 kHz are 4 ms of recording; at speed 2, 2 ms of wall clock.
            assertThat(s.nextBlockNanos()).isEqualTo(start + 2_000_000);
            assertThat(s.poll(b, start + 1_999_999)).isFalse();
            assertThat(s.poll(b, start + 2_000_000)).isTrue();
            assertThat(b.firstIndex()).isZero();
            assertThat(b.length()).isEqualTo(4);
            assertThat(s.nextBlockNanos()).isEqualTo(start + 4_000_000);
            assertThat(s.poll(b, start + 3_000_000)).isFalse();
        }
    }

    @Test
    void endOfFile_withoutLoop_deliversTheTailThenEnds() {
        var clock = new ManualClock(1_000_000_000L);
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(tenSamples()).blockSize(4).build(), clock)) {
            SampleBlock b = new SampleBlock(1, 4);
            long late = clock.nanoTime() + 1_000_000_000L;
            assertThat(s.poll(b, late)).isTrue();
            assertThat(s.poll(b, late)).isTrue();
            assertThat(s.ended()).isFalse();
            assertThat(s.poll(b, late)).isTrue();
            assertThat(b.firstIndex()).isEqualTo(8);
            assertThat(b.length()).isEqualTo(2);
            assertThat(b.voltage(0)[1]).isEqualTo(9.0);
            assertThat(s.ended()).isTrue();
            assertThat(s.poll(b, late)).isFalse();
            assertThat(s.poll(b, Long.MAX_VALUE / 2)).isFalse();
        }
    }

    @Test
    void endOfFile_exactBlocks_endsWithTheLastFullBlock() {
        var clock = new ManualClock(1_000_000_000L);
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(tenSamples()).blockSize(5).build(), clock)) {
            SampleBlock b = new SampleBlock(1, 5);
            assertThat(s.fill(b)).isTrue();
            assertThat(s.ended()).isFalse();
            assertThat(s.fill(b)).isTrue();
            assertThat(s.ended()).isTrue();
            assertThat(s.fill(b)).isFalse();
        }
    }

    @Test
    void loop_restartsAtSampleZero_withTheIndexRunningOnAndFullBlocks() {
        var clock = new ManualClock(1_000_000_000L);
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(tenSamples()).blockSize(4).loop(true).build(),
                clock)) {
            SampleBlock b = new SampleBlock(1, 4);
            long expectedIndex = 0;
            for (int block = 0; block < 10; block++) {
                clock.sleepUntil(s.nextBlockNanos());
                assertThat(s.poll(b, clock.nanoTime())).isTrue();
                assertThat(b.firstIndex()).isEqualTo(expectedIndex);
                assertThat(b.length()).isEqualTo(4);
                for (int k = 0; k < 4; k++) {
                    assertThat(b.voltage(0)[k]).isEqualTo((expectedIndex + k) % 10);
                }
                expectedIndex += 4;
            }
            assertThat(s.ended()).isFalse();
        }
    }

    @Test
    void wavLoop_restartsAtSampleZero() {
        Path f = ReplayFixtures.write(dir, "loop.wav", ReplayFixtures.riff(ReplayFixtures.fmt(1, 2, 8000, 16),
                ReplayFixtures.chunk("data", ReplayFixtures.pcm16(0x1000, 0, 0x2000, 0, 0x3000, 0))));
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(f).scale("v1", 8).scale("i1", 1).loop(true)
                .blockSize(5).build(), new ManualClock(1_000_000_000L))) {
            SampleBlock b = new SampleBlock(1, 5);
            assertThat(s.fill(b)).isTrue();
            assertThat(java.util.Arrays.copyOf(b.voltage(0), 5)).containsExactly(1, 2, 3, 1, 2);
            assertThat(s.fill(b)).isTrue();
            assertThat(b.firstIndex()).isEqualTo(5);
            assertThat(java.util.Arrays.copyOf(b.voltage(0), 5)).containsExactly(3, 1, 2, 3, 1);
        }
    }
}
