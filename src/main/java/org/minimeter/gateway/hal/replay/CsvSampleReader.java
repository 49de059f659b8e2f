package org.minimeter.gateway.hal.replay;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * A CSV recording (SPEC.md section 6): UTF-8, an optional block of {@code #} comment lines
 * ({@code # rate=<Hz>} gives the rate), a header naming the columns from {@code t},
 * {@code v1}, {@code i1}, {@code v2}, {@code i2}, then one row per sample in line volts and
 * CT primary amps.
 *
 * <p>Beyond the SPEC, a comment {@code # delay.i1=20} (microseconds, any channel) declares a
 * channel delay as {@code ChannelCalibration#delayMicros} does: a CSV exported from a capture
 * of a multiplexed ADC keeps its V-to-I skew for the replay to correct (20 us is 1.3 % of
 * energy at PF 0.5). {@code replay.delay.*} overrides it.
 *
 * <p>Opening reads the whole file once, streaming, so that a short row or a bad value a
 * million lines down is refused before the meter starts rather than when it gets there; the
 * rows are then read again block by block.
 */
final class CsvSampleReader implements SampleReader {

    /**
     * A {@code t} column must step by its mean interval within this fraction of it (plus the
     * resolution t is printed with): a lost or doubled sample is a whole interval off, a
     * printed time rounded to a microsecond is a fraction of one.
     */
    static final double T_TOLERANCE = 0.1;

    private static final String[] NAMES = {"v1", "i1", "v2", "i2"};

    private final Path file;
    private final double rate;
    private final int channels;
    /** Column index in the file for each canonical channel. */
    private final int[] columnOf;
    private final int columns;
    private final long frames;
    private final double[] delay;
    /** Lines before the first data row (comments and header): skipped on every pass. */
    private final int headerLines;
    private BufferedReader in;
    private long line;
    private final String[] fields;

    private CsvSampleReader(Path file, double rate, int channels, int[] columnOf, int columns, long frames,
            int headerLines, double[] delay) {
        this.delay = delay;
        this.file = file;
        this.rate = rate;
        this.channels = channels;
        this.columnOf = columnOf;
        this.columns = columns;
        this.frames = frames;
        this.headerLines = headerLines;
        this.fields = new String[columns];
        rewind();
    }

    /**
     * Validates the whole file.
     *
     * @param rateOverride {@code replay.rate}; 0 takes the rate from the file
     * @param delays {@code replay.delay.*}, overriding {@code # delay.<channel>=} comments
     */
    static CsvSampleReader open(Path file, double rateOverride, java.util.Map<String, Double> delays) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            double commentRate = Double.NaN;
            double[] delay = new double[4];
            String line;
            String header = null;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                String s = line.strip();
                if (s.isEmpty()) {
                    continue;
                }
                if (s.startsWith("#")) {
                    String c = s.substring(1).strip().toLowerCase(Locale.ROOT);
                    if (c.startsWith("rate")) {
                        String v = c.substring(4).strip();
                        if (!v.startsWith("=")) {
                            throw refuse(file, lineNo, "comment '" + s + "' must read '# rate=<Hz>'");
                        }
                        v = v.substring(1).strip();
                        if (v.endsWith("hz")) {
                            v = v.substring(0, v.length() - 2).strip();
                        }
                        commentRate = parse(v);
                        if (!(commentRate > 0)) {
                            throw refuse(file, lineNo, "rate '" + v + "' is not a positive number of Hz");
                        }
                    } else if (c.startsWith("delay.") && c.indexOf('=') > 0) {
                        String ch = c.substring(6, c.indexOf('=')).strip();
                        int k = Arrays.asList(NAMES).indexOf(ch);
                        String v = c.substring(c.indexOf('=') + 1).strip();
                        if (k < 0) {
                            throw refuse(file, lineNo, "delay of unknown channel '" + ch + "'; allowed: v1, i1, v2, i2");
                        }
                        delay[k] = parse(v);
                        if (Double.isNaN(delay[k])) {
                            throw refuse(file, lineNo, "delay '" + v + "' is not a number of microseconds");
                        }
                    }
                    continue;
                }
                header = s;
                break;
            }
            if (header == null) {
                throw refuse(file, lineNo, "no header row (expected e.g. 't,v1,i1' or 'v1,i1,v2,i2')");
            }
            long headerLine = lineNo;
            String[] names = header.split(",", -1);
            int columns = names.length;
            int[] columnOf = new int[4];
            Arrays.fill(columnOf, -1);
            int tColumn = -1;
            for (int k = 0; k < columns; k++) {
                String n = names[k].strip().toLowerCase(Locale.ROOT);
                int c = Arrays.asList(NAMES).indexOf(n);
                if (n.equals("t")) {
                    if (tColumn >= 0) {
                        throw refuse(file, lineNo, "column 't' appears twice in header '" + header + "'");
                    }
                    tColumn = k;
                } else if (c < 0) {
                    throw refuse(file, lineNo, "unknown column '" + names[k].strip() + "' in header '" + header
                            + "'; allowed: t, v1, i1, v2, i2");
                } else if (columnOf[c] >= 0) {
                    throw refuse(file, lineNo, "column '" + n + "' appears twice in header '" + header + "'");
                } else {
                    columnOf[c] = k;
                }
            }
            int channels;
            if (columnOf[0] >= 0 && columnOf[1] >= 0 && columnOf[2] < 0 && columnOf[3] < 0) {
                channels = 2;
            } else if (columnOf[0] >= 0 && columnOf[1] >= 0 && columnOf[2] >= 0 && columnOf[3] >= 0) {
                channels = 4;
            } else {
                throw refuse(file, lineNo, "wrong channel set in header '" + header
                        + "': need v1,i1 (1 element) or v1,i1,v2,i2 (2 elements)");
            }

            // Data rows: count, check every value, and follow the t column.
            long frames = 0;
            double t0 = 0;
            double tPrev = 0;
            double minStep = Double.POSITIVE_INFINITY;
            double maxStep = Double.NEGATIVE_INFINITY;
            double resolution = 0;
            String[] f = new String[columns];
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                int got = split(line, f);
                if (got != columns) {
                    throw refuse(file, lineNo, (got < columns ? "short row: " : "long row: ") + got
                            + " values for the " + columns + " columns of header '" + header + "'");
                }
                for (int k = 0; k < columns; k++) {
                    double v = parse(f[k]);
                    if (Double.isNaN(v)) {
                        throw refuse(file, lineNo, "non-numeric value '" + f[k].strip() + "' in column '"
                                + names[k].strip() + "'");
                    }
                    if (k == tColumn) {
                        if (frames == 0) {
                            t0 = v;
                        } else {
                            double step = v - tPrev;
                            if (!(step > 0)) {
                                throw refuse(file, lineNo, "t " + f[k].strip() + " does not increase (previous "
                                        + tPrev + ")");
                            }
                            minStep = Math.min(minStep, step);
                            maxStep = Math.max(maxStep, step);
                        }
                        tPrev = v;
                        resolution = Math.max(resolution, printedResolution(f[k].strip()));
                    }
                }
                frames++;
            }
            if (frames == 0) {
                throw refuse(file, headerLine, "empty data: no sample rows after the header");
            }
            double rate;
            if (rateOverride > 0) {
                rate = rateOverride;
            } else if (tColumn >= 0) {
                if (frames < 2) {
                    throw refuse(file, headerLine, "missing rate: one row cannot give a rate from t; set '# rate=<Hz>'"
                            + " or replay.rate");
                }
                double mean = (tPrev - t0) / (frames - 1);
                double tol = T_TOLERANCE * mean + resolution;
                if (maxStep - mean > tol || mean - minStep > tol) {
                    throw refuse(file, headerLine, String.format(Locale.ROOT,
                            "t is not uniform: steps from %.9g to %.9g s around a mean of %.9g s"
                                    + " (tolerance %.3g s); samples lost or rate changed", minStep, maxStep, mean, tol));
                }
                rate = 1 / mean;
                // t printed in decimal and differenced in binary lands a few ulps off the
                // rate it was written from (1/0.000125 is 7999.999999999...); a real rate so
                // close to a whole number is that number within any crystal's tolerance.
                if (Math.abs(rate - Math.rint(rate)) < 1e-7 * rate) {
                    rate = Math.rint(rate);
                }
            } else if (commentRate > 0) {
                rate = commentRate;
            } else {
                throw refuse(file, headerLine, "missing rate: no t column, no '# rate=<Hz>' comment and no replay.rate");
            }
            for (int k = 0; k < 4; k++) {
                delay[k] = delays.getOrDefault(NAMES[k], delay[k]);
            }
            return new CsvSampleReader(file, rate, channels, columnOf, columns, frames, (int) headerLine, delay);
        } catch (CharacterCodingException e) {
            throw new ReplayFileException(file, "", "not UTF-8 text: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read replay file " + file + ": " + e.getMessage(), e);
        }
    }

    private static ReplayFileException refuse(Path file, long line, String reason) {
        return new ReplayFileException(file, "line " + line, reason);
    }

    /** Splits on commas into {@code out}; returns the number of fields (may exceed out's length). */
    private static int split(String line, String[] out) {
        int n = 0;
        int from = 0;
        while (true) {
            int comma = line.indexOf(',', from);
            String s = comma < 0 ? line.substring(from) : line.substring(from, comma);
            if (n < out.length) {
                out[n] = s;
            }
            n++;
            if (comma < 0) {
                return n;
            }
            from = comma + 1;
        }
    }

    /** A finite decimal number, or NaN for anything else (words, NaN, Infinity, hex). */
    private static double parse(String s) {
        String v = s.strip();
        if (v.isEmpty()) {
            return Double.NaN;
        }
        for (int k = 0; k < v.length(); k++) {
            char ch = v.charAt(k);
            if (!(ch >= '0' && ch <= '9' || ch == '.' || ch == '-' || ch == '+' || ch == 'e' || ch == 'E')) {
                return Double.NaN;
            }
        }
        try {
            double d = Double.parseDouble(v);
            return Double.isFinite(d) ? d : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** The smallest step a printed decimal can show: 1e-6 for "0.000125". */
    private static double printedResolution(String s) {
        if (s.indexOf('e') >= 0 || s.indexOf('E') >= 0) {
            return 0;
        }
        int dot = s.indexOf('.');
        return dot < 0 ? 1 : Math.pow(10, -(s.length() - dot - 1));
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public String format() {
        return "CSV";
    }

    @Override
    public double sampleRate() {
        return rate;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public long frames() {
        return frames;
    }

    @Override
    public double clipLevel(int c) {
        return Double.POSITIVE_INFINITY;
    }

    @Override
    public double delayMicros(int c) {
        return delay[c];
    }

    @Override
    public int read(double[][] out, int offset, int max) {
        try {
            int n = 0;
            String l;
            while (n < max && (l = in.readLine()) != null) {
                line++;
                if (l.isBlank()) {
                    continue;
                }
                split(l, fields);
                for (int c = 0; c < channels; c++) {
                    // Validated at open; a file changed since then fails here as a read error.
                    out[c][offset + n] = Double.parseDouble(fields[columnOf[c]].strip());
                }
                n++;
            }
            return n;
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("replay file " + file + ", line " + line + ": read failed: " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    @Override
    public void rewind() {
        close();
        try {
            in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            line = 0;
            for (int k = 0; k < headerLines; k++) {
                in.readLine();
                line++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reopen replay file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // read-only: nothing is lost
            }
            in = null;
        }
    }
}
