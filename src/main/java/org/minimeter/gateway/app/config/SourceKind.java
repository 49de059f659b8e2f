package org.minimeter.gateway.app.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The waveform sources this build can run, by the name used in {@code source} /
 * {@code hal.source}. Each kind owns its config group and its checks in one class
 * ({@link SimulatorSource}, {@link ReplaySource}); a new source adds a constant and a class.
 */
public enum SourceKind {
    SIMULATOR("simulator"),
    REPLAY("replay");

    /** Named in SPEC.md section 6 but not in this build yet: refused with that reason. */
    static final List<String> PLANNED = List.of("the SPI front ends");

    private final String id;

    SourceKind(String id) {
        this.id = id;
    }

    /** The name in the configuration. */
    public String id() {
        return id;
    }

    public static Optional<SourceKind> byId(String id) {
        return Arrays.stream(values()).filter(k -> k.id.equals(id)).findFirst();
    }

    static String allowed() {
        return String.join(", ", Arrays.stream(values()).map(SourceKind::id).toList())
                + " (" + String.join(" and ", PLANNED) + " are not in this build yet)";
    }
}
