package org.minimeter.gateway.app.config;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.minimeter.gateway.hal.replay.ReplaySettings;

/**
 * The {@code replay} source's configuration: the flat {@code replay.*} keys, overridden per
 * meter by {@code meters.<id>.replay.*}. The file itself is read and checked when the meter
 * opens (a malformed file stops start-up naming the file, the line and the reason).
 */
public final class ReplaySource {

    private ReplaySource() {
    }

    /** Per channel: {@code v1}, {@code i1}, {@code v2}, {@code i2}. */
    public interface Channels {
        Optional<Double> v1();

        Optional<Double> i1();

        Optional<Double> v2();

        Optional<Double> i2();
    }

    /** {@code meters.<id>.replay.*}: each unset key takes the flat {@code replay.*} value. */
    public interface Keys {
        Optional<String> file();

        Optional<Boolean> loop();

        Optional<Double> speed();

        Optional<Double> rate();

        Channels scale();

        Channels delay();
    }

    /** @param describe the effective {@code replay.*} values for the start-up log */
    record Checked(ReplaySettings settings, String describe) {
    }

    static Checked check(Scope sc, ReplayConfig flat, Optional<Keys> own, int elements, Problems p) {
        int before = p.count();
        Setting<Optional<String>> file = sc.pickOptional(own.flatMap(Keys::file), "replay.file", flat.file(),
                "replay.file");
        Path path = null;
        if (file.value().isEmpty()) {
            p.require(false, file, "(unset)", "a CSV or WAV file with source=replay");
        } else {
            try {
                path = Path.of(file.value().get());
                p.require(Files.isReadable(path), file, file.value().get(), "a readable CSV or WAV file");
            } catch (InvalidPathException e) {
                p.require(false, file, file.value().get(), "a file path");
            }
        }
        Setting<Boolean> loop = sc.pick(own.flatMap(Keys::loop), "replay.loop", flat.loop(), "replay.loop");
        Setting<Double> speed = sc.pick(own.flatMap(Keys::speed), "replay.speed", flat.speed(), "replay.speed");
        p.require(speed.value() > 0 && speed.value() <= 10000, speed,
                "more than 0 and at most 10000 (recorded seconds per second)");
        Setting<Optional<Double>> rate = sc.pickOptional(own.flatMap(Keys::rate), "replay.rate", flat.rate(),
                "replay.rate");
        rate.value().ifPresent(r -> p.require(r >= 1000 && r <= 100_000, rate, r, "1000 to 100000 samples per second"));
        if (p.count() > before) {
            return null;
        }
        ReplaySettings.Builder b = ReplaySettings.builder(path).loop(loop.value()).speed(speed.value())
                .elements(elements);
        rate.value().ifPresent(b::rate);
        StringBuilder channels = new StringBuilder();
        for (String ch : ReplaySettings.CHANNELS) {
            Function<Channels, Optional<Double>> get = channel(ch);
            Setting<Optional<Double>> scale = sc.pickOptional(own.map(Keys::scale).flatMap(get), "replay.scale." + ch,
                    get.apply(flat.scale()), "replay.scale." + ch);
            if (scale.value().isPresent()) {
                double v = scale.value().get();
                p.require(v > 0 && Double.isFinite(v), scale, v, "a positive full scale in volts or amperes");
                if (v > 0 && Double.isFinite(v)) {
                    b.scale(ch, v);
                    channels.append(" replay.scale.").append(ch).append('=').append(MeterSetup.fmt(v));
                }
            }
            Setting<Optional<Double>> delay = sc.pickOptional(own.map(Keys::delay).flatMap(get), "replay.delay." + ch,
                    get.apply(flat.delay()), "replay.delay." + ch);
            if (delay.value().isPresent()) {
                double v = delay.value().get();
                p.require(Math.abs(v) <= 1000, delay, v, "-1000 to 1000 microseconds");
                if (Math.abs(v) <= 1000) {
                    b.delayMicros(ch, v);
                    channels.append(" replay.delay.").append(ch).append('=').append(MeterSetup.fmt(v));
                }
            }
        }
        if (p.count() > before) {
            return null;
        }
        String describe = String.format(Locale.ROOT, "replay.file=%s replay.loop=%s replay.speed=%s replay.rate=%s%s",
                path, loop.value(), MeterSetup.fmt(speed.value()),
                rate.value().map(MeterSetup::fmt).orElse("(from the file)"), channels);
        return new Checked(b.build(), describe);
    }

    private static Function<Channels, Optional<Double>> channel(String ch) {
        return switch (ch) {
            case "v1" -> Channels::v1;
            case "i1" -> Channels::i1;
            case "v2" -> Channels::v2;
            default -> Channels::i2;
        };
    }
}
