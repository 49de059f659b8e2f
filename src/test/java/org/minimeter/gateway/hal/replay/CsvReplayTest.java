package org.minimeter.gateway.hal.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.metering.SampleBlock;

/** The CSV replay format of SPEC.md section 6, and every way a CSV is refused at open. */
class CsvReplayTest {

    @TempDir
    Path dir;

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("unknown column", "# rate=8000\nv1,i1,p\n1,2,3\n", "line 2",
                        "unknown column 'p' in header 'v1,i1,p'; allowed: t, v1, i1, v2, i2"),
                Arguments.of("duplicate column", "# rate=8000\nv1,i1,v1\n1,2,3\n", "line 2",
                        "column 'v1' appears twice"),
                Arguments.of("missing current", "# rate=8000\nt,v1\n0,1\n", "line 2",
                        "wrong channel set in header 't,v1': need v1,i1 (1 element) or v1,i1,v2,i2 (2 elements)"),
                Arguments.of("three channels", "# rate=8000\nv1,i1,v2\n1,2,3\n", "line 2",
                        "wrong channel set in header 'v1,i1,v2'"),
                Arguments.of("short row", "# rate=8000\nv1,i1,v2,i2\n1,2,3,4\n1,2,3\n", "line 4",
                        "short row: 3 values for the 4 columns of header 'v1,i1,v2,i2'"),
                Arguments.of("long row", "# rate=8000\nv1,i1\n1,2\n1,2,3\n", "line 4",
                        "long row: 3 values for the 2 columns"),
                Arguments.of("non-numeric value", "# rate=8000\nv1,i1\n1,2\n1,abc\n", "line 4",
                        "non-numeric value 'abc' in column 'i1'"),
                Arguments.of("empty value", "# rate=8000\nv1,i1\n1,\n", "line 3",
                        "non-numeric value '' in column 'i1'"),
                Arguments.of("NaN is not a sample", "# rate=8000\nv1,i1\nNaN,1\n", "line 3",
                        "non-numeric value 'NaN' in column 'v1'"),
                Arguments.of("missing rate", "v1,i1\n1,2\n", "line 1",
                        "missing rate: no t column, no '# rate=<Hz>' comment and no replay.rate"),
                Arguments.of("delay of unknown channel", "# rate=8000\n# delay.i3=20\nv1,i1\n1,2\n", "line 2",
                        "delay of unknown channel 'i3'"),
                Arguments.of("bad rate comment", "# rate=fast\nv1,i1\n1,2\n", "line 1",
                        "rate 'fast' is not a positive number of Hz"),
                Arguments.of("empty data", "# rate=8000\nv1,i1\n", "line 2", "empty data: no sample rows after the header"),
                Arguments.of("no header", "# rate=8000\n# only comments\n", "line 2", "no header row"),
                Arguments.of("t not increasing", "t,v1,i1\n0,1,1\n0.001,1,1\n0.001,1,1\n", "line 4",
                        "t 0.001 does not increase"),
                Arguments.of("t with a lost sample", "t,v1,i1\n0.0000,1,1\n0.0010,1,1\n0.0020,1,1\n0.0040,1,1\n0.0050,1,1\n",
                        "line 1", "t is not uniform"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void open_malformedCsv_isRefusedNamingFileLineAndReason(String name, String content, String where, String reason) {
        Path f = ReplayFixtures.write(dir, "bad.csv", content);
        assertThatThrownBy(() -> ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM))
                .isInstanceOfSatisfying(ReplayFileException.class, e -> {
                    assertThat(e.file()).isEqualTo(f);
                    assertThat(e.where()).isEqualTo(where);
                    assertThat(e.reason()).contains(reason);
                    assertThat(e.getMessage()).isEqualTo("replay file " + f + ", " + where + ": " + e.reason());
                });
    }

