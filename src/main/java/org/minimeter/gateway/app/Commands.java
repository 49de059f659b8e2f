package org.minimeter.gateway.app;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.minimeter.gateway.app.config.GatewaySetup;
import org.minimeter.gateway.app.config.InvalidConfigException;
import org.minimeter.gateway.app.config.MeterSetup;
import org.minimeter.gateway.app.config.SourceKind;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.replay.CaptureCommand;
import org.minimeter.gateway.hal.replay.WavCapture;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.CalibrationRun;
import org.minimeter.gateway.metering.CalibrationTrim;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.Metrology;
import org.minimeter.gateway.persistence.MeterCalibration;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.StorageException;

/**
 * The gateway's command-line modes, run against a meter of the configuration while the
 * gateway itself is stopped (the meter's register directory is locked by whichever runs):
 *
 * <pre>
 * java -jar quarkus-run.jar calibrate --meter panel --element 1 --seconds 30 \
 *     --voltage 230.1 --current 4.98 --power 573.2 [--reactive 993.0] [--dry-run]
 * java -jar quarkus-run.jar capture --meter panel --seconds 10 --out panel.wav
 * </pre>
 *
 * Reports go to standard output; exit status 0 on success, 2 for a refused request (the
 * reason is printed), 1 when the meter failed.
 */
@ApplicationScoped
public class Commands {

    static final String USAGE = String.join("\n",
            "commands:",
            "  calibrate --meter ID [--element 1|2] [--seconds S (default 30)] --voltage V --current A",
            "            [--power W [--reactive VAR]] [--dry-run]",
            "      measures the element for S seconds, compares with the reference values (a reference",
            "      meter read over the same time, or a known load), corrects the voltage and current gains",
            "      and, with a reference power at PF 0.9 or lower (a PF 0.5 load) or a reference reactive",
            "      power, the V/I phase; measures again with the correction and shows both errors; stores",
            "      the calibration beside the register (audited) unless --dry-run",
            "  capture --meter ID --out FILE.wav [--seconds S (default 10)]",
            "      records the meter's front end (as its components declare it, before calibration) to a",
            "      WAV file that source=replay plays back exactly",
            "  (no command) runs the gateway");

    private final Gateway gateway;
    private final PrintStream out;

    @jakarta.inject.Inject
    Commands(Gateway gateway) {
        this(gateway, System.out);
    }

    Commands(Gateway gateway, PrintStream out) {
        this.gateway = gateway;
        this.out = out;
    }

