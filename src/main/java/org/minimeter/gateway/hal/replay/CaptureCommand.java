package org.minimeter.gateway.hal.replay;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/**
 * Command line: records a source to a 32-bit float WAV with its scales in the file, e.g.
 *
 * <pre>
 * java -cp ... org.minimeter.gateway.hal.replay.CaptureCommand --source simulator --seconds 10 \
 *     --out capture.wav --frequency 60 --voltage 120 --current 50 --phase-deg 60 --elements 2
 * java -cp ... org.minimeter.gateway.hal.replay.CaptureCommand --source replay --in field.csv --out field.wav
 * </pre>
 *
 * <p>Simulator options: {@code --frequency} (nominal 50 or 60, default 60),
 * {@code --line-frequency}, {@code --voltage}, {@code --current}, {@code --phase-deg},
 * {@code --elements}, {@code --ct-rating} (default 200), {@code --sample-rate},
 * {@code --realistic} (12-bit, noise, 20 us skew), {@code --seed}. The simulator and a replayed
 * file are captured at full speed, not in real time. The summary goes to the log.
 */
public final class CaptureCommand {

    private static final Logger LOG = Logger.getLogger(CaptureCommand.class);

    static final String USAGE = "usage: --source simulator|replay --out FILE.wav [--seconds S]"
            + " [simulator: --frequency 50|60 --line-frequency HZ --voltage V --current A --phase-deg DEG"
            + " --elements 1|2 --ct-rating A --sample-rate HZ --realistic --seed N] [replay: --in FILE]";

    private CaptureCommand() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            LOG.errorf("capture refused: %s%n%s", e.getMessage(), USAGE);
            System.exit(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(130);
        } catch (RuntimeException e) {
            LOG.error("capture failed", e);
            System.exit(1);
        }
    }

    /** Parses the arguments, records, and returns what was written. */
    public static WavCapture.Summary run(String... args) throws InterruptedException {
        Map<String, String> o = parse(args);
        String kind = o.getOrDefault("source", "simulator");
        String out = o.get("out");
        if (out == null) {
            throw new IllegalArgumentException("--out is required");
        }
        double seconds = number(o, "seconds", 10);
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("--seconds must be positive, was " + seconds);
        }
        WaveformSource source = switch (kind) {
            case "simulator" -> new SimulatedSource(simulator(o), MonotonicClock.SYSTEM);
            case "replay" -> {
                String in = o.get("in");
                if (in == null) {
                    throw new IllegalArgumentException("--source replay needs --in FILE");
                }
                yield ReplaySource.open(ReplaySettings.builder(Path.of(in)).build(), MonotonicClock.SYSTEM);
            }
            default -> throw new IllegalArgumentException("--source must be simulator or replay, was '" + kind + "'");
        };
        try (source) {
            return WavCapture.record(source, Path.of(out), seconds, false, MonotonicClock.SYSTEM);
        }
    }

    static SimulatorSettings simulator(Map<String, String> o) {
        int hz = (int) number(o, "frequency", 60);
        if (hz != 50 && hz != 60) {
            throw new IllegalArgumentException("--frequency is the nominal 50 or 60, was " + hz
                    + " (use --line-frequency for an off-nominal line)");
        }
        int elements = (int) number(o, "elements", 2);
        double ct = number(o, "ct-rating", 200);
        var b = SimulatorSettings.builder(hz, elements, ct);
        if (o.containsKey("voltage")) {
            b.voltage(number(o, "voltage", 0));
        }
        b.current(number(o, "current", ct / 2));
        b.phaseDeg(number(o, "phase-deg", 0));
        if (o.containsKey("line-frequency")) {
            b.lineFrequency(number(o, "line-frequency", hz));
        }
        if (o.containsKey("sample-rate")) {
            b.sampleRate(number(o, "sample-rate", 8000));
        }
        if (o.containsKey("realistic")) {
            b.realisticFrontEnd();
        }
        b.seed((long) number(o, "seed", 1));
        return b.build();
    }

    private static Map<String, String> parse(String[] args) {
        return options(args, 0, Set.of("realistic"));
    }

    /**
     * {@code --name value} and {@code --name=value} pairs from {@code args[from..]}; the names
     * in {@code flags} take no value. Shared by the gateway's own commands.
     */
    public static Map<String, String> options(String[] args, int from, Set<String> flags) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int k = from; k < args.length; k++) {
            String a = args[k];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new IllegalArgumentException("unexpected argument '" + a + "': options are --name value");
            }
            String key = a.substring(2).toLowerCase(Locale.ROOT);
            int eq = key.indexOf('=');
            if (eq >= 0) {
                o.put(key.substring(0, eq), a.substring(2 + eq + 1));
            } else if (flags.contains(key)) {
                o.put(key, "true");
            } else if (k + 1 < args.length) {
                o.put(key, args[++k]);
            } else {
                throw new IllegalArgumentException("--" + key + " needs a value");
            }
        }
        return o;
    }

    private static double number(Map<String, String> o, String key, double dflt) {
        String v = o.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a number, was '" + v + "'");
        }
    }
}
