package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** {@code outputs.*}: pulse output and counter timing. */
@ConfigMapping(prefix = "outputs")
public interface OutputsConfig {

    /** Minimum time a pulse output holds each state. */
    @WithDefault("50ms")
    Duration dwell();

    Counter counter();

    interface Counter {
        /** Energy per counter step: 100 or 1000 Wh. */
        @WithDefault("100")
        int wh();

        /** Coil energised per step. */
        @WithDefault("100ms")
        Duration on();

        /** Rest between steps. */
        @WithDefault("100ms")
        Duration off();
    }
}