    /** Runs one command; returns the process exit status. */
    public int run(String... args) {
        try {
            String command = args[0];
            Map<String, String> o = CaptureCommand.options(args, 1, Set.of("dry-run"));
            return switch (command) {
                case "calibrate" -> calibrate(o);
                case "capture" -> capture(o);
                case "help", "--help", "-h" -> {
                    out.println(USAGE);
                    yield 0;
                }
                default -> throw new IllegalArgumentException("unknown command '" + command + "'");
            };
        } catch (IllegalArgumentException | InvalidConfigException e) {
            out.println("refused: " + e.getMessage());
            out.println(USAGE);
            return 2;
        } catch (StorageException | IllegalStateException e) {
            out.println("failed: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.println("interrupted");
            return 130;
        }
    }

    private int calibrate(Map<String, String> o) throws InterruptedException {
        allow(o, "meter", "element", "seconds", "voltage", "current", "power", "reactive", "dry-run");
        MeterSetup m = meter(o);
        int element = (int) number(o, "element", 1);
        if (element < 1 || element > m.elements()) {
            throw new IllegalArgumentException("--element must be 1" + (m.elements() == 2 ? " or 2" : "")
                    + " for meter " + m.id() + ", was " + o.get("element"));
        }
        double seconds = seconds(o, 30);
        CalibrationRun.Reference ref = new CalibrationRun.Reference(required(o, "voltage"), required(o, "current"),
                optional(o, "power"), optional(o, "reactive"));
        boolean dryRun = o.containsKey("dry-run");
        try (RegisterStore store = lock(m); MeterSources sources = new MeterSources(MonotonicClock.SYSTEM)) {
            MeterCalibration stored = store.loadCalibration().orElse(MeterCalibration.none(m.elements()));
            MeterCalibration current = Gateway.withConfiguredSigns(m, stored, Clock.systemUTC());
            CalibrationTrim.ElementTrim old = current.trim().element(element);
            out.printf(Locale.ROOT, "Calibrating meter %s element %d (%s source): measuring %s s...%n", m.id(), element,
                    m.source(), MeterSetup.fmt(seconds));
            CalibrationRun before = measure(sources, m, current, element, seconds);
            CalibrationRun.Result result = before.solve(ref, old);
            MeterCalibration calibrated = current.withTrim(current.trim().with(element, result.trim()),
                    Clock.systemUTC().instant());
            out.printf(Locale.ROOT, "Measuring again with the correction, %s s...%n", MeterSetup.fmt(seconds));
            CalibrationRun after = measure(sources, m, calibrated, element, seconds);
            CalibrationRun.Errors afterErrors = CalibrationRun.Errors.of(after.averages(), ref);
            report(ref, before.averages(), result.before(), after.averages(), afterErrors);
            out.println(result.phaseNote());
            out.println("calibration: " + calibrated.describe());
            if (dryRun) {
                out.println("--dry-run: nothing stored");
                return 0;
            }
            Gateway.recordCalibration(m, store, stored, current);
            String line = String.format(Locale.ROOT, "%s calibration of element %d against V %s A %s W %s var %s"
                    + " over %s s: errors before V %s I %s P %s, after V %s I %s P %s; was: %s; now: %s",
                    calibrated.updated(), element, MeterSetup.fmt(ref.voltage()), MeterSetup.fmt(ref.current()),
                    given(ref.power()), given(ref.reactive()), MeterSetup.fmt(seconds), pct(result.before().voltage()),
                    pct(result.before().current()), pct(result.before().power()), pct(afterErrors.voltage()),
                    pct(afterErrors.current()), pct(afterErrors.power()), current.describe(), calibrated.describe());
            store.saveCalibration(calibrated, line);
            out.printf("stored in %s (and audit.log); the gateway applies it at its next start%n",
                    store.directory().resolve("calibration.properties").toAbsolutePath().normalize());
            return 0;
        }
    }

    private void report(CalibrationRun.Reference ref, CalibrationRun.Averages b, CalibrationRun.Errors eb,
            CalibrationRun.Averages a, CalibrationRun.Errors ea) {
        out.printf(Locale.ROOT, "%-12s %12s %12s %10s %12s %10s%n", "", "reference", "before", "error", "after",
                "error");
        row("voltage V", ref.voltage(), b.voltage(), eb.voltage(), a.voltage(), ea.voltage());
        row("current A", ref.current(), b.current(), eb.current(), a.current(), ea.current());
        row("power W", ref.power().orElse(Double.NaN), b.power(), eb.power(), a.power(), ea.power());
        row("reactive var", ref.reactive().orElse(Double.NaN), b.reactive(), eb.reactive(), a.reactive(),
                ea.reactive());
        out.printf(Locale.ROOT, "windows used %d before (%d skipped), %d after (%d skipped); %.3f Hz%n", b.windows(),
                b.skipped(), a.windows(), a.skipped(), a.frequency());
    }

    private void row(String name, double ref, double before, double eBefore, double after, double eAfter) {
        out.printf(Locale.ROOT, "%-12s %12s %12.4f %10s %12.4f %10s%n", name,
                Double.isNaN(ref) ? "-" : String.format(Locale.ROOT, "%.4f", ref), before, pct(eBefore), after,
                pct(eAfter));
    }

    private static String pct(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%+.3f%%", fraction * 100);
    }

    private static String given(OptionalDouble v) {
        return v.isPresent() ? MeterSetup.fmt(v.getAsDouble()) : "-";
    }

    /**
     * Meters {@code seconds} of line time (whole measurement windows) through the meter's own
     * front end and engine, into a scratch register: the meter's register is not touched.
     */
    private CalibrationRun measure(MeterSources sources, MeterSetup m, MeterCalibration cal, int element,
            double seconds) throws InterruptedException {
        MeterSources.Opened opened = sources.open(m, cal);
        CalibrationRun run = new CalibrationRun(element);
        double[] measured = {0};
        int[] alarms = {0};
        MeterInput input = opened.input().open(new EnergyRegister(m.elements()), new Metrology.Listener() {
            @Override
            public void onMeasurement(Measurement x) {
                run.add(x);
                measured[0] += x.seconds();
            }

            @Override
            public void onAlarm(AlarmEvent event) {
                if (event.raised()) {
                    alarms[0]++;
                    out.printf("  alarm during the run: %s%n", event.condition().name().toLowerCase(Locale.ROOT));
                }
            }
        });
        MonotonicClock clock = MonotonicClock.SYSTEM;
        try (input) {
            long progress = clock.nanoTime();
            String lastFailure = "";
            while (measured[0] < seconds) {
                long now = clock.nanoTime();
                int done;
                try {
                    done = input.step(now, 64);
                } catch (RuntimeException e) {
                    done = 0;
                    lastFailure = e.getMessage();
                }
                if (done > 0) {
                    progress = now;
                } else if (input.ended()) {
                    throw new IllegalStateException("meter " + m.id() + ": the source ended after "
                            + MeterSetup.fmt(measured[0]) + " s of the " + MeterSetup.fmt(seconds) + " s asked for");
                } else if (now - progress > 10_000_000_000L) {
                    throw new IllegalStateException("meter " + m.id() + ": no samples for 10 s"
                            + (lastFailure.isEmpty() ? input.lastFault().isEmpty() ? "" : ": " + input.lastFault()
                                    : ": " + lastFailure));
                } else {
                    clock.sleepUntil(Math.max(input.nextDueNanos(), now + 1_000_000));
                }
            }
        }
        return run;
    }

    private int capture(Map<String, String> o) throws InterruptedException {
        allow(o, "meter", "seconds", "out");
        MeterSetup m = meter(o);
        double seconds = seconds(o, 10);
        String file = o.get("out");
        if (file == null || file.isBlank()) {
            throw new IllegalArgumentException("--out FILE.wav is required");
        }
        try (RegisterStore store = lock(m); MeterSources sources = new MeterSources(MonotonicClock.SYSTEM)) {
            MeterSources.Opened opened = sources.open(m, MeterCalibration.none(m.elements()));
            if (opened.waveform().isEmpty()) {
                closeQuietly(opened.resource());
                throw new IllegalArgumentException("meter " + m.id() + " (source=" + m.source()
                        + ") computes energy in its chip and delivers no waveform samples to capture");
            }
            // a live front end delivers in real time; a simulator or a recording as fast as it can
            boolean paced = !(m.source().equals(SourceKind.SIMULATOR.id()) || m.source().equals(SourceKind.REPLAY.id()));
            try (var source = opened.waveform().get()) {
                WavCapture.Summary s = WavCapture.record(source, Path.of(file), seconds, paced, MonotonicClock.SYSTEM);
                out.println("captured " + s);
            }
            return 0;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // nothing was read from it
        }
    }

    /** The meter's register directory, locked: the gateway must not run this meter meanwhile. */
    private static RegisterStore lock(MeterSetup m) {
        try {
            return new RegisterStore(m.storageDir(), m.id(), m.keep());
        } catch (StorageException e) {
            throw new StorageException(e.getMessage() + " (stop the gateway to run a command on meter " + m.id() + ")",
                    e);
        }
    }

    private MeterSetup meter(Map<String, String> o) {
        GatewaySetup setup = gateway.setup();
        List<MeterSetup> meters = setup.meters();
        String id = o.get("meter");
        if (id == null) {
            if (meters.size() == 1) {
                return meters.get(0);
            }
            throw new IllegalArgumentException("--meter is required: one of " + ids(meters));
        }
        return meters.stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("--meter " + id + " is not configured: one of " + ids(meters)));
    }

    private static String ids(List<MeterSetup> meters) {
        return String.join(", ", meters.stream().map(MeterSetup::id).toList());
    }

    private static void allow(Map<String, String> o, String... names) {
        Set<String> allowed = Set.of(names);
        for (String k : o.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException("--" + k + " is not an option here: allowed --"
                        + String.join(", --", names));
            }
        }
    }

    private static double seconds(Map<String, String> o, double dflt) {
        double s = number(o, "seconds", dflt);
        if (!(s >= 1 && s <= 3600)) {
            throw new IllegalArgumentException("--seconds must be 1 to 3600, was " + o.get("seconds"));
        }
        return s;
    }

    private static double required(Map<String, String> o, String name) {
        if (!o.containsKey(name)) {
            throw new IllegalArgumentException("--" + name + " is required (the reference's value)");
        }
        return number(o, name, Double.NaN);
    }

    private static OptionalDouble optional(Map<String, String> o, String name) {
        return o.containsKey(name) ? OptionalDouble.of(number(o, name, Double.NaN)) : OptionalDouble.empty();
    }

    private static double number(Map<String, String> o, String name, double dflt) {
        String v = o.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, was '" + v + "'");
        }
    }

}
