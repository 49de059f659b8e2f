package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code sparkplug.*}: the gateway as a Sparkplug B 3.0 edge node (SPEC.md section 8). */
@ConfigMapping(prefix = "sparkplug")
public interface SparkplugConfig {

    @WithDefault("false")
    boolean enabled();

    /** The Sparkplug group id: one topic level. */
    @WithDefault("minimeter")
    String groupId();

    /** The edge node id: one topic level; unset, {@code gateway.id}. */
    Optional<String> edgeNodeId();

    /** Births wait for this host application's STATE {@code online}; unset, they do not wait. */
    Optional<String> primaryHostId();

    /** How often each meter is compared with what was last reported. */
    @WithDefault("1s")
    Duration scanInterval();

    /** While offline, how often changes are recorded for sending after the reconnect. */
    @WithDefault("10s")
    Duration storeInterval();

    /** The bound of what is recorded while offline, in MiB (oldest dropped first). */
    @WithDefault("64")
    int storeMaxMb();

    /** How far a value must move before it is reported again: {@code 0.5} (absolute) or {@code 1%}. */
    Deadbands deadband();

    interface Deadbands {
        /** kWh. */
        @WithDefault("0.001")
        String energy();

        /** W, var, VA. */
        @WithDefault("1%")
        String power();

        /** V. */
        @WithDefault("0.5")
        String voltage();

        /** A. */
        @WithDefault("1%")
        String current();

        @WithDefault("0.01")
        String powerFactor();

        /** Hz. */
        @WithDefault("0.01")
        String frequency();
    }
}
