package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** {@code replay.*}: a recorded waveform as a meter's source (SPEC.md section 6). */
@ConfigMapping(prefix = "replay")
public interface ReplayConfig {

    /** The CSV or WAV file; required with {@code source=replay}. */
    Optional<String> file();

    /** Start again at the beginning at the end of the file (default: the source ends). */
    @WithDefault("false")
    boolean loop();

    /** Recorded seconds per wall-clock second: 1 = real time, larger is faster. */
    @WithDefault("1")
    double speed();

    /** Samples per second, overriding the file's header, {@code # rate=} or {@code t} column. */
    Optional<Double> rate();

    /** Full scale of each WAV channel in volts or amperes; overrides the capture's metadata. */
    ReplaySource.Channels scale();

    /** Delay of each channel in microseconds (front-end skew), for the phase calibration. */
    ReplaySource.Channels delay();

    /** The defaults, for callers that configure no replay (tests of other groups). */
    ReplayConfig DEFAULTS = new ReplayConfig() {
        private final ReplaySource.Channels none = new ReplaySource.Channels() {
            @Override
            public Optional<Double> v1() {
                return Optional.empty();
            }

            @Override
            public Optional<Double> i1() {
                return Optional.empty();
            }

            @Override
            public Optional<Double> v2() {
                return Optional.empty();
            }

            @Override
            public Optional<Double> i2() {
                return Optional.empty();
            }
        };

        @Override
        public Optional<String> file() {
            return Optional.empty();
        }

        @Override
        public boolean loop() {
            return false;
        }

        @Override
        public double speed() {
            return 1;
        }

        @Override
        public Optional<Double> rate() {
            return Optional.empty();
        }

        @Override
        public ReplaySource.Channels scale() {
            return none;
        }

        @Override
        public ReplaySource.Channels delay() {
            return none;
        }
    };
}
