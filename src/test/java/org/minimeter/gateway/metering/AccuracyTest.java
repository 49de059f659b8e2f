package org.minimeter.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.minimeter.gateway.metering.SpecLoadPoints.LAG_05;
import static org.minimeter.gateway.metering.SpecLoadPoints.PF1;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minimeter.gateway.hal.simulator.Harmonic;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/**
 * The accuracy test points of SPEC.md section 2, one parameterised test per row, at 50 and
 * 60 Hz, on a 2-element meter. The energy register is compared with the analytic energy
 * sum over harmonics of V_h I_h cos(phi_h) t. Two bars: the ANSI C12.20 class 0.5 limit of
 * the row, and ours, ten times tighter (0.05 %) on ideal samples for rows 3-10.
 *
 * <p>Each point runs 10 simulated seconds (50 windows). The worst error per row is printed
 * as a table at the end and written to target/accuracy-table.md for the README.
 */
class AccuracyTest {

    /** Our bar on ideal samples: ten times tighter than class 0.5. */
    static final double OUR_BAR_PERCENT = 0.05;
    static final double SECONDS = 10;

    private static final Map<String, double[]> WORST = new TreeMap<>(
            java.util.Comparator.comparingInt((String row) -> Integer.parseInt(row.split(" ")[0]))
                    .thenComparing(row -> row));

    static SimulatorSettings.Builder point(int hz, double ctRating, double percentOfRating, double phaseDeg) {
        return SimulatorSettings.builder(hz, 2, ctRating)
                .current(ctRating * percentOfRating / 100)
                .phaseDeg(phaseDeg);
    }

    static double run(String row, SimulatorSettings s, double classLimit, boolean ideal) {
        MeterRun r = new MeterRun(s).runSeconds(SECONDS);
        double total = r.totalErrorPercent();
        double worst = Math.max(Math.abs(total),
                Math.max(Math.abs(r.elementErrorPercent(1)), Math.abs(r.elementErrorPercent(2))));
        // The reference counts the samples the register says it holds: make sure that is every
        // sample fed, so a window dropped together with its count cannot pass unseen.
        r.metrology.flush();
        assertThat(r.register.committedSamples()).as("every sample fed is in the register")
                .isEqualTo(Math.round(SECONDS * s.sampleRate()));
        record(row, worst, ideal, classLimit);
        assertThat(worst)
                .as("row %s, %s Hz, %s A, PF angle %s deg, %s", row, s.nominalFrequency(),
                        s.load().current(0, 1), s.phaseDeg(), ideal ? "ideal" : "realistic")
                .isLessThanOrEqualTo(ideal ? Math.min(OUR_BAR_PERCENT, classLimit) : classLimit);
        return total;
    }

    private static synchronized void record(String row, double worst, boolean ideal, double limit) {
        double[] w = WORST.computeIfAbsent(row, k -> new double[] {0, 0, limit, 0, 0});
        int slot = ideal ? 0 : 1;
        w[slot] = Math.max(w[slot], worst);
        w[ideal ? 3 : 4]++;
    }

    static Stream<Arguments> frequencies() {
        return Stream.of(Arguments.of(50), Arguments.of(60));
    }

    // ---- row 1: no load, 115 % V: nothing registers

    @ParameterizedTest(name = "{0} Hz, realistic={1}")
    @MethodSource("creepCases")
    void row1_noLoadAt115PercentVoltage_registersNothing(int hz, boolean realistic) {
        var b = SimulatorSettings.builder(hz, 2, 200).current(0).voltage(1.15 * MeterSpec.nominalVoltage(hz));
        if (realistic) {
            b.realisticFrontEnd().dcOffsetLsb(3);
        }
        MeterRun r = new MeterRun(b.build()).runSeconds(60);
        EnergySnapshot e = r.register.snapshot();
        for (int slot = 0; slot <= 2; slot++) {
            assertThat(e.deliveredMicroWh(slot)).as("delivered slot %d", slot).isZero();
            assertThat(e.receivedMicroWh(slot)).as("received slot %d", slot).isZero();
        }
        assertThat(r.register.deliveredWh(0)).isZero();
        record("1 no load, 115 % V", 0, !realistic, 0);
    }