    @Test
    void open_notUtf8_isRefused() {
        Path f = ReplayFixtures.write(dir, "latin1.csv", new byte[] {'#', ' ', (byte) 0xE9, '\n', 'v', '1'});
        assertThatThrownBy(() -> ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM))
                .isInstanceOf(ReplayFileException.class).hasMessageContaining(f.toString())
                .hasMessageContaining("not UTF-8");
    }

    @Test
    void open_meterWithTwoElements_refusesOneElementFile() {
        Path f = ReplayFixtures.write(dir, "one.csv", "# rate=8000\nv1,i1\n1,2\n");
        assertThatThrownBy(() -> ReplaySource.open(ReplaySettings.builder(f).elements(2).build(), MonotonicClock.SYSTEM))
                .isInstanceOf(ReplayFileException.class)
                .hasMessage("replay file " + f + ": wrong channel count: the file has 2 channels (1 element(s))"
                        + " but the meter has 2 element(s)");
    }

    @Test
    void rate_fromTColumn_isInferredFromUniformSteps() {
        // 4 kHz written with t printed to the microsecond: 0.00025 s steps.
        StringBuilder b = new StringBuilder("t,v1,i1\n");
        for (int k = 0; k < 100; k++) {
            b.append(String.format(java.util.Locale.ROOT, "%.6f,%d,%d%n", 10 + k / 4000.0, k, -k));
        }
        Path f = ReplayFixtures.write(dir, "t.csv", b.toString());
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM)) {
            assertThat(s.frontEnd().sampleRate()).isEqualTo(4000.0);
            assertThat(s.fileSamples()).isEqualTo(100);
        }
    }

    @Test
    void rate_tColumnWinsOverComment_andReplayRateOverridesBoth() {
        Path f = ReplayFixtures.write(dir, "both.csv", "# rate=8000\nt,v1,i1\n0,1,1\n0.0005,2,2\n0.001,3,3\n");
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM)) {
            assertThat(s.frontEnd().sampleRate()).isEqualTo(2000.0);
        }
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(f).rate(6400).build(), MonotonicClock.SYSTEM)) {
            assertThat(s.frontEnd().sampleRate()).isEqualTo(6400.0);
        }
    }

    @Test
    void delayComment_declaresTheChannelDelay_andReplayDelayOverridesIt() {
        Path f = ReplayFixtures.write(dir, "skew.csv", "# rate=8000\n# delay.i1=20\nv1,i1\n1,2\n");
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM)) {
            assertThat(s.frontEnd().calibration().get(0).current().delayMicros()).isEqualTo(20.0);
            assertThat(s.frontEnd().calibration().get(0).voltage().delayMicros()).isZero();
        }
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(f).delayMicros("i1", 5).build(),
                MonotonicClock.SYSTEM)) {
            assertThat(s.frontEnd().calibration().get(0).current().delayMicros()).isEqualTo(5.0);
        }
    }

    @Test
    void columns_inAnyOrder_areDeliveredAsV1I1V2I2_inPhysicalUnitsWithGainOne() {
        Path f = ReplayFixtures.write(dir, "order.csv",
                "\uFEFF# a comment\n#rate = 8000 Hz\n\ni2 , v2,I1,V1\n4,3,2,1\n-4.5,-3.5,-2.5,-1.5\n");
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM)) {
            assertThat(s.frontEnd().elements()).isEqualTo(2);
            assertThat(s.frontEnd().sampleRate()).isEqualTo(8000.0);
            var cal = s.frontEnd().calibration().get(1);
            assertThat(s.frontEnd().calibration().get(0).current().delayMicros()).isZero();
            assertThat(cal.voltage().gain()).isEqualTo(1.0);
            assertThat(cal.current().delayMicros()).isZero();
            assertThat(cal.current().clipLevel()).isEqualTo(Double.POSITIVE_INFINITY);
            SampleBlock b = new SampleBlock(2, s.blockSize());
            assertThat(s.fill(b)).isTrue();
            assertThat(b.length()).isEqualTo(2);
            assertThat(b.voltage(0)[0]).isEqualTo(1.0);
            assertThat(b.current(0)[0]).isEqualTo(2.0);
            assertThat(b.voltage(1)[0]).isEqualTo(3.0);
            assertThat(b.current(1)[1]).isEqualTo(-4.5);
        }
    }

    /**
     * The example file in src/test/resources/replay: 400 samples at {@code # rate=8000} of a
     * 120 V, 10 A, 60 Hz load at PF 0.866 lagging, printed to 0.01 V and 0.001 A as a logger
     * would. 400 samples are exactly 3 cycles, so looped it is a seamless steady load whose
     * energy is 120 x 10 x cos(30 deg) = 1039.2 W times the time.
     */
    @Test
    void exampleFile_replaysAsA1039WattLoad_seamlesslyLooped() throws Exception {
        Path f = Path.of(getClass().getResource("/replay/example-60hz-8khz.csv").toURI());
        try (ReplaySource s = ReplaySource.open(ReplaySettings.builder(f).loop(true).build(), MonotonicClock.SYSTEM)) {
            assertThat(s.frontEnd().sampleRate()).isEqualTo(8000.0);
            assertThat(s.fileSamples()).isEqualTo(400);
            var spec = org.minimeter.gateway.metering.MeterSpec.of(60, 100, 8000, s.frontEnd().calibration());
            var register = new org.minimeter.gateway.metering.EnergyRegister(1);
            var metrology = new org.minimeter.gateway.metering.Metrology(spec, register, ReplayFixtures.QUIET);
            SampleBlock b = new SampleBlock(1, s.blockSize());
            long samples = 0;
            while (samples < 4 * 8000) {
                assertThat(s.fill(b)).isTrue();
                assertThat(b.firstIndex()).isEqualTo(samples);
                metrology.process(b);
                samples += b.length();
            }
            metrology.flush();
            assertThat(metrology.stats().rejectedBlocks()).isZero();
            assertThat(metrology.stats().droppedSamples()).isZero();
            double wh = register.deliveredWh(0);
            double expected = 120 * 10 * Math.cos(Math.toRadians(30)) * register.committedSamples() / 8000.0 / 3600;
            assertThat(wh).isCloseTo(expected, within(expected * 1e-3));
        }
    }
}
