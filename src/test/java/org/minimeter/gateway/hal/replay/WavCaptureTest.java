package org.minimeter.gateway.hal.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.ChannelCalibration;
import org.minimeter.gateway.metering.SampleBlock;

/** A capture replays to the samples it recorded, without any replay.scale.* given. */
class WavCaptureTest {

    @TempDir
    Path dir;

    @Test
    void captureThenReplay_realistic12BitSource_givesTheSamePhysicalSamplesToFloat32Precision() throws Exception {
        var settings = SimulatorSettings.builder(60, 2, 200).current(150).phaseDeg(60).realisticFrontEnd().seed(7)
                .build();
        Path f = dir.resolve("cap.wav");
        WavCapture.Summary summary;
        try (var live = new SimulatedSource(settings, MonotonicClock.SYSTEM)) {
            summary = WavCapture.record(live, f, 0.5, false, MonotonicClock.SYSTEM);
        }
        assertThat(summary.samples()).isEqualTo(4000);
        assertThat(summary.channels()).isEqualTo(4);
        assertThat(summary.sourceEnded()).isFalse();

        var reference = new SimulatedSource(settings, MonotonicClock.SYSTEM);
        var cal = reference.frontEnd().calibration();
        try (ReplaySource replay = ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM)) {
            assertThat(replay.frontEnd().sampleRate()).isEqualTo(8000.0);
            for (int e = 0; e < 2; e++) {
                var rc = replay.frontEnd().calibration().get(e);
                // Same physical clip level and the 20 us skew the live front end declared.
                assertThat(rc.voltage().clipLevel()).isEqualTo(physicalClip(cal.get(e).voltage()));
                assertThat(rc.current().clipLevel()).isEqualTo(physicalClip(cal.get(e).current()));
                assertThat(rc.current().delayMicros()).isEqualTo(20.0);
                assertThat(rc.voltage().gain()).isEqualTo(1.0);
            }
            SampleBlock want = new SampleBlock(2, settings.blockSize());
            SampleBlock got = new SampleBlock(2, replay.blockSize());
            long n = 0;
            while (replay.fill(got)) {
                reference.fill(want, got.length());
                assertThat(got.firstIndex()).isEqualTo(want.firstIndex());
                for (int e = 0; e < 2; e++) {
                    for (int k = 0; k < got.length(); k++) {
                        double v = want.voltage(e)[k] * cal.get(e).voltage().gain();
                        double i = want.current(e)[k] * cal.get(e).current().gain();
                        assertThat(got.voltage(e)[k]).isCloseTo(v, org.assertj.core.data.Offset.offset(Math.abs(v) * 1.2e-7));
                        assertThat(got.current(e)[k]).isCloseTo(i, org.assertj.core.data.Offset.offset(Math.abs(i) * 1.2e-7));
                    }
                }
                n += got.length();
            }
            assertThat(n).isEqualTo(4000);
            assertThat(replay.ended()).isTrue();
        }
    }

    private static double physicalClip(ChannelCalibration c) {
        return c.clipLevel() * c.gain();
    }

    @Test
    void captureThenReplay_idealSource_storesPhysicalValuesWithoutClip() throws Exception {
        var settings = SimulatorSettings.builder(50, 1, 100).current(40).build();
        Path f = dir.resolve("ideal.wav");
        try (var live = new SimulatedSource(settings, MonotonicClock.SYSTEM)) {
            WavCapture.record(live, f, 0.1, false, MonotonicClock.SYSTEM);
        }
        try (ReplaySource replay = ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM)) {
            var c = replay.frontEnd().calibration().get(0);
            assertThat(c.voltage().clipLevel()).isEqualTo(Double.POSITIVE_INFINITY);
            SampleBlock b = new SampleBlock(1, replay.blockSize());
            double peak = 0;
            while (replay.fill(b)) {
                for (int k = 0; k < b.length(); k++) {
                    peak = Math.max(peak, Math.abs(b.voltage(0)[k]));
                }
            }
            // 240 V rms is 339.4 V peak: far past 1.0, kept because a float WAV can hold it.
            assertThat(peak).isCloseTo(240 * Math.sqrt(2), org.assertj.core.data.Offset.offset(0.1));
        }
    }

    @Test
    void captureCommand_simulatorForTwoSeconds_writesAReplayableFile() throws Exception {
        Path f = dir.resolve("cmd.wav");
        WavCapture.Summary s = CaptureCommand.run("--source", "simulator", "--seconds", "2", "--out", f.toString(),
                "--frequency", "50", "--voltage", "230", "--current", "20", "--phase-deg", "60", "--elements", "1");
        assertThat(s.samples()).isEqualTo(16000);
        assertThat(s.channels()).isEqualTo(2);
        try (ReplaySource replay = ReplaySource.open(ReplaySettings.builder(f).build(), MonotonicClock.SYSTEM)) {
            assertThat(replay.fileSamples()).isEqualTo(16000);
            // 230 V x 20 A x cos 60 = 2300 W: the mean of v*i over whole cycles.
            SampleBlock b = new SampleBlock(1, replay.blockSize());
            double sum = 0;
            long n = 0;
            while (replay.fill(b)) {
                for (int k = 0; k < b.length(); k++) {
                    sum += b.voltage(0)[k] * b.current(0)[k];
                }
                n += b.length();
            }
            assertThat(sum / n).isCloseTo(2300, org.assertj.core.data.Offset.offset(0.01));
        }
    }

    @Test
    void captureCommand_convertsACsvToWav() throws Exception {
        Path csv = Path.of(getClass().getResource("/replay/example-60hz-8khz.csv").toURI());
        Path f = dir.resolve("conv.wav");
        WavCapture.Summary s = CaptureCommand.run("--source", "replay", "--in", csv.toString(), "--seconds", "1",
                "--out", f.toString());
        assertThat(s.samples()).isEqualTo(400);
        assertThat(s.sourceEnded()).isTrue();
    }

    @Test
    void captureCommand_badArguments_areRefusedNamingTheOption() {
        assertThatThrownBy(() -> CaptureCommand.run("--source", "simulator"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--out is required");
        assertThatThrownBy(() -> CaptureCommand.run("--out", "x.wav", "--current", "ten"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--current must be a number, was 'ten'");
        assertThatThrownBy(() -> CaptureCommand.run("--out", "x.wav", "--source", "adc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--source must be simulator or replay, was 'adc'");
    }
}