    static Stream<Arguments> creepCases() {
        return Stream.of(Arguments.of(50, false), Arguments.of(60, false), Arguments.of(50, true), Arguments.of(60, true));
    }

    // ---- row 2: 0.1 % of rating registers continuously

    @ParameterizedTest(name = "{0} Hz, realistic={1}")
    @MethodSource("creepCases")
    void row2_startingCurrent_registersEverySecond(int hz, boolean realistic) {
        var b = point(hz, 200, 0.1, PF1);
        if (realistic) {
            b.realisticFrontEnd();
        }
        MeterRun r = new MeterRun(b.build());
        long before = 0;
        r.runSeconds(1);
        for (int second = 0; second < 10; second++) {
            r.runSeconds(1);
            long now = r.register.snapshot().deliveredMicroWh(0);
            assertThat(now).as("second %d", second).isGreaterThan(before);
            before = now;
        }
        // 0.1 % of rating has no class limit; it must still be near the truth.
        double err = Math.abs(r.totalErrorPercent());
        assertThat(err).isLessThan(realistic ? 5 : OUR_BAR_PERCENT);
        record("2 starting current 0.1 %", err, !realistic, Double.NaN);
    }

    // ---- rows 3-6 (and row 11: the same points on a realistic front end)

    @ParameterizedTest(name = "row {0}: {1} Hz, CT {2} A, {3} % of rating, current lag {4} deg")
    @MethodSource("org.minimeter.gateway.metering.SpecLoadPoints#loadPoints")
    void rows3to6_loadPoints_withinOurBarOnIdealSamples(String row, int hz, double ct, double pct, double angle,
            double classLimit) {
        run(row, point(hz, ct, pct, angle).build(), classLimit, true);
    }

    @ParameterizedTest(name = "row 11 on {0}: {1} Hz, CT {2} A, {3} % of rating, current lag {4} deg")
    @MethodSource("org.minimeter.gateway.metering.SpecLoadPoints#loadPoints")
    void row11_realisticFrontEnd_withinClassLimitOfTheRow(String row, int hz, double ct, double pct, double angle,
            double classLimit) {
        // 12-bit converter, 0.5 LSB rms noise, a 20 us V-to-I skew corrected by the
        // current channel's phase calibration, and a DC offset on every channel.
        var s = point(hz, ct, pct, angle).realisticFrontEnd().dcOffsetLsb(2).seed(hz * 1000L + (long) pct).build();
        run("11 front end: " + row, s, classLimit, false);
    }

    // ---- row 7: voltage +-10 %

    static Stream<Arguments> voltagePoints() {
        Stream.Builder<Arguments> s = Stream.builder();
        for (int hz : new int[] {50, 60}) {
            for (double scale : new double[] {0.9, 1.1}) {
                s.add(Arguments.of(hz, scale, PF1, 0.2));
                s.add(Arguments.of(hz, scale, LAG_05, 0.4));
            }
        }
        return s.build();
    }

    @ParameterizedTest(name = "{0} Hz, {1} x V, current lag {2} deg")
    @MethodSource("voltagePoints")
    void row7_voltageVariation_shiftsLessThanLimit(int hz, double scale, double angle, double shiftLimit) {
        double reference = run("7 voltage +-10 %", point(hz, 200, 100, angle).build(), shiftLimit, true);
        double shifted = run("7 voltage +-10 %",
                point(hz, 200, 100, angle).voltage(scale * MeterSpec.nominalVoltage(hz)).build(), shiftLimit, true);
        assertThat(Math.abs(shifted - reference)).isLessThanOrEqualTo(shiftLimit);
    }

    // ---- row 8: frequency +-2 %

    static Stream<Arguments> frequencyPoints() {
        Stream.Builder<Arguments> s = Stream.builder();
        for (int hz : new int[] {50, 60}) {
            for (double f : new double[] {hz * 0.98, hz * 1.02}) {
                s.add(Arguments.of(hz, f, PF1));
                s.add(Arguments.of(hz, f, LAG_05));
            }
        }
        return s.build();
    }

