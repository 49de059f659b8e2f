package org.minimeter.gateway.hal.replay;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code mmgw} chunk a capture writes into its WAV file so that it replays without any
 * {@code replay.scale.*}: ASCII {@code key=value} pairs separated by {@code ;}, e.g.
 * {@code mmgw=1;v1=250;i1=333.333;clip=1;delay.i1=20}.
 *
 * <ul>
 *   <li>{@code v1}, {@code i1}, {@code v2}, {@code i2}: line volts or primary amps that a
 *       sample of 1.0 (a float file) or the largest code (an integer file) stands for
 *   <li>{@code clip}: 1 when full scale was the converter's saturation (a sample at full scale
 *       is clipped), 0 when the source could not clip (ideal samples may exceed 1.0)
 *   <li>{@code delay.<channel>}: the channel's delay in microseconds, as its front end
 *       declared it, for the replay to correct as the live meter did
 * </ul>
 */
final class WavMetadata {

    static final String CHUNK_ID = "mmgw";

    private WavMetadata() {
    }

    static byte[] encode(double[] scales, boolean clips, double[] delays) {
        StringBuilder b = new StringBuilder("mmgw=1");
        for (int c = 0; c < scales.length; c++) {
            b.append(';').append(ReplaySettings.CHANNELS.get(c)).append('=').append(scales[c]);
        }
        b.append(";clip=").append(clips ? 1 : 0);
        for (int c = 0; c < delays.length; c++) {
            if (delays[c] != 0) {
                b.append(";delay.").append(ReplaySettings.CHANNELS.get(c)).append('=').append(delays[c]);
            }
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Parses the chunk's text; a value that is not a number makes the whole chunk refused. */
    static Map<String, Double> decode(byte[] body) {
        String s = new String(body, StandardCharsets.US_ASCII).replace("\0", "").strip();
        Map<String, Double> m = new LinkedHashMap<>();
        for (String pair : s.split(";")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + pair + "' is not key=value");
            }
            String key = pair.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = pair.substring(eq + 1).strip();
            try {
                m.put(key, Double.parseDouble(value));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + key + "' has non-numeric value '" + value + "'");
            }
        }
        return m;
    }
}
