package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** {@code simulator.*}: the synthetic waveform source. */
@ConfigMapping(prefix = "simulator")
public interface SimulatorConfig {

    /** Volts rms per element; default the nominal voltage for the frequency. */
    OptionalDouble voltage();

    /** Amps rms per element; unset gives a varying household profile. */
    OptionalDouble current();

    /** Current lags voltage by this angle (negative = leading; 90..270 = export). */
    @WithDefault("0")
    double phaseDeg();

    /** Simulated seconds per wall-clock second. */
    @WithDefault("1")
    double speed();

    /** The simulated line frequency; default the meter's nominal frequency. */
    OptionalDouble lineFrequency();

    /** ADC resolution: 0 for ideal samples, else 8..24 bits. */
    @WithDefault("12")
    int adcBits();

    /** Gaussian noise rms in LSB, added before quantisation. */
    @WithDefault("0.5")
    double noiseLsb();

    /** Current converted this many microseconds after the voltage (corrected by calibration). */
    @WithDefault("20")
    double skewUs();

    /**
     * Harmonics as {@code order:voltage%:current%}, comma separated, e.g. {@code 5:10:40} for
     * 10 % 5th in the voltage and 40 % 5th in the current (SPEC row 9).
     */
    Optional<List<String>> harmonics();

    /** Noise seed; unset: a fixed seed, so runs are repeatable. */
    OptionalLong seed();

    /**
     * While this file exists the simulated source delivers no samples: an unplugged or stalled
     * ADC, so tests and demos can make one meter's source fail.
     */
    Optional<String> faultFile();
}
