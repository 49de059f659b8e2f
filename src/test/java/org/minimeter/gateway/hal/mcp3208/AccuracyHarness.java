package org.minimeter.gateway.hal.mcp3208;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.Metrology;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * Meters a chip-driven source with the production metering and compares the register with
 * the analytic energy V I cos(phi) t, as metering.AccuracyTest does for the simulator. Keeps
 * the worst error per SPEC row for the table.
 */
public final class AccuracyHarness {

    /** Runs {@code n} sample periods of the driver (its acquisition loop body). */
    @FunctionalInterface
    public interface Acquisition {
        void acquire(long n) throws InterruptedException;
    }

    private final String chip;
    private final Map<String, double[]> worst = new TreeMap<>();

    public AccuracyHarness(String chip) {
        this.chip = chip;
    }

    /**
     * Meters {@code seconds} of the source and returns the worst |error| in percent of the
     * total and per-element registers.
     */
    public double run(String row, WaveformSource source, Acquisition acquisition, LineSignal signal,
            int nominalFrequency, double ctRating, double seconds, double classLimit) throws InterruptedException {
        int elements = source.frontEnd().elements();
        double rate = source.frontEnd().sampleRate();
        MeterSpec spec = MeterSpec.of(nominalFrequency, ctRating, rate, source.frontEnd().calibration());
        EnergyRegister register = new EnergyRegister(elements);
        Metrology metrology = new Metrology(spec, register, new Metrology.Listener() {
            @Override
            public void onMeasurement(Measurement measurement) {
            }

            @Override
            public void onAlarm(AlarmEvent event) {
            }
        });
        SampleBlock block = new SampleBlock(elements, source.blockSize());
        long periods = Math.round(seconds * rate);
        for (long done = 0; done < periods; done += source.blockSize()) {
            acquisition.acquire(Math.min(source.blockSize(), periods - done));
            while (source.poll(block, Long.MAX_VALUE)) {
                metrology.process(block);
            }
        }
        metrology.flush();
        double hours = register.committedSamples() / rate / 3600.0;
        double refElement = signal.powerPerElement() * hours;
        double worstError = Math.abs((register.deliveredWh(0) - register.receivedWh(0) - elements * refElement)
                / (elements * refElement) * 100);
        for (int e = 1; e <= elements; e++) {
            double reg = register.deliveredWh(e) - register.receivedWh(e);
            worstError = Math.max(worstError, Math.abs((reg - refElement) / refElement * 100));
        }
        synchronized (worst) {
            double[] w = worst.computeIfAbsent(row, k -> new double[] {0, 0, classLimit});
            w[0] = Math.max(w[0], worstError);
            w[1]++;
        }
        return worstError;
    }

    /** The table of worst errors per row, printed to the test log and written to target/. */
    public String writeTable(String fileName, String frontEndDescription) throws IOException {
        StringBuilder t = new StringBuilder();
        t.append("Chip: ").append(chip).append(" (").append(frontEndDescription).append(")\n\n");
        t.append("| SPEC row (11: through the chip model) | points | worst error | limit |\n");
        t.append("| --- | --- | --- | --- |\n");
        synchronized (worst) {
            for (var e : worst.entrySet()) {
                t.append(String.format(Locale.ROOT, "| %s | %d | %.4f %% | %.1f %% |%n", e.getKey(),
                        (int) e.getValue()[1], e.getValue()[0], e.getValue()[2]));
            }
        }
        Path out = Path.of("target", fileName);
        Files.createDirectories(out.getParent());
        Files.writeString(out, t.toString());
        System.out.println("\n" + t);
        return t.toString();
    }
}
