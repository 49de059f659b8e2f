package org.minimeter.gateway.app.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Every configuration problem found, one line each, so one start-up shows them all. */
final class Problems {

    private final List<String> lines = new ArrayList<>();

    void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            add(key + "=" + show(value) + " is not allowed: allowed " + allowed);
        }
    }

    /** The value as it took effect, with the key it came from (and which meter inherited it). */
    void require(boolean ok, Setting<?> s, Object value, String allowed) {
        if (!ok) {
            add(s.key() + "=" + show(value) + s.note() + " is not allowed: allowed " + allowed);
        }
    }

    void require(boolean ok, Setting<?> s, String allowed) {
        require(ok, s, s.value(), allowed);
    }

    void add(String line) {
        lines.add(line);
    }

    int count() {
        return lines.size();
    }

    void throwIfAny() {
        if (!lines.isEmpty()) {
            throw new InvalidConfigException(lines);
        }
    }

    static String show(Object value) {
        return value instanceof Double d ? MeterSetup.fmt(d)
                : value instanceof Duration t ? MeterSetup.fmt(t) : String.valueOf(value);
    }
}