    @ParameterizedTest(name = "{0} Hz meter at {1} Hz, current lag {2} deg")
    @MethodSource("frequencyPoints")
    void row8_frequencyVariation_shiftsLessThanLimit(int hz, double f, double angle) {
        double reference = run("8 frequency +-2 %", point(hz, 200, 100, angle).build(), 0.2, true);
        double shifted = run("8 frequency +-2 %", point(hz, 200, 100, angle).lineFrequency(f).build(), 0.2, true);
        assertThat(Math.abs(shifted - reference)).isLessThanOrEqualTo(0.2);
    }

    // ---- row 9: harmonics

    @ParameterizedTest(name = "{0} Hz")
    @MethodSource("frequencies")
    void row9_fifthHarmonic_registersFundamentalPlusHarmonicPower(int hz) {
        var harmonics = List.of(new Harmonic(5, 0.10, 0.40, 0));
        double reference = run("9 harmonics", point(hz, 200, 50, PF1).build(), 0.5, true);
        double shifted = run("9 harmonics", point(hz, 200, 50, PF1).harmonics(harmonics).build(), 0.5, true);
        assertThat(Math.abs(shifted - reference)).isLessThanOrEqualTo(0.5);
    }

    // ---- row 10: off-nominal frequency, non-integer samples per cycle

    static Stream<Arguments> offNominalPoints() {
        Stream.Builder<Arguments> s = Stream.builder();
        for (int hz : new int[] {50, 60}) {
            for (double rate : new double[] {4000, 8000}) {
                for (double pct : new double[] {10, 100}) {
                    s.add(Arguments.of(hz, hz - 0.07, rate, pct));
                }
            }
        }
        return s.build();
    }

    @ParameterizedTest(name = "{0} Hz meter at {1} Hz, {2} samples/s, {3} % of rating, PF 0.5 lag")
    @MethodSource("offNominalPoints")
    void row10_offNominalFrequency_nonIntegerSamplesPerCycle(int hz, double f, double rate, double pct) {
        var s = point(hz, 200, pct, LAG_05).lineFrequency(f).sampleRate(rate).build();
        assertThat(rate / f % 1).as("samples per cycle must not be whole").isNotZero();
        run("10 off-nominal f", s, 0.6, true);
    }

    // ---- the phase calibration is what makes row 11 pass

    @ParameterizedTest(name = "{0} Hz")
    @MethodSource("frequencies")
    void row11_uncorrectedSkew_breaksClassAtLowPowerFactor(int hz) {
        // The current is converted 20 us late, so it looks 0.43 deg (60 Hz) less lagging than it
        // is: at PF 0.5 the error is +tan(60 deg) * 0.0075 rad = +1.3 %.
        double phaseError = 2 * Math.PI * hz * 20e-6;
        double expected = Math.tan(Math.toRadians(LAG_05)) * phaseError * 100;
        MeterRun r = new MeterRun(point(hz, 200, 100, LAG_05).skewMicros(20).correctSkew(false).build())
                .runSeconds(SECONDS);
        assertThat(r.totalErrorPercent()).isCloseTo(expected, org.assertj.core.data.Offset.offset(0.05));
        assertThat(Math.abs(r.totalErrorPercent())).isGreaterThan(0.6);
    }

    @AfterAll
    static void printTable() throws IOException {
        StringBuilder t = new StringBuilder();
        t.append("| SPEC row | points (ideal / realistic) | worst error, ideal samples | worst error, 12-bit + noise + skew | limit |\n");
        t.append("| --- | --- | --- | --- | --- |\n");
        for (var e : WORST.entrySet()) {
            double[] w = e.getValue();
            // Row 1 asserts an exact zero register, not an error.
            String unit = w[2] == 0 ? "0 µWh registered" : null;
            t.append(String.format("| %s | %d / %d | %s | %s | %s |%n", e.getKey(), (int) w[3], (int) w[4],
                    w[3] > 0 ? (unit != null ? unit : String.format("%.4f %%", w[0])) : "-",
                    w[4] > 0 ? (unit != null ? unit : String.format("%.4f %%", w[1])) : "-",
                    Double.isNaN(w[2]) ? "registers every second" : w[2] == 0 ? "nothing registers" : String.format("%.1f %%", w[2])));
        }
        System.out.println("\nAccuracy, worst |error| of total and per-element registers per SPEC row:\n" + t);
        Path out = Path.of("target", "accuracy-table.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, t.toString());
    }
}
