package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;

/** {@code storage.*}: where the register lives and how often it is saved. */
@ConfigMapping(prefix = "storage")
public interface StorageConfig {

    /** Directory for the energy register (one subdirectory per meter id). */
    @WithDefault("./data")
    String dir();

    /** Save when at least this much energy (Wh) has accumulated ... */
    @WithDefault("1")
    double saveWh();

    /** ... and at least this long has passed since the last save. */
    @WithDefault("1s")
    Duration saveInterval();

    /**
     * Register saves the gateway makes per second at most, over all its meters: each costs two
     * fsyncs, so this bounds the storage's wear whatever the number of meters. Meters that are
     * due wait their turn, longest unsaved first.
     */
    @WithDefault("50")
    int maxSavesPerSecond();

    /** Days of 1-minute interval history kept per meter (about 56 bytes a minute for 2 elements). */
    @WithDefault("400")
    int historyDays();

    /** Register generations kept on disk (fallbacks if the newest is damaged). */
    @WithDefault("3")
    int keep();

    /** Seeding the register to match another meter; applied once per id, audited. */
    Seed seed();

    interface Seed {
        /** A name for this seeding, e.g. {@code utility-2026-11-23}; nothing is seeded without it. */
        Optional<String> id();

        /** New total delivered energy, kWh. */
        OptionalDouble deliveredKwh();

        /** New total received energy, kWh. */
        OptionalDouble receivedKwh();

        /** Allow the seed to lower the register (a reset); otherwise it only moves forward. */
        @WithDefault("false")
        boolean allowDecrease();
    }
}
