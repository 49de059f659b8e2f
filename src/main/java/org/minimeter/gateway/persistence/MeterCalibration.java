package org.minimeter.gateway.persistence;

import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.minimeter.gateway.metering.CalibrationTrim;

/**
 * A meter's calibration as it is kept beside its register ({@code calibration.properties}):
 * the installer's trim per element and the channels wired backwards. Written whole and
 * atomically by {@link RegisterStore#saveCalibration}; every change also goes to
 * {@code audit.log} with the values before and after.
 *
 * @param trim per element gain factors and phase correction
 * @param inverted channels read with the opposite sign ({@code v1}, {@code i1}, {@code v2}, {@code i2})
 * @param updated when it was last changed
 */
public record MeterCalibration(CalibrationTrim trim, Set<String> inverted, Instant updated) {

    /** The channels that can be inverted. */
    public static final List<String> CHANNELS = List.of("v1", "i1", "v2", "i2");
    static final String FILE = "calibration.properties";

    public MeterCalibration {
        inverted = Set.copyOf(new TreeSet<>(inverted));
        for (String c : inverted) {
            if (CHANNELS.indexOf(c) >= 2 * trim.size() || !CHANNELS.contains(c)) {
                throw new IllegalArgumentException("channel '" + c + "' cannot be inverted on a "
                        + trim.size() + "-element meter: allowed " + CHANNELS.subList(0, 2 * trim.size()));
            }
        }
    }

    /** No trim, nothing inverted. */
    public static MeterCalibration none(int elements) {
        return new MeterCalibration(CalibrationTrim.none(elements), Set.of(), Instant.EPOCH);
    }

    public MeterCalibration withTrim(CalibrationTrim t, Instant at) {
        return new MeterCalibration(t, inverted, at);
    }

    public MeterCalibration withInverted(Set<String> channels, Instant at) {
        return new MeterCalibration(trim, channels, at);
    }

    /** The front end's calibration with the trim applied and the inverted channels marked. */
    public List<org.minimeter.gateway.metering.ElementCalibration> applyTo(
            List<org.minimeter.gateway.metering.ElementCalibration> frontEnd) {
        List<org.minimeter.gateway.metering.ElementCalibration> trimmed = trim.applyTo(frontEnd);
        List<org.minimeter.gateway.metering.ElementCalibration> out = new ArrayList<>();
        for (int e = 0; e < trimmed.size(); e++) {
            var c = trimmed.get(e);
            out.add(new org.minimeter.gateway.metering.ElementCalibration(
                    c.voltage().withInverted(inverted.contains("v" + (e + 1))),
                    c.current().withInverted(inverted.contains("i" + (e + 1)))));
        }
        return out;
    }

    /** One line for logs and the audit: every value, so an audit line restores a calibration. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (int e = 1; e <= trim.size(); e++) {
            CalibrationTrim.ElementTrim t = trim.element(e);
            b.append(String.format(Locale.ROOT, "e%d V x%.6f I x%.6f phase %+.2f us; ", e, t.voltageFactor(),
                    t.currentFactor(), t.phaseMicros()));
        }
        b.append("inverted ").append(inverted.isEmpty() ? "none" : String.join(",", new TreeSet<>(inverted)));
        return b.toString();
    }

    String encode(String meterId) {
        StringBuilder b = new StringBuilder();
        b.append("# Calibration of meter ").append(meterId).append(". Written by the gateway's calibrate command;")
                .append(" audit.log keeps every change.\n");
        b.append("format=1\nmeter=").append(meterId).append("\nelements=").append(trim.size()).append('\n');
        for (int e = 1; e <= trim.size(); e++) {
            CalibrationTrim.ElementTrim t = trim.element(e);
            b.append(String.format(Locale.ROOT, "e%d.voltage-factor=%s%ne%d.current-factor=%s%ne%d.phase-us=%s%n", e,
                    Double.toString(t.voltageFactor()), e, Double.toString(t.currentFactor()), e,
                    Double.toString(t.phaseMicros())));
        }
        b.append("inverted=").append(String.join(",", new TreeSet<>(inverted))).append('\n');
        b.append("updated=").append(updated).append('\n');
        return b.toString();
    }

    /** Parses a file written by {@link #encode}; throws naming the key that is wrong. */
    static MeterCalibration decode(String text, String meterId) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a properties file: " + e.getMessage(), e);
        }
        if (!"1".equals(p.getProperty("format"))) {
            throw new IllegalArgumentException("format=" + p.getProperty("format") + ", expected 1");
        }
        if (!meterId.equals(p.getProperty("meter"))) {
            throw new IllegalArgumentException("meter=" + p.getProperty("meter") + " but this is meter " + meterId);
        }
        int elements = (int) number(p, "elements");
        if (elements < 1 || elements > 2) {
            throw new IllegalArgumentException("elements=" + elements + ", expected 1 or 2");
        }
        List<CalibrationTrim.ElementTrim> list = new ArrayList<>();
        for (int e = 1; e <= elements; e++) {
            list.add(new CalibrationTrim.ElementTrim(number(p, "e" + e + ".voltage-factor"),
                    number(p, "e" + e + ".current-factor"), number(p, "e" + e + ".phase-us")));
        }
        String inv = p.getProperty("inverted", "").trim();
        Set<String> inverted = inv.isEmpty() ? Set.of()
                : new TreeSet<>(Arrays.stream(inv.split(",")).map(String::trim).toList());
        Instant updated;
        try {
            updated = Instant.parse(p.getProperty("updated", ""));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("updated=" + p.getProperty("updated") + " is not an instant");
        }
        return new MeterCalibration(new CalibrationTrim(list), inverted, updated);
    }

    private static double number(Properties p, String key) {
        String v = p.getProperty(key);
        try {
            double d = Double.parseDouble(v);
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + " is not a number");
        }
    }
}
