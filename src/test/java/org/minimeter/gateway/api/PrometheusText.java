package org.minimeter.gateway.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape in the Prometheus text format, read back: each sample line by its name and labels,
 * and each family's TYPE. Enough of the format for the gateway's own series (no timestamps,
 * labels as written by the registry).
 */
record PrometheusText(String text, Map<String, Double> samples, Map<String, String> types) {

    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    static PrometheusText parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        Map<String, String> types = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] p = line.split(" ");
                types.put(p[2], p[3]);
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            String name;
            String labels = "";
            String rest;
            if (brace >= 0) {
                int close = line.lastIndexOf('}');
                name = line.substring(0, brace);
                labels = line.substring(brace + 1, close);
                rest = line.substring(close + 1).trim();
            } else {
                int space = line.indexOf(' ');
                name = line.substring(0, space);
                rest = line.substring(space + 1).trim();
            }
            samples.put(key(name, labels(labels)), value(rest.split(" ")[0]));
        }
        return new PrometheusText(text, samples, types);
    }

    private static Map<String, String> labels(String s) {
        Map<String, String> out = new TreeMap<>();
        Matcher m = LABEL.matcher(s);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    private static double value(String s) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }

    /** A series' key: its name and labels sorted, {@code name{a="1",b="2"}}. */
    static String key(String name, Map<String, String> labels) {
        StringBuilder b = new StringBuilder(name).append('{');
        new TreeMap<>(labels).forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
        if (b.charAt(b.length() - 1) == ',') {
            b.setLength(b.length() - 1);
        }
        return b.append('}').toString();
    }

    /** The value of one series; fails naming the series when it is not in the scrape. */
    double value(String name, String... labelPairs) {
        Map<String, String> labels = new TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            labels.put(labelPairs[i], labelPairs[i + 1]);
        }
        String k = key(name, labels);
        Double v = samples.get(k);
        if (v == null) {
            throw new AssertionError(k + " is not in the scrape:\n" + text);
        }
        return v;
    }

    /** Every series of a family (name exactly), by key. */
    Map<String, Double> family(String name) {
        Map<String, Double> out = new TreeMap<>();
        samples.forEach((k, v) -> {
            if (k.startsWith(name + "{")) {
                out.put(k, v);
            }
        });
        return out;
    }
}
