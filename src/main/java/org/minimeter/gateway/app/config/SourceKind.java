package org.minimeter.gateway.app.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The waveform sources this build can run, by the name used in {@code source} /
 * {@code hal.source}. Each kind owns its config group and its checks in one class
 * ({@link SimulatorSource}, {@link ReplaySource}, {@link SpiSource}); a new source adds a constant and a class.
 */
public enum SourceKind {
    SIMULATOR("simulator"),
    REPLAY("replay"),
    /** 12-bit SAR ADC, channels converted one after another ({@link SpiSource}). */
    MCP3208("mcp3208"),
    /** The 10-bit MCP3208. */
    MCP3008("mcp3008"),
    /** 24-bit simultaneous sigma-delta ADC with a DRDY input. */
    ADS131M04("ads131m04"),
    /** Energy-metering IC behind the engine seam: it integrates energy itself. */
    ATM90E32("atm90e32");

    /** Named in SPEC.md section 6 but not in this build yet: refused with that reason. Empty: all are. */
    static final List<String> PLANNED = List.of();

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
                + (PLANNED.isEmpty() ? "" : " (" + String.join(" and ", PLANNED) + " are not in this build yet)");
    }
}
