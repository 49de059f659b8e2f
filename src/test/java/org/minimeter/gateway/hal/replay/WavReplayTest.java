package org.minimeter.gateway.hal.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.ascii;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.chunk;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.float32;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.fmt;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.fmtExtensible;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.pcm16;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.pcm24;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.pcm32;
import static org.minimeter.gateway.hal.replay.ReplayFixtures.riff;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.metering.SampleBlock;

/** The WAV replay format of SPEC.md section 6: scaling of each sample format, and refusals. */
class WavReplayTest {

    @TempDir
    Path dir;

    private ReplaySource open(Path f, ReplaySettings.Builder b) {
        return ReplaySource.open(b.build(), MonotonicClock.SYSTEM);
    }

    private static ReplaySettings.Builder scaled(Path f) {
        return ReplaySettings.builder(f).scale("v1", 400).scale("i1", 100).scale("v2", 400).scale("i2", 100);
    }

    static Stream<Arguments> malformed() {
        byte[] fmt16 = fmt(1, 2, 8000, 16);
        byte[] frames = pcm16(1, 2, 3, 4);
        return Stream.of(
                Arguments.of("not RIFF", ascii("RIFX0000WAVEfmt "), "byte 0 (chunk 'RIFF')", "not a RIFF/WAVE file"),
                Arguments.of("no fmt", riff(chunk("data", frames)), "byte 12 (chunk 'fmt ')", "no fmt chunk"),
                Arguments.of("no data", riff(fmt16), "byte 12 (chunk 'data')", "no data chunk"),
                Arguments.of("8-bit PCM", riff(fmt(1, 2, 8000, 8), chunk("data", new byte[4])),
                        "byte 12 (chunk 'fmt ')", "unsupported format: 8-bit PCM (16, 24 or 32-bit needed)"),
                Arguments.of("64-bit float", riff(fmt(3, 2, 8000, 64), chunk("data", new byte[16])),
                        "byte 12 (chunk 'fmt ')", "unsupported format: 64-bit float (32-bit needed)"),
                Arguments.of("mu-law", riff(fmt(7, 2, 8000, 16), chunk("data", frames)),
                        "byte 12 (chunk 'fmt ')", "unsupported format tag 7"),
                Arguments.of("extensible, other subformat", riff(fmtExtensible(2, 2, 8000, 16), chunk("data", frames)),
                        "byte 12 (chunk 'fmt ')", "unsupported format tag 2"),
                Arguments.of("3 channels", riff(fmt(1, 3, 8000, 16), chunk("data", pcm16(1, 2, 3))),
                        "byte 12 (chunk 'fmt ')", "wrong channel count 3: need 2 (v1, i1) or 4 (v1, i1, v2, i2)"),
                Arguments.of("rate 0", riff(fmt(1, 2, 0, 16), chunk("data", frames)),
                        "byte 12 (chunk 'fmt ')", "missing rate"),
                Arguments.of("empty data", riff(fmt16, chunk("data", new byte[0])),
                        "byte 36 (chunk 'data')", "empty data: no samples"),
                Arguments.of("data chunk cut short", riff(fmt16, chunk("data", 4000, frames)),
                        "byte 36 (chunk 'data')", "truncated: the data chunk declares 4000 bytes but only 8 follow"),
                Arguments.of("partial frame", riff(fmt16, chunk("data", pcm16(1, 2, 3))),
                        "byte 36 (chunk 'data')", "truncated: 6 bytes is not a whole number of 4-byte frames"),
                Arguments.of("bad metadata", riff(fmt16, chunk("mmgw", ascii("v1=lots")), chunk("data", frames)),
                        "byte 36 (chunk 'mmgw')", "bad metadata: 'v1' has non-numeric value 'lots'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void open_malformedWav_isRefusedNamingFileOffsetChunkAndReason(String name, byte[] bytes, String where,
            String reason) {
        Path f = ReplayFixtures.write(dir, "bad.wav", bytes);
        assertThatThrownBy(() -> open(f, scaled(f)))
                .isInstanceOfSatisfying(ReplayFileException.class, e -> {
                    assertThat(e.file()).isEqualTo(f);
                    assertThat(e.where()).isEqualTo(where);
                    assertThat(e.reason()).contains(reason);
                    assertThat(e.getMessage()).startsWith("replay file " + f + ", " + where + ": ");
                });
    }

    @Test
    void open_withoutScaleOrMetadata_isRefusedNamingTheKey() {
        Path f = ReplayFixtures.write(dir, "noscale.wav", riff(fmt(1, 2, 8000, 16), chunk("data", pcm16(1, 2))));
        assertThatThrownBy(() -> open(f, ReplaySettings.builder(f).scale("v1", 400)))
                .isInstanceOf(ReplayFileException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("no scale for channel i1: set replay.scale.i1");
    }

    /** Integer codes are fractions of 2^(bits-1): 0x4000 of 16 bits is exactly half scale. */
    @Test
    void pcm16_knownCodes_scaleExactly() {
        Path f = ReplayFixtures.write(dir, "pcm16.wav",
                riff(fmt(1, 2, 8000, 16), chunk("data", pcm16(0x4000, -0x8000, 0x7FFF, -1, 0, 0x2000))));
        double[][] s = readAll(f, scaled(f), 1);
        assertThat(s[0]).containsExactly(200.0, 400.0 * 0x7FFF / 0x8000, 0.0);
        assertThat(s[1]).containsExactly(-100.0, -100.0 / 0x8000, 25.0);
        try (ReplaySource r = open(f, scaled(f))) {
            // The largest code is the converter's saturation.
            assertThat(r.frontEnd().calibration().get(0).voltage().clipLevel()).isEqualTo(400.0 * 0x7FFF / 0x8000);
        }
    }

    @Test
    void pcm24_knownCodes_scaleExactly() {
        Path f = ReplayFixtures.write(dir, "pcm24.wav",
                riff(fmt(1, 4, 8000, 24), chunk("data", pcm24(0x400000, -0x800000, 0x7FFFFF, -0x200000,
                        1, -1, 0x100000, 0))));
        double[][] s = readAll(f, scaled(f), 2);
        assertThat(s[0]).containsExactly(200.0, 400.0 / 0x800000);
        assertThat(s[1]).containsExactly(-100.0, -100.0 / 0x800000);
        assertThat(s[2]).containsExactly(400.0 * 0x7FFFFF / 0x800000, 50.0);
        assertThat(s[3]).containsExactly(-25.0, 0.0);
    }

    @Test
    void pcm32AndExtensible_knownCodes_scaleExactly() {
        Path f = ReplayFixtures.write(dir, "pcm32.wav",
                riff(fmtExtensible(1, 2, 4000, 32), chunk("data", pcm32(0x40000000, Integer.MIN_VALUE))));
        double[][] s = readAll(f, scaled(f), 1);
        assertThat(s[0]).containsExactly(200.0);
        assertThat(s[1]).containsExactly(-100.0);
    }

    @Test
    void float32Extensible_isFractionOfFullScale_andReplayRateOverridesTheHeader() {
        Path f = ReplayFixtures.write(dir, "float.wav",
                riff(fmtExtensible(3, 2, 8000, 32), chunk("data", float32(0.5f, -0.25f, 1.5f, 0f))));
        double[][] s = readAll(f, scaled(f), 1);
        assertThat(s[0]).containsExactly(200.0, 600.0);
        assertThat(s[1]).containsExactly(-25.0, 0.0);
        try (ReplaySource r = open(f, scaled(f).rate(7999.5))) {
            assertThat(r.frontEnd().sampleRate()).isEqualTo(7999.5);
        }
    }

    @Test
    void metadata_givesScales_andParametersOverrideIt() {
        byte[] meta = ascii("mmgw=1;v1=250;i1=333.5;clip=0;delay.i1=20");
        Path f = ReplayFixtures.write(dir, "meta.wav",
                riff(fmt(3, 2, 8000, 32), chunk("mmgw", meta), chunk("LIST", ascii("INFOjunk")),
                        chunk("data", float32(1f, -1f))));
        double[][] s = readAll(f, ReplaySettings.builder(f), 1);
        assertThat(s[0]).containsExactly(250.0);
        assertThat(s[1]).containsExactly(-333.5);
        try (ReplaySource r = open(f, ReplaySettings.builder(f))) {
            var cal = r.frontEnd().calibration().get(0);
            assertThat(cal.current().delayMicros()).isEqualTo(20.0);
            assertThat(cal.voltage().clipLevel()).isEqualTo(Double.POSITIVE_INFINITY);
        }
        double[][] o = readAll(f, ReplaySettings.builder(f).scale("i1", 10), 1);
        assertThat(o[1]).containsExactly(-10.0);
    }

    private double[][] readAll(Path f, ReplaySettings.Builder b, int elements) {
        try (ReplaySource r = open(f, b.blockSize(3))) {
            assertThat(r.frontEnd().elements()).isEqualTo(elements);
            SampleBlock block = new SampleBlock(elements, 3);
            double[][] out = new double[2 * elements][0];
            while (r.fill(block)) {
                for (int e = 0; e < elements; e++) {
                    out[2 * e] = append(out[2 * e], block.voltage(e), block.length());
                    out[2 * e + 1] = append(out[2 * e + 1], block.current(e), block.length());
                }
            }
            assertThat(r.ended()).isTrue();
            return out;
        }
    }

    private static double[] append(double[] a, double[] b, int n) {
        double[] r = Arrays.copyOf(a, a.length + n);
        System.arraycopy(b, 0, r, a.length, n);
        return r;
    }
}
